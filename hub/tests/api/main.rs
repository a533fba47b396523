//! The hub over real sockets, with the real example IdP behind it: every front-door rule of
//! `docs/hub.md` that a service provider or a data provider can hit.
//!
//! With the feature `redis-tests`, every test here runs against a Redis store instead of the
//! memory one (one `redis-server` for the binary, a fresh namespace per [`TestHub`]), and the
//! `replicas` tests run several hubs on one Redis behind a round-robin front.

// Helper functions of an integration-test binary are not covered by clippy's test exemption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod authorize;
mod client_auth;
mod conformance;
mod deterministic;
mod fcplus;
#[cfg(feature = "redis-tests")]
mod front;
mod idp_failures;
mod journey;
mod options;
#[cfg(feature = "redis-tests")]
mod replicas;
mod robustness;
mod scenarios;
mod sessions;
mod tokens;
mod v1;

use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

use fc_plumbing::jwe::{ContentEnc, DecryptionKeys, KeyAlg};
use fc_plumbing::testing::{Browser, Page, set};
use hub::Instance;
use hub::store::sessions::HubSessions;
use reqwest::redirect::Policy;
use serde_json::Value;

pub const SP_ID: &str = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950";
pub const SP_SECRET: &str = "a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5";
pub const SP_CALLBACK: &str = "http://sp.test/oidc-callback";
pub const DP_ID: &str = "423dcbdc5a15ece61954f2b46d5d3df3b6d5f38bd26cd8a7ba3dcac5c7ea86e0";
pub const DP_SECRET: &str = "36aa214e7a0043c8da60ae991d8908947147d637137c5bf14bc2fc53e1055847";
pub const NONCE: &str = "a-nonce-long-enough-for-franceconnect";

pub const SP2_ID: &str = "5a6e58c6e0cf3cb21de192c567335a8ec121a3f96d0fd48cf58c1f1c48235b63";
pub const SP2_SECRET: &str = "3b6b2d8a3e0c9f1b5c7e2d4a6f8b0c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b";

/// A hub and the real example IdP on free ports. Its clock is manual (`clock`) and its session
/// store is visible (`sessions`), so tests need no sleeps and can count what was created.
pub struct TestHub {
    /// Where clients send hub requests: the hub, or the front of its replicas.
    pub url: String,
    pub idp_url: String,
    pub clock: fc_plumbing::ManualClock,
    pub sessions: HubSessions,
    /// The (first) hub's platform and its peers' health, for tests that look inside.
    pub platform: actix_web::web::Data<hub::platform::Platform>,
    pub health: hub::health::PeerHealth,
    /// What every replica was started with (to start them again).
    #[cfg(feature = "redis-tests")]
    config: hub::Config,
    hubs: Vec<actix_web::dev::ServerHandle>,
    idp: actix_web::dev::ServerHandle,
    #[cfg(feature = "redis-tests")]
    front: Option<front::Front>,
    /// Serves the data provider's encryption keys ([`dp_keys`]) at its registered `jwks_uri`.
    pub dp_key_server: KeyServer,
}

/// The example DP's encryption keys in these tests, made once per test binary: the hub
/// encrypts checktoken answers to them (ECDH-ES, as `fixtures/hub/data-providers.toml` says).
pub fn dp_keys() -> &'static DecryptionKeys {
    static KEYS: OnceLock<DecryptionKeys> = OnceLock::new();
    KEYS.get_or_init(|| DecryptionKeys::generate().unwrap())
}

/// The signed checktoken answer inside the encrypted one, after checking the JWE header is
/// exactly FranceConnect's (`alg`, `enc`, `epk`).
pub fn open_checktoken(jwe: &str) -> String {
    let header = fc_plumbing::jwe::peek_header(jwe).unwrap();
    let mut members: Vec<&String> = header.as_object().unwrap().keys().collect();
    members.sort();
    assert_eq!(members, ["alg", "enc", "epk"], "{header}");
    fc_plumbing::jwe::decrypt(jwe, dp_keys(), KeyAlg::EcdhEs, ContentEnc::A256Gcm)
        .unwrap()
        .plaintext
}

