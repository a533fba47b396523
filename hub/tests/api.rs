//! The hub over real sockets, with the real example IdP behind it: every front-door rule of
//! SPEC §4 that a service provider or a data provider can hit.

// Helper functions of an integration-test binary are not covered by clippy's test exemption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fc_plumbing::testing::{Browser, set};
use reqwest::redirect::Policy;
use serde_json::Value;

const SP_ID: &str = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950";
const SP_SECRET: &str = "a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5";
const SP_CALLBACK: &str = "http://sp.test/oidc-callback";
const DP_ID: &str = "423dcbdc5a15ece61954f2b46d5d3df3b6d5f38bd26cd8a7ba3dcac5c7ea86e0";
const DP_SECRET: &str = "36aa214e7a0043c8da60ae991d8908947147d637137c5bf14bc2fc53e1055847";
const NONCE: &str = "a-nonce-long-enough-for-franceconnect";

struct TestHub {
    url: String,
    handles: Vec<actix_web::dev::ServerHandle>,
}

impl TestHub {
    async fn start() -> Self {
        let hub_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let idp_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let hub_url = format!(
            "http://localhost:{}",
            hub_listener.local_addr().unwrap().port()
        );
        let idp_url = format!(
            "http://localhost:{}",
            idp_listener.local_addr().unwrap().port()
        );

        let mut config = hub::Config::local().unwrap();
        config.public_url = hub_url.clone();
        config
            .registry
            .replace_url_prefix("http://localhost:3000", "http://sp.test");
        config
            .registry
            .replace_url_prefix("http://localhost:3001", "http://sp2.test");
        config
            .registry
            .replace_url_prefix("http://localhost:8001", &idp_url);
        config
            .registry
            .replace_url_prefix("http://localhost:8000", &hub_url);
        let hub = hub::Application::build(config, hub_listener).await.unwrap();

        let mut idp_config = identity_provider_example::Config::local();
        idp_config.public_url = idp_url.clone();
        idp_config.redirect_uris = vec![format!("{hub_url}/api/v2/oidc-callback")];
        idp_config.post_logout_redirect_uris =
            vec![format!("{hub_url}/api/v2/client/logout-callback")];
        let idp = identity_provider_example::Application::build(idp_config, idp_listener)
            .await
            .unwrap();

        let handles = vec![hub.handle(), idp.handle()];
        tokio::spawn(hub.run_until_stopped());
        tokio::spawn(idp.run_until_stopped());
        Self {
            url: hub_url,
            handles,
        }
    }

    fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        self.authorize_url_at("/api/v2/authorize", params)
    }

    fn authorize_url_at(&self, path: &str, params: &[(&str, &str)]) -> String {
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
    async fn code(&self, browser: &Browser) -> String {
        self.code_from(browser, &self.authorize_url(&[])).await
    }

    async fn code_from(&self, browser: &Browser, authorize_url: &str) -> String {
        let mire = browser.open(authorize_url).await;
        let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
        let login = browser.submit(&action, &fields).await;
        let (action, mut fields) = login.form("id=\"login-form\"");
        set(&mut fields, "login", "3_melaine");
        set(&mut fields, "password", "123");
        let consent = browser.submit(&action, &fields).await;
        let (action, mut fields) = consent.form("id=\"consent-form\"");
        set(&mut fields, "consent", "yes");
        let back = browser.submit(&action, &fields).await;
        let hop = back
            .hops
            .iter()
            .find(|h| h.url.starts_with(SP_CALLBACK))
            .expect("back at the SP")
            .url
            .clone();
        let url = reqwest::Url::parse(&hop).unwrap();
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["state"], "sp-state");
        assert_eq!(q["iss"], format!("{}/api/v2", self.url));
        q["code"].clone()
    }

    async fn token(&self, code: &str, secret: &str) -> reqwest::Response {
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

    async fn stop(self) {
        for h in self.handles {
            h.stop(false).await;
        }
    }
}

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn jwks(hub: &TestHub) -> openidconnect::core::CoreJsonWebKeySet {
    let doc: Value = reqwest::get(format!("{}/api/v2/jwks", hub.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    fc_plumbing::jose::parse_jwks(&doc).unwrap()
}

/// An error page: its status, its FC code, no redirect and no cookie (nothing created).
async fn assert_error_page(response: reqwest::Response, status: u16, code: &str) {
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

#[tokio::test]
async fn discovery_and_jwks_describe_the_hub() {
    let hub = TestHub::start().await;
    let response = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        hub.url
    ))
    .await
    .unwrap();
    assert!(response.headers().get("set-cookie").is_none());
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["issuer"], format!("{}/api/v2", hub.url));
    assert_eq!(doc["token_endpoint"], format!("{}/api/v2/token", hub.url));
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["pairwise"])
    );
    assert!(doc.get("code_challenge_methods_supported").is_none());
    let keys: Value = reqwest::get(format!("{}/api/v2/jwks", hub.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["ES256", "RS256"]);
    assert!(
        keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kid"].is_string() && k["use"] == "sig")
    );
    hub.stop().await;
}

