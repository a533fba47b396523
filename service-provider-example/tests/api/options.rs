//! The login options page: each option's effect on the authorize URL, the URL shown before
//! leaving, PKCE on request only, and the v1 API from end to end.

use crate::helpers::{element_text, spawn_app};
use crate::stub_hub::{SUB, param, query_of};

#[tokio::test]
async fn the_options_page_is_linked_from_home_and_groups_the_scopes() {
    let app = spawn_app().await;
    let home = app.get("/").await;
    assert!(home.body.contains(r#"href="/options""#));

    let page = app.get("/options").await;

    assert_eq!(page.status, 200);
    for legend in [
        "Identité pivot",
        "Profil",
        "Naissance",
        "Contact",
        "Direction générale des Finances publiques",
        "Assurance maladie",
    ] {
        assert!(page.body.contains(legend), "no group {legend}");
    }
    // The configured identity scopes are ticked, the data scopes are not.
    assert!(
        page.body
            .contains(r#"id="scope-given_name" name="scope" value="given_name" checked"#)
    );
    assert!(page.body.contains(r#"value="dgfip_rfr">"#));
    // Every control has its label (keyboard and screen readers).
    for id in [
        "scope-dgfip_rfr",
        "acr",
        "prompt-login",
        "amr",
        "idp_hint",
        "version-v1",
        "pkce",
    ] {
        assert!(
            page.body.contains(&format!(r#"for="{id}""#)),
            "no label for {id}"
        );
    }
    assert!(
        page.body
            .contains(r#"id="version-v2" name="version" value="v2" checked"#)
    );
    assert!(!page.body.contains(r#"name="pkce" value="1" checked"#));
}

#[tokio::test]
async fn each_option_shapes_the_authorize_url_shown_before_leaving() {
    let app = spawn_app().await;

    let (page, url) = app
        .preview(
            "scope=given_name&scope=birth&scope=email&acr=eidas2&prompt=login&prompt=consent\
             &amr=1&idp_hint=fia1v2&version=v2",
        )
        .await;

    assert!(
        url.starts_with(&format!("{}/api/v2/authorize?", app.hub.url)),
        "{url}"
    );
    let query = query_of(&url);
    assert_eq!(
        param(&query, "scope"),
        Some("openid given_name birth email")
    );
    assert_eq!(param(&query, "acr_values"), Some("eidas2"));
    assert_eq!(param(&query, "prompt"), Some("login consent"));
    assert_eq!(
        param(&query, "claims"),
        Some(r#"{"id_token":{"amr":{"essential":true}}}"#)
    );
    assert_eq!(param(&query, "idp_hint"), Some("fia1v2"));
    assert!(param(&query, "code_challenge").is_none());
    assert!(param(&query, "nonce").unwrap().len() >= 22);
    // The decoded parameters are listed, and the way on.
    assert!(page.body.contains(r#"id="authorize-params""#));
    assert!(page.body.contains("<th scope=\"row\">acr_values</th>"));
    assert!(page.body.contains("invalid_idp_hint"));
    assert!(page.body.contains(r#"href="/options/go""#));
    // Nothing has left yet: the hub has not been called.
    assert!(app.hub.state.authorize_paths.lock().unwrap().is_empty());

    let go = app.get("/options/go").await;

    assert_eq!(go.status, 302);
    assert_eq!(go.location.as_deref(), Some(url.as_str()));
    // Back from the hub, the journal shows the redirect that left.
    let at_hub = app.get(&url).await;
    app.get(&at_hub.location.unwrap()).await;
    let journal = app.get("/journal.json").await;
    assert!(
        journal.body.contains("fia1v2"),
        "the journal has the redirect"
    );
}

#[tokio::test]
async fn without_options_the_preview_uses_the_defaults() {
    let app = spawn_app().await;

    let (_, url) = app.preview("").await;

    let query = query_of(&url);
    assert_eq!(param(&query, "scope"), Some("openid"));
    assert_eq!(param(&query, "acr_values"), Some("eidas1"));
    for absent in ["prompt", "claims", "idp_hint", "code_challenge"] {
        assert!(param(&query, absent).is_none(), "{absent} sent");
    }
}

#[tokio::test]
async fn data_provider_scopes_make_a_data_login() {
    let app = spawn_app().await;
    let (_, url) = app.preview("scope=given_name&scope=dgfip_rfr").await;
    assert_eq!(
        param(&query_of(&url), "scope"),
        Some("openid given_name dgfip_rfr")
    );

    let go = app.get("/options/go").await;
    let at_hub = app.get(&go.location.unwrap()).await;
    let callback = app.get(&at_hub.location.unwrap()).await;

    assert_eq!(
        callback.location.as_deref(),
        Some("/data"),
        "{}",
        callback.body
    );
    let data = app.get("/data").await;
    assert!(data.body.contains(r#"id="data-json""#));
}

#[tokio::test]
async fn pkce_is_sent_only_when_asked_and_its_verifier_reaches_the_token_endpoint() {
    let app = spawn_app().await;
    app.login("/login").await;
    assert!(!app.hub.last_token_form().contains_key("code_verifier"));

    let (page, url) = app.preview("scope=given_name&pkce=1").await;
    let query = query_of(&url);
    let challenge = param(&query, "code_challenge").unwrap().to_owned();
    assert_eq!(param(&query, "code_challenge_method"), Some("S256"));
    assert!(
        page.body.contains("Y030007"),
        "the page warns about FranceConnect"
    );
    let go = app.get("/options/go").await;
    let at_hub = app.get(&go.location.unwrap()).await;
    let callback = app.get(&at_hub.location.unwrap()).await;

    assert_eq!(
        callback.location.as_deref(),
        Some("/me"),
        "{}",
        callback.body
    );
    let verifier = app.hub.last_token_form()["code_verifier"].clone();
    use base64::Engine;
    use sha2::Digest;
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(computed, challenge);
}

#[tokio::test]
async fn a_bad_option_is_refused_and_prepares_nothing() {
    let app = spawn_app().await;

    for query in [
        "scope=not_a_scope",
        "acr=eidas9",
        "version=v3",
        "prompt=none",
        "idp_hint=%3Cscript%3E",
    ] {
        let page = app.get(&format!("/options/preview?{query}")).await;
        assert_eq!(page.status, 400, "{query}");
        assert!(page.body.contains(r#"id="error-code""#));
        assert!(!page.body.contains("<script>"));
    }
    let go = app.get("/options/go").await;
    assert_eq!(go.status, 400);
    assert!(go.body.contains("no_login_in_progress"));
}

#[tokio::test]
async fn the_v1_api_works_from_login_to_logout() {
    let app = spawn_app().await;

    let (page, url) = app
        .preview("scope=given_name&scope=family_name&version=v1")
        .await;
    assert!(
        url.starts_with(&format!("{}/api/v1/authorize?", app.hub.url)),
        "{url}"
    );
    assert!(page.body.contains("HS256"));
    let go = app.get("/options/go").await;
    let at_hub = app.get(&go.location.unwrap()).await;
    let callback = app.get(&at_hub.location.unwrap()).await;

    assert_eq!(
        callback.location.as_deref(),
        Some("/me"),
        "{}",
        callback.body
    );
    assert_eq!(
        app.hub.state.authorize_paths.lock().unwrap().as_slice(),
        ["/api/v1/authorize"]
    );
    let me = app.get("/me").await;
    assert!(me.body.contains("API v1"));
    assert!(me.body.contains("Mélaine Évelyne"));
    assert!(me.body.contains("26 rue Desaix"), "v1 address claim");
    let payload: serde_json::Value =
        serde_json::from_str(&element_text(&me.body, "id-token-payload")).unwrap();
    assert_eq!(payload["iss"], app.hub.url.as_str());
    assert_eq!(payload["sub"], SUB);
    let journal = fc_plumbing::testing::unescape(&app.get("/journal").await.body);
    assert!(journal.contains(&format!("{}/api/v1/token", app.hub.url)));
    assert!(journal.contains(&format!("{}/api/v1/userinfo", app.hub.url)));
    assert!(journal.contains("Signature HS256 valide"));

    let logout = app.get("/logout").await;
    let end_session = logout.location.unwrap();
    assert!(
        end_session.starts_with(&format!("{}/api/v1/logout?", app.hub.url)),
        "{end_session}"
    );
    let query = query_of(&end_session);
    assert_eq!(
        param(&query, "id_token_hint").map(|h| h.split('.').count()),
        Some(3)
    );
    let back = app.get(&end_session).await;
    let logged_out = app.get(&back.location.unwrap()).await;
    assert!(logged_out.body.contains("Vous êtes déconnecté"));
    assert!(!app.is_logged_in().await);
}
