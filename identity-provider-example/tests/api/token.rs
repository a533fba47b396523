use reqwest::StatusCode;

use crate::helpers::*;

async fn assert_oauth_error(response: reqwest::Response, status: StatusCode, error: &str) {
    assert_eq!(response.status(), status);
    let body = json(response).await;
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn a_code_works_once() {
    let idp = spawn().await;
    let code = idp.code_for_melaine("eidas1").await;
    let first = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_oauth_error(again, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn an_unknown_code_or_another_redirect_uri_is_invalid_grant() {
    let idp = spawn().await;
    let unknown = idp
        .token("made-up", REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_oauth_error(unknown, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let code = idp.code_for_melaine("eidas1").await;
    let other = idp
        .token(
            &code,
            "http://localhost:8000/other",
            ClientAuth::Post,
            CLIENT_SECRET,
        )
        .await;
    assert_oauth_error(other, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // The failed exchange burnt the code.
    let retry = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_oauth_error(retry, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client_and_keeps_the_code() {
    let idp = spawn().await;
    let code = idp.code_for_melaine("eidas1").await;
    let post = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, "wrong-secret")
        .await;
    assert!(post.headers().get("www-authenticate").is_none());
    assert_oauth_error(post, StatusCode::UNAUTHORIZED, "invalid_client").await;

    let basic = idp
        .token(&code, REDIRECT_URI, ClientAuth::Basic, "wrong-secret")
        .await;
    assert!(
        basic.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_oauth_error(basic, StatusCode::UNAUTHORIZED, "invalid_client").await;

    let ok = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn missing_authentication_and_bad_requests_are_oauth_errors() {
    let idp = spawn().await;
    let anonymous = idp
        .token_post(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    assert_oauth_error(anonymous, StatusCode::UNAUTHORIZED, "invalid_client").await;

    let credentials = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form = credentials.to_vec();
        form.extend_from_slice(extra);
        form
    };
    let refresh = idp
        .token_post(&with(&[("grant_type", "refresh_token")]))
        .await;
    assert_oauth_error(refresh, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let no_grant = idp.token_post(&with(&[("code", "x")])).await;
    assert_oauth_error(no_grant, StatusCode::BAD_REQUEST, "invalid_request").await;
    let no_code = idp
        .token_post(&with(&[
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT_URI),
        ]))
        .await;
    assert_oauth_error(no_code, StatusCode::BAD_REQUEST, "invalid_request").await;
    let twice = idp
        .token_post(&with(&[
            ("grant_type", "authorization_code"),
            ("code", "a"),
            ("code", "b"),
            ("redirect_uri", REDIRECT_URI),
        ]))
        .await;
    assert_oauth_error(twice, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_json_body_is_an_invalid_request_not_a_client_error() {
    let idp = spawn().await;
    let code = idp.code_for_melaine("eidas1").await;
    let body = serde_json::json!({
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
    });
    let response = idp
        .browser
        .post(idp.url("/token"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    // The same JSON sent without a Content-Type is not a form either.
    let response = idp
        .browser
        .post(idp.url("/token"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    // The code was not spent by the refused requests.
    let ok = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn codes_expire_after_30_seconds_and_access_tokens_after_60() {
    let (idp, clock) = spawn_with_clock(identity_provider_example::Config::local()).await;
    let late_code = idp.code_for_melaine("eidas1").await;
    clock.advance_secs(30);
    let late = idp
        .token(&late_code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_oauth_error(late, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let code = idp.code_for_melaine("eidas1").await;
    clock.advance_secs(29);
    let body = json(
        idp.token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
            .await,
    )
    .await;
    let access_token = body["access_token"].as_str().unwrap();
    clock.advance_secs(59);
    assert_eq!(idp.userinfo(access_token).await.status(), StatusCode::OK);
    clock.advance_secs(1);
    assert_eq!(
        idp.userinfo(access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
