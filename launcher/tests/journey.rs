//! The whole FranceConnect journey (README, "The journey") across the real programs, over real
//! sockets, with a cookie-keeping client that follows forms and redirects the way a browser does
//! and checks every hop: login, identity, data with consent (the DP decrypting the hub's answer),
//! journal, logout, and a new login that shows the mire again. Then FranceConnect+, through the
//! hub directly with a test client that registered encryption keys (`docs/franceconnect-plus.md`);
//! the example SP's own FranceConnect+ login is walked in `restart.rs` and the browser suite.

// Helper functions of an integration-test binary are not covered by clippy's test exemption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fc_demo::{Options, launch};
use fc_plumbing::testing::{Browser, Page, set};

struct Urls {
    hub: String,
    hub_plus: String,
    sp: String,
    idp: String,
    dp: String,
}

async fn start() -> (Urls, Vec<actix_web::dev::ServerHandle>) {
    let (urls, _, handles) = start_with_plus().await;
    (urls, handles)
}

async fn start_with_plus() -> (
    Urls,
    actix_web::web::Data<hub::platform::Platform>,
    Vec<actix_web::dev::ServerHandle>,
) {
    let demo = launch(&Options::on_free_ports())
        .await
        .expect("the programs start");
    let urls = Urls {
        hub: demo.hub_url.clone(),
        hub_plus: demo.hub_plus_url.clone(),
        sp: demo.sp_url.clone(),
        idp: demo.idp_url.clone(),
        dp: demo.dp_url.clone(),
    };
    let plus = demo.hub_plus_platform();
    (urls, plus, demo.spawn())
}

fn hop_urls(page: &Page) -> Vec<String> {
    page.hops
        .iter()
        .map(|h| h.url.split('?').next().unwrap_or_default().to_owned())
        .collect()
}

/// SP home → mire → IdP form → consent page, as 3_melaine.
async fn log_in_until_consent(browser: &Browser, urls: &Urls) -> Page {
    let home = browser.open(&format!("{}/", urls.sp)).await;
    home.assert_contains("id=\"fc-login\"");

    let mire = browser.open(&format!("{}/login", urls.sp)).await;
    let hops = hop_urls(&mire);
    assert_eq!(
        hops[1],
        format!("{}/api/v2/authorize", urls.hub),
        "{hops:?}"
    );
    let authorize = reqwest::Url::parse(&mire.hops[1].url).unwrap();
    let mut names: Vec<String> = authorize
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "acr_values",
            "client_id",
            "nonce",
            "redirect_uri",
            "response_type",
            "scope",
            "state"
        ]
    );
    assert!(
        mire.url
            .starts_with(&format!("{}/api/v2/interaction/", urls.hub)),
        "{}",
        mire.url
    );
    assert_eq!(mire.status, 200);
    mire.assert_contains("data-testid=\"idp-impots-gouv\"");

    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login_form = browser.submit(&action, &fields).await;
    assert!(
        login_form
            .url
            .starts_with(&format!("{}/authorize", urls.idp)),
        "{}",
        login_form.url
    );
    let (action, mut fields) = login_form.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    set(&mut fields, "acr", "eidas1");
    let consent = browser.submit(&action, &fields).await;
    let hops = hop_urls(&consent);
    assert!(
        hops.contains(&format!("{}/api/v2/oidc-callback", urls.hub)),
        "{hops:?}"
    );
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    consent
}

