//! The hub facing hostile or careless peers: an IdP callback naming another issuer, an IdP that
//! answers megabytes, a token request in JSON, an anonymous token at checktoken, a logout whose
//! ID token was signed with keys the hub no longer has.

use super::*;
use actix_web::{App, HttpResponse, HttpServer, web};

/// A hostile IdP on a free port: its token endpoint answers `token_body`.
struct StubIdp {
    url: String,
    handle: actix_web::dev::ServerHandle,
}

impl StubIdp {
    async fn start(token_body: Vec<u8>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let body = web::Data::new(token_body);
        let server = HttpServer::new(move || {
            App::new().app_data(body.clone()).route(
                "/token",
                web::post().to(|body: web::Data<Vec<u8>>| async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body.get_ref().clone())
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, handle }
    }

    fn registration(&self) -> String {
        format!(
            r#"
[[identity_provider]]
uid = "stub-idp"
slug = "stub-idp"
title = "IdP hostile"
active = true
order = 99
allowed_acr = ["eidas1"]
issuer = "{url}"
authorization_endpoint = "{url}/authorize"
token_endpoint = "{url}/token"
userinfo_endpoint = "{url}/userinfo"
jwks_uri = "{url}/jwks"
client_id = "hub"
client_secret = "secret-of-the-hub-at-the-stub"
redirect_uri = "http://localhost:8000/api/v2/oidc-callback"
"#,
            url = self.url
        )
    }
}

/// Walks to the IdP whose mire button is `slug` and returns the IdP authorize URL it was sent to.
async fn to_idp(hub: &TestHub, browser: &Browser, slug: &str) -> String {
    let mire = browser.open(&hub.authorize_url(&[])).await;
    let (action, fields) = mire.form(&format!("data-testid=\"idp-{slug}\""));
    browser.submit(&action, &fields).await.url
}

#[tokio::test]
async fn an_idp_callback_naming_another_issuer_is_refused_before_any_back_channel_call() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at(&format!("{}/api/v2/oidc-callback", hub.url));
    let form = browser.open(&hub.authorize_url(&[])).await;
    let (action, fields) = form.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let at_callback = browser.submit(&action, &fields).await;
    let callback = at_callback.url.clone();
    assert!(callback.contains("code="), "{callback}");

    let forged = format!("{callback}&iss=http%3A%2F%2Fevil.test");
    let refused = browser.open(&forged).await;
    assert_code(&refused, 403, "Y020031");
    refused.assert_contains("evil.test");

    // The IdP's code was never redeemed (IdP codes are single use): the genuine callback works.
    let consent = browser
        .open(&format!("{callback}&iss={}", urlencode(&hub.idp_url)))
        .await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    hub.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn an_idp_answering_megabytes_is_cut_short() {
    let mut huge = b"{\"access_token\":\"x\",\"id_token\":\"".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 20 << 20));
    huge.extend(b"\"}");
    let stub = StubIdp::start(huge).await;
    let registration = stub.registration();
    let hub = TestHub::start_with(|c| c.registry.add_toml(&registration).unwrap()).await;
    let browser = Browser::stopping_at(&stub.url);
    let at_idp = to_idp(&hub, &browser, "stub-idp").await;
    let state = query(&at_idp)["state"].clone();
    let page = browser
        .open(&format!(
            "{}/api/v2/oidc-callback?code=c&state={state}",
            hub.url
        ))
        .await;
    assert_code(&page, 502, "Y020026");
    page.assert_contains("larger than");
    stub.handle.stop(false).await;
    hub.stop().await;
}

#[tokio::test]
async fn a_token_request_in_json_is_invalid_request() {
    let hub = TestHub::start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v2/token", hub.url))
        .json(
            &serde_json::json!({"grant_type": "authorization_code", "code": "x",
            "client_id": SP_ID, "client_secret": SP_SECRET}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_anonymous_token_reveals_no_identity_at_checktoken() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub
        .code_from(&browser, &hub.authorize_url(&[("scope", "openid")]))
        .await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let answer = checktoken_v2(&hub, token).await;
    assert_eq!(
        answer["token_introspection"],
        serde_json::json!({"active": false})
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_logout_hint_signed_with_keys_the_hub_no_longer_has_still_ends_the_session() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let genuine = tokens["id_token"].as_str().unwrap();
    let claims = fc_plumbing::jose::decode_unverified(genuine)
        .unwrap()
        .payload;

    // A hint altered after signing, with a key the hub has: refused.
    let (head, signature) = genuine.rsplit_once('.').unwrap();
    let (header, _) = head.split_once('.').unwrap();
    let mut other = claims.clone();
    other["sub"] = serde_json::json!("someone-else");
    let payload = base64url(&serde_json::to_vec(&other).unwrap());
    let tampered = format!("{header}.{payload}.{signature}");
    let refused = browser.open(&logout_url(&hub, &tampered)).await;
    assert_code(&refused, 400, "Y030007");

    // The same claims signed by the keys of a previous run (unknown kid): the session ends.
    let old_keys = fc_plumbing::KeySet::generate("hub").unwrap();
    let old = fc_plumbing::jose::sign_jwt(&old_keys.signer(fc_plumbing::Jwa::ES256, ""), &claims)
        .unwrap();
    let out = browser.open(&logout_url(&hub, &old)).await;
    assert_eq!(
        out.url, "http://sp.test/logout-callback?state=bye",
        "{:?}",
        out.hops
    );
    let again = browser.open(&hub.authorize_url(&[])).await;
    assert!(
        again.url.contains("/interaction/"),
        "no SSO left: {}",
        again.url
    );
    assert!(!again.url.ends_with("/consent"));
    hub.stop().await;
}

fn logout_url(hub: &TestHub, hint: &str) -> String {
    fc_plumbing::web::url_with_query(
        &format!("{}/api/v2/session/end", hub.url),
        &[
            ("id_token_hint", hint),
            ("state", "bye"),
            ("post_logout_redirect_uri", "http://sp.test/logout-callback"),
        ],
    )
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn health_reports_the_peers_as_last_probed() {
    let hub = TestHub::start().await;
    let health = || async {
        reqwest::get(format!("{}/health", hub.url))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    hub.health.refresh(&hub.platform).await;
    let up = health().await;
    assert_eq!(up["status"], "ok");
    assert_eq!(up["peers"]["store"], "ok");
    assert_eq!(up["peers"]["idp:identity-provider-example"], "ok", "{up}");
    hub.stop_idp().await;
    hub.health.refresh(&hub.platform).await;
    let down = health().await;
    assert_eq!(down["status"], "ok", "the hub itself is alive");
    assert_eq!(
        down["peers"]["idp:identity-provider-example"], "unreachable",
        "{down}"
    );
    hub.stop().await;
}
