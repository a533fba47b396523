//! Scenarios (`docs/admin.md`): for each one, the hub sends the SP exactly the defect its name
//! says (read here by a witness client), the real example service provider — built on
//! `openidconnect` — refuses it with its French error page, and `DELETE` brings normal logins back.

use std::net::TcpListener;

use fc_plumbing::jose::{self, JoseError};
use fc_plumbing::testing::Page;
use serde_json::json;

use super::admin::{admin_hub, call, new_sp_body};
use super::*;

/// The example SP, registered at the hub through the control API and started on a free port.
struct Stack {
    hub: TestHub,
    sp_url: String,
    sp: actix_web::dev::ServerHandle,
}

const UNDER_TEST: &str = "example-sp-under-test";

impl Stack {
    async fn start() -> Self {
        let hub = admin_hub().await;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sp_url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let mut body = new_sp_body(&hub, UNDER_TEST, &format!("{sp_url}/oidc-callback")).await;
        body["post_logout_redirect_uris"] = json!([format!("{sp_url}/logout-callback")]);
        let (status, _) = call(
            &hub,
            "PUT",
            &format!("/admin/api/service-providers/{UNDER_TEST}"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 201);
        let mut config = service_provider_example::Config::local();
        config.public_url = sp_url.clone();
        config.hub_url = hub.url.clone();
        config.dp_url = hub.url.clone();
        config.client_id = UNDER_TEST.into();
        config.client_secret = body["client_secret"].as_str().unwrap().into();
        let app = service_provider_example::Application::build(config, listener)
            .await
            .unwrap();
        let sp = app.handle();
        tokio::spawn(app.run_until_stopped());
        Self { hub, sp_url, sp }
    }

    async fn set(&self, scenario: Value) {
        let path = format!("/admin/api/service-providers/{UNDER_TEST}/scenario");
        let (status, answer) = call(&self.hub, "PUT", &path, Some(scenario)).await;
        assert_eq!(status, 200, "{answer}");
    }

    async fn clear(&self) {
        let path = format!("/admin/api/service-providers/{UNDER_TEST}/scenario");
        let (status, _) = call(&self.hub, "DELETE", &path, None).await;
        assert_eq!(status, 204);
    }

    /// A person logs in at the example SP (a fresh browser: no SSO) and ends on this page.
    async fn login(&self) -> Page {
        walk(&Browser::new(), &format!("{}/login", self.sp_url)).await
    }

    async fn stop(self) {
        self.sp.stop(false).await;
        self.hub.stop().await;
    }
}

fn assert_logged_in(page: &Page) {
    assert!(
        page.status == 200 && page.url.ends_with("/me"),
        "logged in expected, got {} at {}:\n{}",
        page.status,
        page.url,
        page.body
    );
}

/// The SP's error page: its status, its error code, and words of its detail.
fn assert_refused(page: &Page, status: u16, code: &str, detail: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    assert_eq!(page.element_text("error-code"), code, "{}", page.body);
    assert!(!page.element_text("error-explanation").is_empty());
    if !detail.is_empty() {
        let shown = page.element_text("error-description").to_lowercase();
        assert!(shown.contains(detail), "{detail:?} not in {shown:?}");
    }
}

/// The example SP meets `scenario`, refuses it, then logs in normally once it is cleared.
async fn example_sp_refuses(scenario: &str, status: u16, code: &str, detail: &str) {
    let stack = Stack::start().await;
    assert_logged_in(&stack.login().await);
    stack.set(json!({"scenario": scenario})).await;
    assert_refused(&stack.login().await, status, code, detail);
    stack.clear().await;
    assert_logged_in(&stack.login().await);
    stack.stop().await;
}

#[tokio::test]
async fn example_sp_refuses_an_id_token_from_another_issuer() {
    example_sp_refuses("id_token_wrong_iss", 502, "invalid_id_token", "(iss)").await;
}

#[tokio::test]
async fn example_sp_refuses_an_id_token_for_another_audience() {
    example_sp_refuses("id_token_wrong_aud", 502, "invalid_id_token", "(aud)").await;
}

#[tokio::test]
async fn example_sp_refuses_an_id_token_with_a_bad_signature() {
    example_sp_refuses(
        "id_token_bad_signature",
        502,
        "invalid_id_token",
        "signature",
    )
    .await;
}

#[tokio::test]
async fn example_sp_refuses_an_id_token_signed_by_an_unknown_key() {
    example_sp_refuses("id_token_unknown_kid", 502, "invalid_id_token", "kid").await;
}

#[tokio::test]
async fn example_sp_refuses_an_unsigned_id_token() {
    example_sp_refuses("id_token_alg_none", 502, "invalid_id_token", "").await;
}

#[tokio::test]
async fn example_sp_refuses_an_id_token_with_another_nonce() {
    example_sp_refuses("id_token_wrong_nonce", 502, "invalid_id_token", "nonce").await;
}

#[tokio::test]
async fn example_sp_refuses_an_expired_id_token() {
    example_sp_refuses("id_token_expired", 502, "invalid_id_token", "expiré").await;
}

#[tokio::test]
async fn example_sp_refuses_an_id_token_without_nonce() {
    example_sp_refuses("id_token_missing_claim", 502, "invalid_id_token", "nonce").await;
}

#[tokio::test]
async fn example_sp_refuses_userinfo_about_somebody_else() {
    example_sp_refuses("userinfo_other_sub", 502, "invalid_userinfo", "sub").await;
}

#[tokio::test]
async fn example_sp_refuses_userinfo_with_a_bad_signature() {
    example_sp_refuses(
        "userinfo_bad_signature",
        502,
        "invalid_userinfo",
        "signature",
    )
    .await;
}

#[tokio::test]
async fn example_sp_reports_a_failing_token_endpoint() {
    example_sp_refuses("token_500", 502, "token_error", "server_error").await;
}

#[tokio::test]
async fn example_sp_reports_an_unreadable_token_answer() {
    example_sp_refuses("token_invalid_json", 502, "token_error", "").await;
}

#[tokio::test]
async fn example_sp_reports_a_failing_userinfo_endpoint() {
    example_sp_refuses("userinfo_500", 502, "invalid_userinfo", "500").await;
}

#[tokio::test]
async fn example_sp_ignores_a_callback_with_another_state() {
    example_sp_refuses("callback_wrong_state", 400, "state_mismatch", "").await;
}

#[tokio::test]
async fn example_sp_explains_access_denied() {
    // A refusal is the person's choice, not an error: the SP says so plainly, with a 200.
    let stack = Stack::start().await;
    assert_logged_in(&stack.login().await);
    stack
        .set(json!({"scenario": "callback_error_access_denied"}))
        .await;
    let refused = stack.login().await;
    assert_eq!(refused.status, 200, "{}", refused.body);
    refused.assert_contains("id=\"refused-message\"");
    stack.clear().await;
    assert_logged_in(&stack.login().await);
    stack.stop().await;
}

/// A correct SP meets an unknown `kid`, fetches the JWKS again, finds the new key and goes on.
#[tokio::test]
async fn example_sp_follows_a_key_rotation() {
    let stack = Stack::start().await;
    // The SP has fetched (and keeps) the JWKS of before the rotation.
    assert_logged_in(&stack.login().await);
    stack.set(json!({"scenario": "jwks_rotated"})).await;
    assert_logged_in(&stack.login().await);
    stack.clear().await;
    assert_logged_in(&stack.login().await);
    stack.stop().await;
}

// --- What the hub sends, read by a witness client ---------------------------------------------

const WITNESS: &str = "sp-witness";
const WITNESS_CB: &str = "http://sp-witness.test/cb";

async fn witness_hub() -> (TestHub, String) {
    let hub = admin_hub().await;
    let body = new_sp_body(&hub, WITNESS, WITNESS_CB).await;
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &hub,
        "PUT",
        &format!("/admin/api/service-providers/{WITNESS}"),
        Some(body),
    )
    .await;
    assert_eq!(status, 201);
    (hub, secret)
}