#[tokio::test]
async fn the_whole_journey_login_identity_data_logout() {
    let (urls, handles) = start().await;
    let browser = Browser::new();

    // 1. Login and identity.
    let consent = log_in_until_consent(&browser, &urls).await;
    assert_eq!(
        consent.element_text("identity-name"),
        "Mélaine Évelyne TROIS"
    );
    let (action, fields) = consent.form("id=\"consent-form\"");
    let me = browser.submit(&action, &fields).await;
    let hops = hop_urls(&me);
    assert!(
        hops.contains(&format!("{}/oidc-callback", urls.sp)),
        "{hops:?}"
    );
    let callback = me
        .hops
        .iter()
        .find(|h| h.url.starts_with(&format!("{}/oidc-callback", urls.sp)))
        .unwrap();
    let callback = reqwest::Url::parse(&callback.url).unwrap();
    let iss = callback
        .query_pairs()
        .find(|(k, _)| k == "iss")
        .map(|(_, v)| v.into_owned());
    assert_eq!(iss, Some(format!("{}/api/v2", urls.hub)));
    assert_eq!(me.status, 200, "{}", me.body);
    let userinfo: serde_json::Value =
        serde_json::from_str(&me.element_text("userinfo-json")).unwrap();
    assert_eq!(userinfo["given_name"], "Mélaine Évelyne");
    assert_eq!(userinfo["family_name"], "TROIS");
    assert_eq!(userinfo["birthdate"], "1981-07-27");
    let sub = userinfo["sub"].as_str().unwrap().to_owned();
    assert_eq!(sub.len(), 66);
    assert!(sub.ends_with("v1"));
    let id_token: serde_json::Value =
        serde_json::from_str(&me.element_text("id-token-payload")).unwrap();
    assert_eq!(id_token["sub"], sub.as_str());
    assert_eq!(id_token["acr"], "eidas1");
    assert_eq!(id_token["iss"], format!("{}/api/v2", urls.hub));

    // 2. Data: SSO (no mire, no IdP), consent for the DGFiP data, then the DP's answer.
    let consent = browser.open(&format!("{}/data/login", urls.sp)).await;
    let hops = hop_urls(&consent);
    assert!(
        !hops.iter().any(|h| h.starts_with(&urls.idp)),
        "SSO must skip the IdP: {hops:?}"
    );
    assert!(
        consent.url.ends_with("/consent"),
        "SSO goes straight to consent: {}",
        consent.url
    );
    consent.assert_contains("Direction générale des Finances publiques");
    consent.assert_contains("name=\"consent\"");
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let data = browser.submit(&action, &fields).await;
    assert!(
        data.url.starts_with(&format!("{}/data", urls.sp)),
        "{}",
        data.url
    );
    let json: serde_json::Value = serde_json::from_str(&data.element_text("data-json")).unwrap();
    assert_eq!(json["rfr"], 42000, "{json}");
    assert_eq!(json["sitFam"], "M", "{json}");
    // The hub encrypted its checktoken answer to the DP's key (fixtures/hub/data-providers.toml):
    // the DP's own journal shows the JWE it opened, then the signed answer inside.
    let correlation_id = data
        .body
        .split("X-Correlation-ID <code class=\"break\">")
        .nth(1)
        .unwrap();
    let correlation_id = correlation_id.split("</code>").next().unwrap();
    let dp_journal: serde_json::Value =
        reqwest::get(format!("{}/exchanges/{correlation_id}", urls.dp))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let checktoken = &dp_journal[0];
    assert_eq!(checktoken["kind"], "checktoken", "{dp_journal}");
    assert_eq!(
        checktoken["jwe"]["header"]["alg"], "ECDH-ES",
        "{dp_journal}"
    );
    assert_eq!(checktoken["jwe"]["decrypted"], true);
    assert_eq!(checktoken["jws"]["signature_valid"], true);

    // 3. The journal shows the exchanges.
    let journal = browser.open(&format!("{}/journal", urls.sp)).await;
    journal.assert_contains("id=\"exchanges\"");
    let text = fc_plumbing::testing::unescape(&journal.body);
    assert!(
        text.contains(&format!("{}/api/v2/token", urls.hub)),
        "the journal shows the token call"
    );
    assert!(
        text.contains(&format!("{}/api/v2/checktoken", urls.hub)),
        "the journal shows the DP's checktoken call"
    );
    assert!(
        !text.contains("a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5"),
        "client secret must be masked"
    );

    // 4. Logout: SP → hub → IdP → hub → SP.
    let out = browser.open(&format!("{}/logout", urls.sp)).await;
    let hops = hop_urls(&out);
    assert_eq!(
        hops[1],
        format!("{}/api/v2/session/end", urls.hub),
        "{hops:?}"
    );
    assert_eq!(hops[2], format!("{}/session/end", urls.idp), "{hops:?}");
    assert_eq!(
        hops[3],
        format!("{}/api/v2/client/logout-callback", urls.hub),
        "{hops:?}"
    );
    assert_eq!(hops[4], format!("{}/logout-callback", urls.sp), "{hops:?}");
    assert_eq!(out.status, 200);

    // 5. Logged out everywhere: a new login shows the mire again, and the IdP asks again.
    let mire = browser.open(&format!("{}/login", urls.sp)).await;
    assert!(
        mire.url.contains("/api/v2/interaction/") && !mire.url.ends_with("/consent"),
        "{}",
        mire.url
    );
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login_form = browser.submit(&action, &fields).await;
    login_form.assert_contains("id=\"login-form\"");

    for h in handles {
        h.stop(false).await;
    }
}