#[tokio::test]
async fn authorize_front_door_errors_are_pages_that_create_nothing() {
    let hub = TestHub::start().await;
    let client = raw_client();
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec![("client_id", "unknown-client")], 400, "Y04EA6EF"),
        (
            vec![("redirect_uri", "http://sp.test/oidc-callback/")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://sp.test/oidc-callback?x=1")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://SP.test/oidc-callback")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://evil@sp.test/oidc-callback")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://sp.test/x/../oidc-callback")],
            400,
            "Y04C013C",
        ),
        (vec![("state", "")], 400, "Y030007"),
        (vec![("nonce", "only-21-characters-xx")], 400, "Y030007"),
        (vec![("code_challenge", "abc")], 400, "Y030007"),
        (vec![("prompt", "none")], 400, "Y030007"),
    ];
    for (params, status, code) in cases {
        let response = client.get(hub.authorize_url(&params)).send().await.unwrap();
        assert_error_page(response, status, code).await;
    }
    let response = client
        .get(format!("{}/api/v2/nowhere", hub.url))
        .send()
        .await
        .unwrap();
    assert_error_page(response, 404, "Y000404").await;
    hub.stop().await;
}

#[tokio::test]
async fn oauth_errors_are_redirected_with_state_and_iss() {
    let hub = TestHub::start().await;
    let response = raw_client()
        .get(hub.authorize_url(&[("scope", "profile")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(SP_CALLBACK));
    let q: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "sp-state");
    assert_eq!(q["iss"], format!("{}/api/v2", hub.url));
    hub.stop().await;
}

#[tokio::test]
async fn a_hostile_state_is_echoed_exactly() {
    let hub = TestHub::start().await;
    let state = format!("\"><script>alert(1)</script>{}", "é".repeat(1000));
    let response = raw_client()
        .get(hub.authorize_url(&[("state", &state), ("scope", "email")]))
        .send()
        .await
        .unwrap();
    let location = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let echoed = location
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(echoed, state);
    hub.stop().await;
}

#[tokio::test]
async fn code_flow_tokens_userinfo_and_code_reuse() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;

    // A wrong secret is refused and does not consume the code.
    let wrong = hub.token(&code, "not-the-secret").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let response = hub.token(&code, SP_SECRET).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    let mut keys: Vec<&str> = tokens
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "id_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(tokens["expires_in"], 60);
    let jwks = jwks(&hub).await;
    let claims = fc_plumbing::jose::verify_jwt(
        tokens["id_token"].as_str().unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap();
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["aud"], SP_ID);
    assert_eq!(claims["acr"], "eidas1");
    assert!(claims.get("amr").is_none(), "amr only when asked for");
    let sub = claims["sub"].as_str().unwrap().to_owned();
    assert!(sub.len() == 66 && sub.ends_with("v1"));

    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.headers()["content-type"], "application/jwt");
    let jwt = userinfo.text().await.unwrap();
    let info = fc_plumbing::jose::verify_jwt(&jwt, fc_plumbing::Jwa::ES256, &jwks, None).unwrap();
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["given_name"], "Mélaine Évelyne");
    assert_eq!(
        info["given_name_array"],
        serde_json::json!(["Mélaine", "Évelyne"])
    );
    assert_eq!(info["birthplace"], "95277");
    assert!(
        info.get("preferred_username").is_none(),
        "not in the granted scopes"
    );
    assert!(
        info.get("dgfip_rfr").is_none(),
        "data scopes release no claim"
    );

    // Checktoken: the DP gets its own sub and only its scopes.
    let checktoken_url = format!("{}/api/v2/checktoken", hub.url);
    let check = |token: String, secret: &'static str| {
        let url = checktoken_url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&[
                    ("token", token.as_str()),
                    ("client_id", DP_ID),
                    ("client_secret", secret),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let answer = check(access_token.to_owned(), DP_SECRET).await;
    assert_eq!(
        answer.headers()["content-type"],
        "application/token-introspection+jwt"
    );
    let payload = fc_plumbing::jose::verify_jwt(
        &answer.text().await.unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap();
    assert_eq!(payload["aud"], DP_ID);
    let t = &payload["token_introspection"];
    assert_eq!(t["active"], true);
    assert_eq!(t["aud"], SP_ID);
    assert_eq!(t["scope"], "dgfip_rfr");
    assert_ne!(t["sub"], sub.as_str());
    assert_eq!(t["family_name"], "TROIS");
    assert_eq!(
        check(access_token.to_owned(), "wrong")
            .await
            .status()
            .as_u16(),
        401
    );

    // Reusing the code fails and revokes what it gave.
    let reuse = hub.token(&code, SP_SECRET).await;
    assert_eq!(reuse.status().as_u16(), 400);
    assert_eq!(
        reuse.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status().as_u16(), 401);
    assert!(
        userinfo.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let dead = check(access_token.to_owned(), DP_SECRET).await;
    let payload = fc_plumbing::jose::verify_jwt(
        &dead.text().await.unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap();
    assert_eq!(
        payload["token_introspection"],
        serde_json::json!({"active": false})
    );
    hub.stop().await;
}

#[tokio::test]
async fn the_consent_form_cannot_be_replayed() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let mire = browser
        .open(&hub.authorize_url(&[("scope", "openid email")]))
        .await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    let (action, fields) = consent.form("id=\"consent-form\"");
    let first = browser.submit(&action, &fields).await;
    assert!(first.hops.iter().any(|h| h.url.starts_with(SP_CALLBACK)));
    let again = browser.submit(&action, &fields).await;
    assert_eq!(again.status, 400);
    again.assert_contains("Y420001");
    hub.stop().await;
}

#[tokio::test]
async fn checktoken_requires_exactly_its_three_fields() {
    let hub = TestHub::start().await;
    let client = reqwest::Client::new();
    for body in [
        vec![("token", "x"), ("client_id", DP_ID)],
        vec![
            ("token", "x"),
            ("client_id", DP_ID),
            ("client_secret", DP_SECRET),
            ("extra", "1"),
        ],
        vec![
            ("token", ""),
            ("client_id", DP_ID),
            ("client_secret", DP_SECRET),
        ],
    ] {
        let response = client
            .post(format!("{}/api/v2/checktoken", hub.url))
            .form(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
    let response = client
        .post(format!("{}/api/v2/checktoken", hub.url))
        .form(&[
            ("token", "x"),
            ("client_id", "unknown"),
            ("client_secret", DP_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    hub.stop().await;
}

/// An SP written for FranceConnect's v1 API, in the style of FranceConnect's own Node example:
/// credentials in the body, ID token decoded without verification, userinfo as JSON, 69-character
/// state and nonce, `acr_values=eidas1`, DGFiP scopes.
#[tokio::test]
async fn a_v1_service_provider_runs_unchanged() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let state = "s".repeat(69);
    let nonce = "n".repeat(69);
    let url = hub.authorize_url_at(
        "/api/v1/authorize",
        &[
            ("state", &state),
            ("nonce", &nonce),
            (
                "scope",
                "openid profile email address phone dgfip_rfr dgfip_nbpart",
            ),
        ],
    );
    let mire = browser.open(&url).await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let back = browser.submit(&action, &fields).await;
    let hop = back
        .hops
        .iter()
        .find(|h| h.url.starts_with(SP_CALLBACK))
        .unwrap()
        .url
        .clone();
    let q: std::collections::HashMap<String, String> = reqwest::Url::parse(&hop)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(q["state"], state);

    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/token", hub.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", SP_CALLBACK),
            ("client_id", SP_ID),
            ("client_secret", SP_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let decoded = fc_plumbing::jose::decode_unverified(id_token).unwrap();
    assert_eq!(decoded.header["alg"], "HS256");
    assert_eq!(
        decoded.payload["iss"],
        hub.url.as_str(),
        "v1 issuer has no path"
    );
    assert_eq!(decoded.payload["nonce"], nonce.as_str());
    let empty = fc_plumbing::jose::parse_jwks(&serde_json::json!({"keys": []})).unwrap();
    fc_plumbing::jose::verify_jwt(id_token, fc_plumbing::Jwa::HS256, &empty, Some(SP_SECRET))
        .unwrap();

    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v1/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert!(
        userinfo.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let info: Value = userinfo.json().await.unwrap();
    assert_eq!(info["family_name"], "TROIS");
    assert_eq!(info["address"]["locality"], "Sarcelles", "{info}");
    assert!(info["phone_number"].is_string(), "{info}");
    // A v1 token is not a v2 one.
    let v2 = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(v2.status().as_u16(), 401);

    let check: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/checktoken", hub.url))
        .json(&serde_json::json!({"token": access_token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["identity"]["given_name"], "Mélaine Évelyne");
    assert_eq!(check["client"]["client_id"], SP_ID);
    assert_eq!(check["acr"], "eidas1");
    assert!(
        check["scope"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "dgfip_rfr")
    );
    let dead = reqwest::Client::new()
        .post(format!("{}/api/v1/checktoken", hub.url))
        .json(&serde_json::json!({"token": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dead.status().as_u16(), 401);
    assert_eq!(
        dead.json::<Value>().await.unwrap()["message"],
        "token_not_found_or_expired"
    );

    let logout = browser
        .open(&fc_plumbing::web::url_with_query(
            &format!("{}/api/v1/logout", hub.url),
            &[
                ("id_token_hint", id_token),
                ("state", "bye"),
                ("post_logout_redirect_uri", "http://sp.test/logout-callback"),
            ],
        ))
        .await;
    assert_eq!(
        logout.url, "http://sp.test/logout-callback?state=bye",
        "{:?}",
        logout.hops
    );
    hub.stop().await;
}

const SP2_ID: &str = "5a6e58c6e0cf3cb21de192c567335a8ec121a3f96d0fd48cf58c1f1c48235b63";
const SP2_SECRET: &str = "3b6b2d8a3e0c9f1b5c7e2d4a6f8b0c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b";

/// The private SP with identity consent and RS256 registration: its users must tick the box,
/// may refuse, and it gets RS256 tokens and another sub (SSO from the first SP's login).
#[tokio::test]
async fn a_private_sp_needs_consent_signs_rs256_and_gets_its_own_sub() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp");
    // First SP: log in (sets the SSO session) and keep its sub.
    let code = hub.code(&browser).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let jwks = jwks(&hub).await;
    let first = fc_plumbing::jose::verify_jwt(tokens["id_token"].as_str().unwrap(), fc_plumbing::Jwa::ES256, &jwks, None).unwrap();

    let sp2 = |state: &'static str| {
        hub.authorize_url(&[
            ("client_id", SP2_ID),
            ("redirect_uri", "http://sp2.test/oidc-callback"),
            ("scope", "openid profile"),
            ("state", state),
        ])
    };
    // SSO: straight to the consent page, which requires the box; refusing is access_denied.
    let consent = browser.open(&sp2("refuse")).await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    consent.assert_contains("name=\"consent\"");
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "refuse", "yes");
    let refused = browser.submit(&action, &fields).await;
    assert!(refused.url.starts_with("http://sp2.test/oidc-callback?error=access_denied"), "{}", refused.url);
    assert!(refused.url.contains("state=refuse"));

    // Submitting without ticking the box is a refusal too.
    let consent = browser.open(&sp2("unticked")).await;
    let (action, fields) = consent.form("id=\"consent-form\"");
    let unticked = browser.submit(&action, &fields).await;
    assert!(unticked.url.contains("error=access_denied"), "{}", unticked.url);

    let consent = browser.open(&sp2("accept")).await;
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let back = browser.submit(&action, &fields).await;
    let q: std::collections::HashMap<String, String> = reqwest::Url::parse(&back.url).unwrap().query_pairs().into_owned().collect();
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/api/v2/token", hub.url))
        .basic_auth(SP2_ID, Some(SP2_SECRET))
        .form(&[("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", "http://sp2.test/oidc-callback")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(fc_plumbing::jose::decode_unverified(id_token).unwrap().header["alg"], "RS256");
    let second = fc_plumbing::jose::verify_jwt(id_token, fc_plumbing::Jwa::RS256, &jwks, None).unwrap();
    assert_ne!(first["sub"], second["sub"], "another entity_id gets another sub");
    assert_eq!(second["aud"], SP2_ID);
    hub.stop().await;
}