/// A peer's JWKS served over HTTP on a free port (an SP's or a DP's `jwks_uri`), which a test
/// may change or stop.
pub struct KeyServer {
    pub url: String,
    jwks: actix_web::web::Data<Mutex<Value>>,
    handle: actix_web::dev::ServerHandle,
}

impl KeyServer {
    pub async fn start(jwks: Value) -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let data = web::Data::new(Mutex::new(jwks));
        let shared = data.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(shared.clone()).default_service(web::to(
                |jwks: web::Data<Mutex<Value>>| async move {
                    HttpResponse::Ok().json(jwks.lock().unwrap().clone())
                },
            ))
        })
        .workers(1)
        // No kept-alive connection answers after a stop: the server is down at once.
        .keep_alive(actix_web::http::KeepAlive::Disabled)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            jwks: data,
            handle,
        }
    }

    /// The URL of the key set (any path answers it).
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.url)
    }

    pub fn set(&self, jwks: Value) {
        *self.jwks.lock().unwrap() = jwks;
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// A third SP registered by the tests: allowed to hint the example IdP and to ask for `amr`.
pub const SP3_ID: &str = "sp3-client-id-for-tests-000000000000000000000000000000000000000000";
pub const SP3_SECRET: &str = "sp3-secret-for-tests-0000000000000000000000000000000000000000000";
pub const SP3: &str = r#"
[[service_provider]]
client_id = "sp3-client-id-for-tests-000000000000000000000000000000000000000000"
client_secret = "sp3-secret-for-tests-0000000000000000000000000000000000000000000"
name = "SP de test avec idp_hint"
entity_id = "sp3-entity"
type = "public"
scopes = ["openid", "profile", "email"]
claims = ["amr"]
redirect_uris = ["http://sp3.test/oidc-callback"]
post_logout_redirect_uris = ["http://sp3.test/logout-callback"]
id_token_signed_response_alg = "HS256"
userinfo_signed_response_alg = "HS256"
allowed_idp_hints = ["9c716f61-b8a1-435c-a407-ef4d677ec270"]
"#;

impl TestHub {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with the fixture registrations (SP URLs moved to `sp.test`, `sp2.test`, plus
    /// `sp3.test`), after `adjust` had its say on the configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut hub::Config)) -> Self {
        Self::start_custom(adjust, |_| {}).await
    }

    /// Like [`TestHub::start_with`], with a say on the IdP's configuration too.
    pub async fn start_custom(
        adjust: impl FnOnce(&mut hub::Config),
        adjust_idp: impl FnOnce(&mut identity_provider_example::Config),
    ) -> Self {
        Self::start_instance(Instance::FranceConnect, adjust, adjust_idp).await
    }

    /// A FranceConnect+ hub with its fixture registrations (SP URLs moved to `sp.test`).
    pub async fn start_plus(adjust: impl FnOnce(&mut hub::Config)) -> Self {
        Self::start_instance(Instance::FranceConnectPlus, adjust, |_| {}).await
    }

    /// A hub of `instance` and the example IdP, the DP's keys served at its `jwks_uri`.
    pub async fn start_instance(
        instance: Instance,
        adjust: impl FnOnce(&mut hub::Config),
        adjust_idp: impl FnOnce(&mut identity_provider_example::Config),
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let hub_url = url_of(&listener);
        Self::launch(instance, hub_url, vec![listener], adjust, adjust_idp).await
    }

    /// Hubs of `instance` on `listeners`, all with one configuration whose public URL is `hub_url`.
    async fn launch(
        instance: Instance,
        hub_url: String,
        listeners: Vec<TcpListener>,
        adjust: impl FnOnce(&mut hub::Config),
        adjust_idp: impl FnOnce(&mut identity_provider_example::Config),
    ) -> Self {
        let idp_listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let idp_url = url_of(&idp_listener);

        let dp_key_server = KeyServer::start(dp_keys().jwks()).await;
        let mut config = hub::Config::local_for(instance).unwrap();
        config.public_url = hub_url.clone();
        let (clock, now) = fc_plumbing::Clock::manual();
        config.clock = clock;
        if instance == Instance::FranceConnect {
            config.registry.add_toml(SP3).unwrap();
        }
        let default_hub = instance.default_public_url();
        for (from, to) in [
            ("http://localhost:3000", "http://sp.test"),
            ("http://localhost:3001", "http://sp2.test"),
            ("http://localhost:8001", idp_url.as_str()),
            ("http://localhost:8002", dp_key_server.url.as_str()),
            (default_hub.as_str(), hub_url.as_str()),
        ] {
            config.registry.replace_url_prefix(from, to);
        }
        #[cfg(feature = "redis-tests")]
        redis_store(&mut config);
        adjust(&mut config);
        let mut hubs = Vec::new();
        let mut first = None;
        for listener in listeners {
            let (handle, started) = start_hub(config.clone(), listener).await;
            hubs.push(handle);
            first.get_or_insert(started);
        }
        let (sessions, platform, health) = first.expect("at least one hub");

        let mut idp_config = identity_provider_example::Config::local();
        idp_config.public_url = idp_url.clone();
        idp_config.redirect_uris = vec![format!("{hub_url}/api/v2/oidc-callback")];
        idp_config.post_logout_redirect_uris =
            vec![format!("{hub_url}/api/v2/client/logout-callback")];
        adjust_idp(&mut idp_config);
        let idp = identity_provider_example::Application::build(idp_config, idp_listener)
            .await
            .unwrap();
        let idp_handle = idp.handle();
        tokio::spawn(idp.run_until_stopped());
        Self {
            url: hub_url,
            idp_url,
            clock: now,
            sessions,
            platform,
            health,
            #[cfg(feature = "redis-tests")]
            config,
            hubs,
            idp: idp_handle,
            #[cfg(feature = "redis-tests")]
            front: None,
            dp_key_server,
        }
    }

    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        self.authorize_url_at("/api/v2/authorize", params)
    }

    pub fn authorize_url_at(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut all: Vec<(&str, &str)> = vec![
            ("client_id", SP_ID),
            ("redirect_uri", SP_CALLBACK),
            ("response_type", "code"),
            (
                "scope",
                "openid given_name family_name birthdate gender birthplace birthcountry email dgfip_rfr",
            ),
            ("state", "sp-state"),
            ("nonce", NONCE),
            ("acr_values", "eidas1"),
        ];
        for (k, v) in params {
            all.retain(|(n, _)| n != k);
            if !v.is_empty() || *k == "state" {
                all.push((k, v));
            }
        }
        fc_plumbing::web::url_with_query(&format!("{}{path}", self.url), &all)
    }

    /// Walks authorize → mire → IdP (3_melaine) → consent and returns the code sent to the SP.
    pub async fn code(&self, browser: &Browser) -> String {
        self.code_from(browser, &self.authorize_url(&[])).await
    }

    pub async fn code_from(&self, browser: &Browser, authorize_url: &str) -> String {
        let first = browser.open(authorize_url).await;
        // With an SSO session the hub goes straight to the consent page.
        let consent = if first.url.ends_with("/consent") {
            first
        } else {
            self.log_in_at_idp(browser, &first).await
        };
        self.consent(browser, &consent).await
    }

    /// From the mire: chooses the example IdP and logs in as 3_melaine; the consent page.
    pub async fn log_in_at_idp(&self, browser: &Browser, mire: &Page) -> Page {
        let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
        let login = browser.submit(&action, &fields).await;
        let (action, mut fields) = login.form("id=\"login-form\"");
        set(&mut fields, "login", "3_melaine");
        set(&mut fields, "password", "123");
        browser.submit(&action, &fields).await
    }

    /// Accepts on the consent page: the code sent to the SP.
    pub async fn consent(&self, browser: &Browser, consent: &Page) -> String {
        let (action, mut fields) = consent.form("id=\"consent-form\"");
        set(&mut fields, "consent", "yes");
        let back = browser.submit(&action, &fields).await;
        let hop = back
            .hops
            .iter()
            .find(|h| h.url.starts_with("http://sp") && h.url.contains("code="))
            .unwrap_or_else(|| panic!("back at the SP with a code: {:?}", back.hops))
            .url
            .clone();
        let q = query(&hop);
        assert_eq!(q["iss"], format!("{}/api/v2", self.url));
        q["code"].clone()
    }

    pub async fn token(&self, code: &str, secret: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/api/v2/token", self.url))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", SP_CALLBACK),
                ("client_id", SP_ID),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Stops the example IdP only (the hub keeps running).
    pub async fn stop_idp(&self) {
        self.idp.stop(false).await;
    }

    pub async fn stop(self) {
        for h in self.hubs {
            h.stop(false).await;
        }
        self.idp.stop(false).await;
        #[cfg(feature = "redis-tests")]
        if let Some(front) = self.front {
            front.stop().await;
        }
        self.dp_key_server.stop().await;
    }
}