#[tokio::test]
async fn two_browsers_get_their_own_identity() {
    let (urls, handles) = start().await;
    let (a, b) = (Browser::new(), Browser::new());
    let consent_a = log_in_until_consent(&a, &urls).await;
    // The second browser has its own cookie jar: no SSO for it.
    let mire_b = b.open(&format!("{}/login", urls.sp)).await;
    assert!(!mire_b.url.ends_with("/consent"), "{}", mire_b.url);
    let (action, fields) = consent_a.form("id=\"consent-form\"");
    let me = a.submit(&action, &fields).await;
    me.assert_contains("TROIS");
    for h in handles {
        h.stop(false).await;
    }
}

/// `cargo run` turns the hub's control API on with a generated token (printed with the URLs),
/// or with the one given.
#[tokio::test]
async fn the_hub_control_api_is_on_with_a_generated_or_given_token() {
    let options = Options::on_free_ports();
    let (first, second) = (
        launch(&options).await.unwrap(),
        launch(&options).await.unwrap(),
    );
    assert_ne!(
        first.hub_admin_token, second.hub_admin_token,
        "a fresh token each start"
    );
    assert!(first.hub_admin_token.expose().len() >= 16);
    let config = format!("{}/admin/api/config", first.hub_url);
    let token = first.hub_admin_token.clone();
    let handles: Vec<_> = first.spawn().into_iter().chain(second.spawn()).collect();
    let client = reqwest::Client::new();
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(client.get(&config).send().await.unwrap()), 401);
    let answer = client
        .get(&config)
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let given = fc_plumbing::Secret::new("a-token-given-by-the-developer");
    let demo = launch(&Options {
        hub_admin_token: Some(given.clone()),
        ..options
    })
    .await
    .unwrap();
    assert_eq!(demo.hub_admin_token, given);
    let config = format!("{}/admin/api/config", demo.hub_url);
    let handles: Vec<_> = handles.into_iter().chain(demo.spawn()).collect();
    let answer = client
        .get(&config)
        .bearer_auth(given.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    for h in handles {
        h.stop(false).await;
    }
}

