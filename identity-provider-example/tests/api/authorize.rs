use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn authorize_shows_the_login_form_with_the_requested_acr_selected() {
    let idp = spawn().await;
    let response = idp.authorize(&[("acr_values", Some("eidas3"))]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<form id="login-form" method="post" action="/login">"#));
    for field in [r#"name="login""#, r#"name="password""#, r#"name="acr""#] {
        assert!(page.contains(field), "{field}");
    }
    assert!(
        page.contains(r#"<option value="eidas3" selected>"#),
        "{page}"
    );
    assert!(page.contains(r#"<option value="eidas1">"#));
    assert!(page.contains("Valider") && page.contains("Retour"));
    assert!(page.contains(r#"href="/users""#));
    assert!(!hidden(&page, "pending").is_empty());
}

#[tokio::test]
async fn extra_parameters_of_the_hub_are_accepted_and_unknown_ones_ignored() {
    let idp = spawn().await;
    let response = idp
        .authorize(&[
            ("claims", Some(r#"{"id_token":{"amr":{"essential":true}}}"#)),
            ("ui_locales", Some("fr")),
            ("something_else", Some("x")),
            ("acr_values", Some("unknown eidas2")),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<option value="eidas2" selected>"#));
}

#[tokio::test]
async fn an_unknown_or_missing_client_gets_an_error_page_and_no_redirect() {
    let idp = spawn().await;
    for client in [Some("someone-else"), None] {
        let response = idp.authorize(&[("client_id", client)]).await;
        assert_error_page(response, StatusCode::BAD_REQUEST, "invalid_client").await;
    }
}

#[tokio::test]
async fn a_redirect_uri_not_registered_byte_for_byte_gets_an_error_page() {
    let idp = spawn().await;
    let lookalikes = [
        "http://localhost:8000/api/v2/oidc-callback/",
        "http://localhost:8000/api/v2/oidc-callback?x=1",
        "http://LOCALHOST:8000/api/v2/oidc-callback",
        "https://evil.example/cb",
    ];
    for uri in lookalikes {
        let response = idp.authorize(&[("redirect_uri", Some(uri))]).await;
        assert_error_page(response, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    }
    let missing = idp.authorize(&[("redirect_uri", None)]).await;
    assert_error_page(missing, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;

    let mut twice = authorize_params(&[]);
    twice.push(("redirect_uri".into(), "https://evil.example/cb".into()));
    let response = idp.authorize_with(&twice).await;
    assert_error_page(response, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn other_errors_go_back_to_the_trusted_redirect_uri_with_the_state() {
    let idp = spawn().await;
    type Changes<'a> = &'a [(&'a str, Option<&'a str>)];
    let cases: [(Changes<'_>, &str); 6] = [
        (&[("nonce", None)], "invalid_request"),
        (&[("scope", Some("profile email"))], "invalid_request"),
        (&[("response_type", None)], "invalid_request"),
        (
            &[("response_type", Some("token"))],
            "unsupported_response_type",
        ),
        (&[("prompt", Some("none"))], "login_required"),
        (&[("claims", Some("not json"))], "invalid_request"),
    ];
    for (changes, error) in cases {
        let response = idp.authorize(changes).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{changes:?}");
        let query = redirect_query(&response, REDIRECT_URI);
        assert_eq!(
            query_value(&query, "error").as_deref(),
            Some(error),
            "{changes:?}"
        );
        assert!(query_value(&query, "error_description").is_some());
        assert_eq!(query_value(&query, "state").as_deref(), Some(STATE));
        assert!(query_value(&query, "code").is_none());
    }

    let response = idp.authorize(&[("state", None)]).await;
    let query = redirect_query(&response, REDIRECT_URI);
    assert_eq!(
        query_value(&query, "error").as_deref(),
        Some("invalid_request")
    );
    assert!(query_value(&query, "state").is_none());
}