pub fn url_of(listener: &TcpListener) -> String {
    format!("http://localhost:{}", listener.local_addr().unwrap().port())
}

/// One hub on `listener`, running in the background.
/// What a test may look at in a started hub.
type Started = (
    HubSessions,
    actix_web::web::Data<hub::platform::Platform>,
    hub::health::PeerHealth,
);

async fn start_hub(
    config: hub::Config,
    listener: TcpListener,
) -> (actix_web::dev::ServerHandle, Started) {
    let hub = hub::Application::build(config, listener).await.unwrap();
    let handle = hub.handle();
    let started = (hub.sessions(), hub.platform(), hub.health());
    tokio::spawn(hub.run_until_stopped());
    (handle, started)
}

/// The Redis suites: the binary's redis-server, a namespace of this hub's own (so tests do not
/// see each other's sessions, codes or cached IdP keys) and a keys folder, which Redis requires.
#[cfg(feature = "redis-tests")]
fn redis_store(config: &mut hub::Config) {
    use hub::store::testing::RedisServer;
    let server = RedisServer::shared();
    let namespace = RedisServer::fresh_namespace();
    config.keys_dir = Some(server.scratch(&format!("keys-{namespace}")));
    config.store = hub::config::StoreConfig::Redis {
        url: fc_plumbing::Secret::new(server.url()),
        namespace,
    };
}

pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub async fn jwks(hub: &TestHub) -> openidconnect::core::CoreJsonWebKeySet {
    let doc: Value = reqwest::get(format!("{}/api/v2/jwks", hub.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    fc_plumbing::jose::parse_jwks(&doc).unwrap()
}

/// An error page: its status, its FC code, no redirect and no cookie (nothing created).
pub async fn assert_error_page(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status().as_u16(), status);
    assert!(
        response.headers().get("location").is_none(),
        "an error page never redirects"
    );
    assert!(
        response.headers().get("set-cookie").is_none(),
        "an error page creates no session"
    );
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "<span id=\"error-code\" class=\"error-code\">{code}</span>"
        )),
        "{code} expected:\n{body}"
    );
    assert!(body.contains("id=\"error-id\""));
}

/// The query parameters of a URL.
pub fn query(url: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// A token request with these form fields.
pub async fn token_form(hub: &TestHub, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v2/token", hub.url))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The body of an error page must show this FC code.
pub fn assert_code(page: &fc_plumbing::testing::Page, status: u16, code: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    page.assert_contains(&format!("class=\"error-code\">{code}</span>"));
}

/// The decoded payload of a v2 checktoken answer for `token`, asked with the DP's credentials.
pub async fn checktoken_v2(hub: &TestHub, token: &str) -> Value {
    let jwe = reqwest::Client::new()
        .post(format!("{}/api/v2/checktoken", hub.url))
        .form(&[
            ("token", token),
            ("client_id", DP_ID),
            ("client_secret", DP_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    fc_plumbing::jose::decode_unverified(&open_checktoken(&jwe))
        .unwrap()
        .payload
}
