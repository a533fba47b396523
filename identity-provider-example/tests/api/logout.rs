use reqwest::StatusCode;

use crate::helpers::*;

/// Logs 3_melaine in and returns her ID token.
async fn log_in(idp: &TestIdp) -> String {
    let code = idp.code_for_melaine("eidas1").await;
    let body = json(
        idp.token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
            .await,
    )
    .await;
    body["id_token"].as_str().unwrap().to_owned()
}

async fn logged_in(idp: &TestIdp) -> bool {
    idp.get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains("Mélaine Évelyne TROIS")
}

async fn session_end(idp: &TestIdp, params: &[(&str, &str)]) -> reqwest::Response {
    let url = url::Url::parse_with_params(&idp.url("/session/end"), params).unwrap();
    idp.browser.get(url).send().await.unwrap()
}

#[tokio::test]
async fn logout_ends_the_session_and_returns_to_the_registered_uri_with_the_state() {
    let idp = spawn().await;
    let id_token = log_in(&idp).await;
    assert!(logged_in(&idp).await);
    let response = session_end(
        &idp,
        &[
            ("id_token_hint", &id_token),
            ("state", "logout-state"),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response).as_deref(),
        Some(format!("{POST_LOGOUT_URI}?state=logout-state").as_str())
    );
    assert!(!logged_in(&idp).await);
}

#[tokio::test]
async fn an_unregistered_uri_gets_an_error_page_and_keeps_the_session() {
    let idp = spawn().await;
    let id_token = log_in(&idp).await;
    for uri in [
        "https://evil.example/logout",
        "http://localhost:8000/api/v2/client/logout-callback/",
    ] {
        let response = session_end(
            &idp,
            &[
                ("id_token_hint", &id_token),
                ("state", "s"),
                ("post_logout_redirect_uri", uri),
            ],
        )
        .await;
        assert_error_page(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_post_logout_redirect_uri",
        )
        .await;
    }
    assert!(logged_in(&idp).await);
}

#[tokio::test]
async fn a_forged_id_token_hint_is_refused() {
    let idp = spawn().await;
    let id_token = log_in(&idp).await;
    let (head, signature) = id_token.rsplit_once('.').unwrap();
    // A short signature, a well-sized wrong one, and a token that is not a JWT at all.
    let wrong = if signature.starts_with('A') { "B" } else { "A" };
    let forged = [
        format!("{head}.AAAA"),
        format!("{head}.{wrong}{}", &signature[1..]),
        "not-a-jwt".to_owned(),
    ];
    for hint in &forged {
        let response = session_end(
            &idp,
            &[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ],
        )
        .await;
        assert_error_page(response, StatusCode::BAD_REQUEST, "invalid_id_token_hint").await;
    }
    assert!(logged_in(&idp).await);
}

#[tokio::test]
async fn without_a_uri_the_user_sees_a_logged_out_page() {
    let idp = spawn().await;
    log_in(&idp).await;
    let response = session_end(&idp, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(location(&response).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Vous êtes déconnecté")
    );
    assert!(!logged_in(&idp).await);
}
