use reqwest::StatusCode;

use crate::helpers::*;

/// The page without its (fresh, random) CSRF token, to compare two answers.
fn without_csrf(page: &str) -> String {
    page.replace(&hidden(page, "csrf_token"), "CSRF")
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer_and_no_code() {
    let idp = spawn().await;
    let page = idp.login_page().await;

    let wrong_password = idp.login(&page, "3_melaine", "1234", "eidas1").await;
    assert_eq!(wrong_password.status(), StatusCode::OK);
    assert!(location(&wrong_password).is_none());
    assert!(
        !sets_session_cookie(&wrong_password),
        "no session for a failed login"
    );
    let first = wrong_password.text().await.unwrap();
    assert!(first.contains("Identifiant ou mot de passe incorrect."));

    let unknown_user = idp.login(&first, "nobody", "123", "eidas1").await;
    assert_eq!(unknown_user.status(), StatusCode::OK);
    assert!(location(&unknown_user).is_none());
    assert!(!sets_session_cookie(&unknown_user));
    let second = unknown_user.text().await.unwrap();
    assert_eq!(without_csrf(&first), without_csrf(&second));

    let home = idp.get("/").await.text().await.unwrap();
    assert!(home.contains("Aucune session ouverte"), "{home}");

    // The form still works after the failures, with its latest token.
    let response = idp.login(&second, "3_melaine", "123", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(sets_session_cookie(&response));
    let home = idp.get("/").await.text().await.unwrap();
    assert!(home.contains("Mélaine Évelyne TROIS"), "{home}");
}

#[tokio::test]
async fn a_consumed_interaction_cannot_be_replayed() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let first = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let replay = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_error_page(replay, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

#[tokio::test]
async fn a_csrf_token_is_single_use() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let failed = idp.login(&page, "3_melaine", "wrong", "eidas1").await;
    assert_eq!(failed.status(), StatusCode::OK);
    // The first page's token was used by the failed attempt.
    let stale = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_error_page(stale, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

#[tokio::test]
async fn the_form_only_works_in_the_browser_that_opened_it() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let other_browser = new_browser();
    let response = other_browser
        .post(idp.url("/login"))
        .form(&[
            ("interaction_id", hidden(&page, "interaction_id")),
            ("csrf_token", hidden(&page, "csrf_token")),
            ("login", "3_melaine".into()),
            ("password", "123".into()),
            ("acr", "eidas1".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_error_page(response, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

#[tokio::test]
async fn retour_sends_access_denied_with_the_state() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let response = idp.post_login(&page, &[("cancel", "1")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!sets_session_cookie(&response));
    let query = redirect_query(&response, REDIRECT_URI);
    assert_eq!(
        query_value(&query, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_value(&query, "error_description").as_deref(),
        Some("user authentication aborted")
    );
    assert_eq!(query_value(&query, "state").as_deref(), Some(STATE));
    assert!(query_value(&query, "code").is_none());
}

#[tokio::test]
async fn a_forged_acr_is_refused_on_the_form() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let response = idp.login(&page, "3_melaine", "123", "eidas9").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(location(&response).is_none());
    assert!(response.text().await.unwrap().contains("niveau eIDAS"));
}

#[tokio::test]
async fn a_login_without_interaction_is_an_error_page() {
    let idp = spawn().await;
    let response = idp
        .browser
        .post(idp.url("/login"))
        .form(&[("login", "3_melaine"), ("password", "123")])
        .send()
        .await
        .unwrap();
    assert_error_page(response, StatusCode::BAD_REQUEST, "interaction_expired").await;
}
