//! The callback facing a forged request or a hostile hub: an error page, and nobody logged in.

use crate::helpers::{TestApp, spawn_app};
use crate::stub_hub::Behaviour;

async fn assert_refused(app: &TestApp, expected_status: u16, expected_code: &str) {
    let callback = app.login("/login").await;
    assert_eq!(callback.status, expected_status, "{}", callback.body);
    assert!(
        callback.body.contains(r#"id="error-code""#),
        "{}",
        callback.body
    );
    assert!(callback.body.contains(expected_code), "{}", callback.body);
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn a_callback_with_a_wrong_state_is_refused_without_calling_the_hub() {
    let app = spawn_app().await;
    app.start_login("/login").await;

    let forged = app
        .get("/oidc-callback?code=stolen-code&state=not-the-state-we-sent-xxxxx")
        .await;

    assert_eq!(forged.status, 400);
    assert!(forged.body.contains("state_mismatch"));
    assert_eq!(app.hub.token_calls(), 0);
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn a_callback_without_a_login_in_progress_is_refused() {
    let app = spawn_app().await;

    let forged = app.get("/oidc-callback?code=x&state=y").await;

    assert_eq!(forged.status, 400);
    assert!(forged.body.contains(r#"id="error-code""#));
    assert_eq!(app.hub.token_calls(), 0);
}

#[tokio::test]
async fn an_id_token_with_a_wrong_nonce_is_refused() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        wrong_nonce: true,
        ..Behaviour::default()
    });
    assert_refused(&app, 502, "invalid_id_token").await;
}

#[tokio::test]
async fn an_id_token_from_another_issuer_is_refused() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        wrong_iss: true,
        ..Behaviour::default()
    });
    assert_refused(&app, 502, "invalid_id_token").await;
}

#[tokio::test]
async fn an_id_token_for_another_client_is_refused() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        wrong_aud: true,
        ..Behaviour::default()
    });
    assert_refused(&app, 502, "invalid_id_token").await;
}

#[tokio::test]
async fn an_id_token_with_a_bad_signature_is_refused() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        bad_signature: true,
        ..Behaviour::default()
    });
    assert_refused(&app, 502, "invalid_id_token").await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        expired: true,
        ..Behaviour::default()
    });
    assert_refused(&app, 502, "invalid_id_token").await;
}

#[tokio::test]
async fn userinfo_about_another_person_is_refused() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        userinfo_other_sub: true,
        ..Behaviour::default()
    });
    assert_refused(&app, 502, "invalid_userinfo").await;
}

#[tokio::test]
async fn a_hostile_error_description_is_shown_escaped() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        authorize_error: Some(("invalid_scope".into(), "<script>alert(1)</script>".into())),
        ..Behaviour::default()
    });

    let callback = app.login("/login").await;

    assert_eq!(callback.status, 400);
    assert!(callback.body.contains("invalid_scope"));
    assert!(callback.body.contains("ne l&#x27;autorise pas à recevoir"));
    assert!(!callback.body.contains("<script>alert(1)</script>"));
    assert!(
        callback
            .body
            .contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
    );
    assert_eq!(app.hub.token_calls(), 0);
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn the_login_fails_cleanly_when_the_hub_is_down() {
    let app = spawn_app().await;
    app.hub.stop().await;

    let login = app.get("/login").await;

    assert_eq!(login.status, 502);
    assert!(login.body.contains("hub_unreachable"));
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn a_malformed_query_gets_an_error_page_and_no_login() {
    let app = spawn_app().await;

    let page = app.get("/login?acr=eidas1&acr=eidas2").await;

    assert_eq!(page.status, 400);
    assert!(page.body.contains(r#"id="error-code""#));
    assert!(page.body.contains("invalid_request"));
}

#[tokio::test]
async fn a_v1_id_token_signed_with_another_secret_is_refused() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        bad_signature: true,
        ..Behaviour::default()
    });
    app.preview("scope=given_name&version=v1").await;
    let go = app.get("/options/go").await;
    let at_hub = app.get(&go.location.unwrap()).await;

    let callback = app.get(&at_hub.location.unwrap()).await;

    assert_eq!(callback.status, 502, "{}", callback.body);
    assert!(callback.body.contains("invalid_id_token"));
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn an_idp_hint_refused_by_the_hub_is_explained() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        authorize_error: Some((
            "invalid_idp_hint".into(),
            "An idp_hint was provided but is not allowed".into(),
        )),
        ..Behaviour::default()
    });

    let callback = app.login("/login").await;

    assert_eq!(callback.status, 400);
    assert!(callback.body.contains("invalid_idp_hint"));
    assert!(
        callback
            .body
            .contains("fournisseurs d&#x27;identité listés dans")
    );
    assert!(
        callback
            .body
            .contains("An idp_hint was provided but is not allowed")
    );
}

#[tokio::test]
async fn a_hostile_error_code_is_not_shown_as_a_code() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        authorize_error: Some((
            "<img src=x onerror=alert(1)>".into(),
            "\"><script>alert(2)</script>".into(),
        )),
        ..Behaviour::default()
    });

    let callback = app.login("/login").await;

    assert_eq!(callback.status, 400);
    assert!(
        callback
            .body
            .contains(r#"<span id="error-code" class="error-code">invalid_error</span>"#)
    );
    assert!(!callback.body.contains("<img"));
    assert!(!callback.body.contains("<script>alert(2)"));
    assert!(callback.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert_eq!(app.hub.token_calls(), 0);
    assert!(!app.is_logged_in().await);
}