/// A JWKS served on a free port: the test client's `jwks_uri`.
async fn serve_jwks(jwks: serde_json::Value) -> (String, actix_web::dev::ServerHandle) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/jwks.json",
        listener.local_addr().unwrap().port()
    );
    let server = HttpServer::new(move || {
        let jwks = jwks.clone();
        App::new().default_service(web::to(move || {
            let jwks = jwks.clone();
            async move { HttpResponse::Ok().json(jwks) }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (url, handle)
}

/// FranceConnect+ beside FranceConnect, with the same IdP: a test client registered with
/// encryption (ECDH-ES for the ID token, RSA-OAEP-256 for userinfo) logs in at eidas3 and
/// decrypts, then verifies, what the hub sends.
#[tokio::test]
async fn franceconnect_plus_runs_beside_franceconnect_with_encrypted_tokens() {
    use fc_plumbing::jwe::{ContentEnc, DecryptionKeys, KeyAlg, decrypt};
    let (urls, plus, mut handles) = start_with_plus().await;
    let keys = DecryptionKeys::generate().unwrap();
    let (jwks_uri, jwks_server) = serve_jwks(keys.jwks()).await;
    handles.push(jwks_server);
    const ID: &str = "launcher-test-client-of-franceconnect-plus";
    const SECRET: &str = "launcher-test-secret-of-franceconnect-plus-00000000000000";
    const CALLBACK: &str = "http://client-plus.test/oidc-callback";
    let mut registry = (*plus.registry()).clone();
    registry
        .add_toml(&format!(
            r#"
[[service_provider]]
client_id = "{ID}"
client_secret = "{SECRET}"
name = "Client de test FranceConnect+"
entity_id = "{ID}"
type = "public"
scopes = ["openid", "given_name", "family_name", "birthdate", "rnipp_birthdate"]
redirect_uris = ["{CALLBACK}"]
id_token_encrypted_response_alg = "ECDH-ES"
id_token_encrypted_response_enc = "A256GCM"
userinfo_encrypted_response_alg = "RSA-OAEP-256"
userinfo_encrypted_response_enc = "A256GCM"
jwks_uri = "{jwks_uri}"
"#
        ))
        .unwrap();
    plus.set_registry(registry);

    let browser = Browser::stopping_at("http://client-plus.test");
    let authorize = fc_plumbing::web::url_with_query(
        &format!("{}/api/v2/authorize", urls.hub_plus),
        &[
            ("client_id", ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid given_name family_name rnipp_birthdate"),
            ("state", "plus-state"),
            ("nonce", "a-nonce-long-enough-for-franceconnect-plus"),
            ("acr_values", "eidas3"),
        ],
    );
    let mire = browser.open(&authorize).await;
    assert!(mire.url.starts_with(&urls.hub_plus), "{}", mire.url);
    mire.assert_contains("FranceConnect+");
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    assert!(login.url.starts_with(&urls.idp), "{}", login.url);
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    let (action, fields) = consent.form("id=\"consent-form\"");
    let back = browser.submit(&action, &fields).await;
    let callback = reqwest::Url::parse(&back.url).unwrap();
    let q: std::collections::HashMap<String, String> =
        callback.query_pairs().into_owned().collect();
    assert_eq!(q["iss"], format!("{}/api/v2", urls.hub_plus));

    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v2/token", urls.hub_plus))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", ID),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hub_jwks: serde_json::Value = reqwest::get(format!("{}/api/v2/jwks", urls.hub_plus))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hub_jwks = fc_plumbing::jose::parse_jwks(&hub_jwks).unwrap();
    let open = |jwe: &str, alg: KeyAlg| {
        let inner = decrypt(jwe, &keys, alg, ContentEnc::A256Gcm).unwrap();
        assert_eq!(inner.header["iss"], format!("{}/api/v2", urls.hub_plus));
        fc_plumbing::jose::verify_jwt(&inner.plaintext, fc_plumbing::Jwa::ES256, &hub_jwks, None)
            .unwrap()
    };
    let id_token = open(tokens["id_token"].as_str().unwrap(), KeyAlg::EcdhEs);
    assert_eq!(id_token["acr"], "eidas3");
    assert_eq!(id_token["amr"], serde_json::Value::Null, "amr not asked");
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", urls.hub_plus))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let userinfo = open(&userinfo, KeyAlg::RsaOaep256);
    assert_eq!(userinfo["family_name"], "TROIS");
    assert_eq!(userinfo["rnipp_birthdate"], "1981-07-27");
    assert_eq!(userinfo["sub"], id_token["sub"]);

    // FranceConnect, beside it, still answers on its own port with its own issuer.
    let fc: serde_json::Value = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        urls.hub
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(fc["issuer"], format!("{}/api/v2", urls.hub));
    assert!(fc.get("id_token_encryption_alg_values_supported").is_none());
    for h in handles {
        h.stop(false).await;
    }
}
