//! Rules an OpenID conformance-suite module also checks, named after the module where there is
//! one (the suite itself cannot run here: it needs images from a registry).

use super::*;

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    let hub = TestHub::start().await;
    let client = raw_client();
    for uri in [
        "http://sp.test/oidc-callback/",
        "http://SP.TEST/oidc-callback",
        "http://sp.test/OIDC-callback",
        "http://user@sp.test/oidc-callback",
        "http://sp.test/oidc-callback#fragment",
        "http://sp.test/x/../oidc-callback",
        "http://sp.test/oidc%2Dcallback",
        "https://sp.test/oidc-callback",
        "http://sp.test.evil.test/oidc-callback",
        "http://sp.test:80/oidc-callback",
    ] {
        let response = client
            .get(hub.authorize_url(&[("redirect_uri", uri)]))
            .send()
            .await
            .unwrap();
        assert_error_page(response, 400, "Y04C013C").await;
    }
    hub.stop().await;
}

#[tokio::test]
async fn oidcc_redirect_uri_query_added() {
    let hub = TestHub::start().await;
    let response = raw_client()
        .get(hub.authorize_url(&[("redirect_uri", "http://sp.test/oidc-callback?foo=bar")]))
        .send()
        .await
        .unwrap();
    assert_error_page(response, 400, "Y04C013C").await;
    hub.stop().await;
}

#[tokio::test]
async fn oidcc_ensure_redirect_uri_in_authorization_request() {
    let hub = TestHub::start().await;
    let response = raw_client()
        .get(hub.authorize_url(&[("redirect_uri", "")]))
        .send()
        .await
        .unwrap();
    assert_error_page(response, 400, "Y030007").await;
    hub.stop().await;
}

/// OIDC lets a code-flow request omit the nonce (`oidcc-ensure-request-without-nonce-succeeds-
/// for-code-flow`); FranceConnect does not, and neither does the hub.
#[tokio::test]
async fn nonce_is_required_unlike_in_oidc_core() {
    let hub = TestHub::start().await;
    let response = raw_client()
        .get(hub.authorize_url(&[("nonce", "")]))
        .send()
        .await
        .unwrap();
    assert_error_page(response, 400, "Y030007").await;
    hub.stop().await;
}

#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    hub.clock.advance_secs(30);
    let reuse = hub.token(&code, SP_SECRET).await;
    assert_eq!(reuse.status().as_u16(), 400);
    assert_eq!(
        reuse.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status().as_u16(),
        401,
        "the token first issued from the code is revoked"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_code_older_than_30_seconds_is_invalid_grant() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    hub.clock.advance_secs(30);
    let late = hub.token(&code, SP_SECRET).await;
    assert_eq!(late.status().as_u16(), 400);
    let body: Value = late.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_access_token_lives_60_seconds() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let userinfo = || {
        reqwest::Client::new()
            .get(format!("{}/api/v2/userinfo", hub.url))
            .bearer_auth(token)
            .send()
    };
    hub.clock.advance_secs(59);
    assert_eq!(userinfo().await.unwrap().status().as_u16(), 200);
    hub.clock.advance_secs(1);
    assert_eq!(userinfo().await.unwrap().status().as_u16(), 401);
    hub.stop().await;
}

#[tokio::test]
async fn two_parallel_redemptions_of_one_code_give_exactly_one_token() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let (a, b) = tokio::join!(hub.token(&code, SP_SECRET), hub.token(&code, SP_SECRET));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
    hub.stop().await;
}

#[tokio::test]
async fn token_errors_follow_rfc_6749() {
    let hub = TestHub::start().await;
    let basic = reqwest::Client::new()
        .post(format!("{}/api/v2/token", hub.url))
        .basic_auth(SP_ID, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", SP_CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    assert!(
        basic.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let both = reqwest::Client::new()
        .post(format!("{}/api/v2/token", hub.url))
        .basic_auth(SP_ID, Some(SP_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", SP_CALLBACK),
            ("client_secret", SP_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        both.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let grant = token_form(
        &hub,
        &[
            ("grant_type", "password"),
            ("client_id", SP_ID),
            ("client_secret", SP_SECRET),
        ],
    )
    .await;
    assert_eq!(
        grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let unknown = token_form(
        &hub,
        &[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("redirect_uri", SP_CALLBACK),
            ("client_id", SP_ID),
            ("client_secret", SP_SECRET),
        ],
    )
    .await;
    assert_eq!(unknown.headers()["cache-control"], "no-store");
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let no_token = reqwest::get(format!("{}/api/v2/userinfo", hub.url))
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
    assert!(
        no_token.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    hub.stop().await;
}

#[tokio::test]
async fn keys_in_a_keys_folder_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("hub-keys-{}", fc_plumbing::random::token(6)));
    let first = TestHub::start_with(|c| c.keys_dir = Some(dir.clone())).await;
    let jwks1: Value = reqwest::get(format!("{}/api/v2/jwks", first.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    first.stop().await;
    let second = TestHub::start_with(|c| c.keys_dir = Some(dir.clone())).await;
    let jwks2: Value = reqwest::get(format!("{}/api/v2/jwks", second.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks1, jwks2);
    second.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