async fn set_witness(hub: &TestHub, scenario: Value) {
    let path = format!("/admin/api/service-providers/{WITNESS}/scenario");
    let (status, answer) = call(hub, "PUT", &path, Some(scenario)).await;
    assert_eq!(status, 200, "{answer}");
}

/// From `start` (an SP's login or an authorize URL) through the mire, the IdP as 3_melaine and
/// the consent page: the page it ends on.
async fn walk(browser: &Browser, start: &str) -> Page {
    let mire = browser.open(start).await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    browser.submit(&action, &fields).await
}

/// A journey for the witness SP: the query of the redirect that comes back to it.
async fn back_at_witness(hub: &TestHub) -> std::collections::HashMap<String, String> {
    let browser = Browser::stopping_at("http://sp-witness.test");
    let authorize = hub.authorize_url(&[("client_id", WITNESS), ("redirect_uri", WITNESS_CB)]);
    let back = walk(&browser, &authorize).await;
    assert!(back.url.starts_with(WITNESS_CB), "{}", back.url);
    query(&back.url)
}

async fn witness_token(hub: &TestHub, secret: &str, code: &str) -> reqwest::Response {
    token_form(
        hub,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", WITNESS_CB),
            ("client_id", WITNESS),
            ("client_secret", secret),
        ],
    )
    .await
}

/// A whole login for the witness: the token answer.
async fn witness_tokens(hub: &TestHub, secret: &str) -> Value {
    let back = back_at_witness(hub).await;
    let response = witness_token(hub, secret, &back["code"]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn userinfo(hub: &TestHub, access_token: &str) -> reqwest::Response {
    raw_client()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

fn claims_of(jwt: &str) -> Value {
    jose::decode_unverified(jwt).unwrap().payload
}

/// The ID token's claims must be a normal login's except `changed`.
fn only_changed(normal: &Value, got: &Value, changed: &[&str]) {
    for claim in ["iss", "aud", "nonce", "acr", "sub"] {
        if changed.contains(&claim) {
            assert_ne!(got.get(claim), normal.get(claim), "{claim} must differ");
        } else {
            assert_eq!(got.get(claim), normal.get(claim), "{claim} must not differ");
        }
    }
}

#[tokio::test]
async fn each_id_token_scenario_changes_exactly_what_its_name_says() {
    let (hub, secret) = witness_hub().await;
    let keys = jwks(&hub).await;
    let normal = witness_tokens(&hub, &secret).await;
    let normal = jose::verify_jwt(
        normal["id_token"].as_str().unwrap(),
        fc_plumbing::Jwa::ES256,
        &keys,
        None,
    )
    .unwrap();
    let verify = |jwt: &str| jose::verify_jwt(jwt, fc_plumbing::Jwa::ES256, &keys, None);
    let cases: [(&str, &[&str]); 5] = [
        ("id_token_wrong_iss", &["iss"]),
        ("id_token_wrong_aud", &["aud"]),
        ("id_token_wrong_nonce", &["nonce"]),
        ("id_token_missing_claim", &["nonce"]),
        ("id_token_expired", &[]),
    ];
    for (scenario, changed) in cases {
        set_witness(&hub, json!({"scenario": scenario})).await;
        let tokens = witness_tokens(&hub, &secret).await;
        let jwt = tokens["id_token"].as_str().unwrap();
        let claims = verify(jwt).unwrap_or_else(|e| panic!("{scenario}: signed as usual: {e}"));
        only_changed(&normal, &claims, changed);
        match scenario {
            "id_token_missing_claim" => assert!(claims.get("nonce").is_none()),
            "id_token_expired" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64;
                assert!(claims["exp"].as_i64().unwrap() < now - 300, "{claims}");
            }
            _ => {}
        }
    }

    set_witness(&hub, json!({"scenario": "id_token_bad_signature"})).await;
    let jwt = witness_tokens(&hub, &secret).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(matches!(verify(&jwt), Err(JoseError::BadSignature)));
    only_changed(&normal, &claims_of(&jwt), &[]);

    set_witness(&hub, json!({"scenario": "id_token_unknown_kid"})).await;
    let jwt = witness_tokens(&hub, &secret).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(matches!(verify(&jwt), Err(JoseError::UnknownKey(_))));
    assert!(
        matches!(
            jose::verify_jwt(&jwt, fc_plumbing::Jwa::ES256, &jwks(&hub).await, None),
            Err(JoseError::UnknownKey(_))
        ),
        "published nowhere"
    );
    only_changed(&normal, &claims_of(&jwt), &[]);

    set_witness(&hub, json!({"scenario": "id_token_alg_none"})).await;
    let jwt = witness_tokens(&hub, &secret).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jose::decode_unverified(&jwt).unwrap().header["alg"], "none");
    assert!(jwt.ends_with('.'), "empty signature");
    assert!(verify(&jwt).is_err());
    only_changed(&normal, &claims_of(&jwt), &[]);

    // Rotation: a new kid, published now next to the usual keys, and unknown to the old JWKS.
    set_witness(&hub, json!({"scenario": "jwks_rotated"})).await;
    let jwt = witness_tokens(&hub, &secret).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(matches!(verify(&jwt), Err(JoseError::UnknownKey(_))));
    let rotated = jwks(&hub).await;
    let claims = jose::verify_jwt(&jwt, fc_plumbing::Jwa::ES256, &rotated, None).unwrap();
    only_changed(&normal, &claims, &[]);
    // The usual keys stay published for every other SP.
    let usual = witness_tokens_of_fixture_sp(&hub).await;
    assert!(jose::verify_jwt(&usual, fc_plumbing::Jwa::ES256, &keys, None).is_ok());

    // Cleared: signed as usual again.
    let path = format!("/admin/api/service-providers/{WITNESS}/scenario");
    call(&hub, "DELETE", &path, None).await;
    let jwt = witness_tokens(&hub, &secret).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    only_changed(&normal, &verify(&jwt).unwrap(), &[]);
    assert_eq!(
        jwks(&hub).await.keys().len(),
        keys.keys().len(),
        "the rotated key is gone"
    );
    hub.stop().await;
}

async fn witness_tokens_of_fixture_sp(hub: &TestHub) -> String {
    let code = hub.code(&Browser::stopping_at("http://sp.test")).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    tokens["id_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn token_and_userinfo_scenarios_answer_exactly_their_defect() {
    let (hub, secret) = witness_hub().await;
    let keys = jwks(&hub).await;

    set_witness(&hub, json!({"scenario": "token_500"})).await;
    let back = back_at_witness(&hub).await;
    let failed = witness_token(&hub, &secret, &back["code"]).await;
    assert_eq!(failed.status(), 500);
    let error: Value = failed.json().await.unwrap();
    assert_eq!(error["error"], "server_error");

    set_witness(&hub, json!({"scenario": "token_invalid_json"})).await;
    let back = back_at_witness(&hub).await;
    let garbled = witness_token(&hub, &secret, &back["code"]).await;
    assert_eq!(garbled.status(), 200);
    assert!(
        garbled.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = garbled.text().await.unwrap();
    assert!(
        text.starts_with('{') && serde_json::from_str::<Value>(&text).is_err(),
        "{text}"
    );

    for scenario in [
        "userinfo_other_sub",
        "userinfo_bad_signature",
        "userinfo_500",
    ] {
        set_witness(&hub, json!({"scenario": scenario})).await;
        let tokens = witness_tokens(&hub, &secret).await;
        let id_token = jose::verify_jwt(
            tokens["id_token"].as_str().unwrap(),
            fc_plumbing::Jwa::ES256,
            &keys,
            None,
        )
        .unwrap();
        let answer = userinfo(&hub, tokens["access_token"].as_str().unwrap()).await;
        if scenario == "userinfo_500" {
            assert_eq!(answer.status(), 500);
            assert_eq!(
                answer.json::<Value>().await.unwrap()["error"],
                "server_error"
            );
            continue;
        }
        assert_eq!(answer.status(), 200);
        let jwt = answer.text().await.unwrap();
        let verified = jose::verify_jwt(&jwt, fc_plumbing::Jwa::ES256, &keys, None);
        let claims = claims_of(&jwt);
        assert_eq!(
            claims["given_name"], "Mélaine Évelyne",
            "the person's claims are there"
        );
        if scenario == "userinfo_other_sub" {
            assert!(verified.is_ok());
            assert_ne!(claims["sub"], id_token["sub"]);
        } else {
            assert!(matches!(verified, Err(JoseError::BadSignature)));
            assert_eq!(claims["sub"], id_token["sub"]);
        }
    }
    hub.stop().await;
}

#[tokio::test]
async fn callback_scenarios_change_only_the_redirect() {
    let (hub, secret) = witness_hub().await;
    set_witness(&hub, json!({"scenario": "callback_wrong_state"})).await;
    let back = back_at_witness(&hub).await;
    assert_ne!(back["state"], "sp-state");
    assert_eq!(back["iss"], format!("{}/api/v2", hub.url));
    // The code is a real one: an SP that skipped the state check would log the person in.
    let redeemed = witness_token(&hub, &secret, &back["code"]).await;
    assert_eq!(redeemed.status(), 200);

    set_witness(&hub, json!({"scenario": "callback_error_access_denied"})).await;
    let back = back_at_witness(&hub).await;
    assert_eq!(back["error"], "access_denied");
    assert_eq!(back["state"], "sp-state");
    assert!(!back.contains_key("code"));
    hub.stop().await;
}

/// `token_slow` holds the answer past the client's patience: an `openidconnect` client with a
/// short timeout gives up (the example SP waits 10 s, too long for a test).
#[tokio::test]
async fn token_slow_holds_the_answer_past_the_client_timeout() {
    use openidconnect::core::{CoreClient, CoreProviderMetadata};
    use openidconnect::{AuthorizationCode, ClientId, ClientSecret, IssuerUrl, RedirectUrl};

    let (hub, secret) = witness_hub().await;
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let issuer = IssuerUrl::new(format!("{}/api/v2", hub.url)).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(WITNESS.into()),
        Some(ClientSecret::new(secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(WITNESS_CB.into()).unwrap())
    .set_auth_type(openidconnect::AuthType::RequestBody);
    let impatient = reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();

    set_witness(&hub, json!({"scenario": "token_slow", "delay_secs": 30})).await;
    let back = back_at_witness(&hub).await;
    let result = client
        .exchange_code(AuthorizationCode::new(back["code"].clone()))
        .unwrap()
        .request_async(&impatient)
        .await;
    match result {
        Err(openidconnect::RequestTokenError::Request(e)) => {
            let chain = format!("{e:?}");
            assert!(
                chain.to_lowercase().contains("timed out") || chain.contains("TimedOut"),
                "{chain}"
            );
        }
        other => panic!("a timeout expected, got {other:?}"),
    }

    let path = format!("/admin/api/service-providers/{WITNESS}/scenario");
    call(&hub, "DELETE", &path, None).await;
    let back = back_at_witness(&hub).await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(back["code"].clone()))
        .unwrap()
        .request_async(&http)
        .await;
    assert!(tokens.is_ok(), "{tokens:?}");
    hub.stop().await;
}

/// `count`: the next N logins only, then normal ones with no call.
#[tokio::test]
async fn a_counted_scenario_changes_the_next_logins_only() {
    let (hub, secret) = witness_hub().await;
    set_witness(&hub, json!({"scenario": "token_500", "count": 2})).await;
    for expected in [500, 500, 200, 200] {
        let back = back_at_witness(&hub).await;
        let answer = witness_token(&hub, &secret, &back["code"]).await;
        assert_eq!(answer.status(), expected);
    }
    let path = format!("/admin/api/service-providers/{WITNESS}/scenario");
    let (_, state) = call(&hub, "GET", &path, None).await;
    assert_eq!(
        (state["used"].as_i64(), state["remaining"].as_i64()),
        (Some(3), Some(0)),
        "{state}"
    );
    // Setting it again starts a new count.
    set_witness(&hub, json!({"scenario": "token_500", "count": 1})).await;
    let back = back_at_witness(&hub).await;
    assert_eq!(
        witness_token(&hub, &secret, &back["code"]).await.status(),
        500
    );
    hub.stop().await;
}
