//! The happy paths: home page, login, identity, data, logout, journal.

use crate::helpers::spawn_app;
use crate::stub_hub::{SUB, json_of, param, query_of};

#[tokio::test]
async fn the_home_page_offers_both_franceconnect_buttons() {
    let app = spawn_app().await;

    let home = app.get("/").await;

    assert_eq!(home.status, 200);
    assert!(home.body.contains(r#"id="fc-login""#));
    assert!(home.body.contains(r#"href="/login""#));
    assert!(
        home.body
            .contains("S'identifier avec <strong>FranceConnect</strong>")
    );
    assert!(home.body.contains("Qu'est-ce que FranceConnect ?"));
    assert!(home.body.contains(r#"id="fc-data""#));
    assert!(home.body.contains(r#"href="/data/login""#));
    assert!(!home.body.contains(r#"id="logout""#));
    let css = app.get("/static/demo.css").await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains(".fc-button"));
}

#[tokio::test]
async fn login_redirects_to_the_hub_with_exactly_the_franceconnect_parameters() {
    let app = spawn_app().await;

    let authorize = app.start_login("/login").await;

    assert!(
        authorize.starts_with(&format!("{}/api/v2/authorize?", app.hub.url)),
        "{authorize}"
    );
    let query = query_of(&authorize);
    let mut names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
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
    assert_eq!(
        param(&query, "client_id"),
        Some(app.config.client_id.as_str())
    );
    assert_eq!(
        param(&query, "redirect_uri"),
        Some(format!("{}/oidc-callback", app.address).as_str())
    );
    assert_eq!(param(&query, "response_type"), Some("code"));
    assert_eq!(param(&query, "acr_values"), Some("eidas1"));
    assert_eq!(
        param(&query, "scope"),
        Some(
            "openid given_name family_name birthdate gender birthplace birthcountry email preferred_username"
        )
    );
    assert!(param(&query, "nonce").unwrap().len() >= 22);
    assert!(param(&query, "state").unwrap().len() >= 22);
    // A fresh state and nonce each time.
    let again = query_of(&app.start_login("/login").await);
    assert_ne!(param(&again, "state"), param(&query, "state"));
    assert_ne!(param(&again, "nonce"), param(&query, "nonce"));
}

#[tokio::test]
async fn login_options_add_only_the_allowed_optional_parameters() {
    let app = spawn_app().await;

    let authorize = app
        .start_login("/login?acr=eidas2&prompt=login+consent&amr=1")
        .await;

    let query = query_of(&authorize);
    assert_eq!(param(&query, "acr_values"), Some("eidas2"));
    assert_eq!(param(&query, "prompt"), Some("login consent"));
    assert_eq!(
        param(&query, "claims"),
        Some(r#"{"id_token":{"amr":{"essential":true}}}"#)
    );
    assert!(param(&query, "code_challenge").is_none());
    assert_eq!(query.len(), 9);
}

#[tokio::test]
async fn a_full_login_shows_the_verified_identity_and_the_decoded_id_token() {
    let app = spawn_app().await;
    assert!(!app.is_logged_in().await);

    let callback = app.login("/login").await;

    assert_eq!(callback.status, 302, "{}", callback.body);
    assert_eq!(callback.location.as_deref(), Some("/me"));
    assert_eq!(app.hub.token_calls(), 1);
    let me = app.get("/me").await;
    assert_eq!(me.status, 200);
    assert!(me.body.contains("Prénom(s)"));
    assert!(me.body.contains("Mélaine Évelyne"));
    assert!(me.body.contains("TROIS"));
    assert!(me.body.contains("27 juillet 1981"));
    assert!(me.body.contains(SUB));
    assert!(me.body.contains("eidas1"));
    assert!(me.body.contains(r#"id="userinfo-json""#));
    assert!(me.body.contains(r#"id="id-token-payload""#));
    assert!(me.body.contains("&quot;nonce&quot;"));
    assert!(me.body.contains(r#"id="logout""#));
    let home = app.get("/").await;
    assert!(home.body.contains("Vous êtes connecté"));
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let app = spawn_app().await;
    let authorize = app.start_login("/login").await;
    let at_hub = app.get(&authorize).await;
    let callback_url = at_hub.location.unwrap();
    assert_eq!(app.get(&callback_url).await.status, 302);

    let replay = app.get(&callback_url).await;

    assert_eq!(replay.status, 400);
    assert!(replay.body.contains(r#"id="error-code""#));
    assert_eq!(app.hub.token_calls(), 1);
}

#[tokio::test]
async fn the_data_pass_calls_the_data_provider_with_the_access_token() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/data").await.location.as_deref(),
        Some("/data/login")
    );

    let authorize = app.start_login("/data/login").await;
    let scope = param(&query_of(&authorize), "scope").unwrap().to_owned();
    assert!(
        scope.contains("dgfip_rfr") && scope.contains("cnam_paiements_ij"),
        "{scope}"
    );
    let at_hub = app.get(&authorize).await;
    let callback = app.get(&at_hub.location.unwrap()).await;
    assert_eq!(
        callback.location.as_deref(),
        Some("/data"),
        "{}",
        callback.body
    );

    let data = app.get("/data").await;
    assert_eq!(data.status, 200);
    assert!(data.body.contains(r#"id="data-json""#));
    assert!(data.body.contains("&quot;rfr&quot;: 28000"));
    let journal = app.get("/journal").await;
    assert!(journal.body.contains("Appel du fournisseur de données"));
    assert!(journal.body.contains("Réponse de checktoken décodé"));
    assert!(
        journal
            .body
            .contains("interroge FranceConnect (checktoken)")
    );
    assert!(
        !journal.body.contains("dp-secret"),
        "the DP secret is masked too"
    );
    assert!(journal.body.contains("X-Correlation-ID") || journal.body.contains("x-correlation-id"));
}

#[tokio::test]
async fn logout_goes_through_the_hub_and_comes_back_logged_out() {
    let app = spawn_app().await;
    app.login("/login").await;
    let me = app.get("/me").await;
    assert_eq!(me.status, 200);

    let logout = app.get("/logout").await;

    assert_eq!(logout.status, 302);
    let end_session = logout.location.unwrap();
    assert!(
        end_session.starts_with(&format!("{}/api/v2/session/end?", app.hub.url)),
        "{end_session}"
    );
    let query = query_of(&end_session);
    let hint = param(&query, "id_token_hint").unwrap();
    assert_eq!(hint.split('.').count(), 3);
    assert!(
        me.body.contains(hint),
        "the hint is the ID token shown on /me"
    );
    assert_eq!(
        param(&query, "post_logout_redirect_uri"),
        Some(format!("{}/logout-callback", app.address).as_str())
    );
    assert!(param(&query, "state").unwrap().len() >= 22);

    let back = app.get(&end_session).await;
    let logged_out = app.get(&back.location.unwrap()).await;
    assert_eq!(logged_out.status, 200);
    assert!(logged_out.body.contains("Vous êtes déconnecté"));
    assert!(logged_out.body.contains(r#"id="fc-login""#));
    assert!(!app.is_logged_in().await);
    // The journal survives the logout and tells the whole story, secret masked.
    let journal = app.get("/journal").await;
    assert!(journal.body.contains(r#"id="exchanges""#));
    assert!(journal.body.contains("pour se déconnecter"));
    assert!(journal.body.contains("(token)"));
    assert!(journal.body.contains("(userinfo)"));
    assert!(journal.body.contains("Signature ES256 valide"));
    assert!(journal.body.contains("client_secret=********"));
    assert!(!journal.body.contains(&app.config.client_secret));
}

#[tokio::test]
async fn the_logout_callback_with_a_wrong_state_keeps_the_user_logged_in() {
    let app = spawn_app().await;
    app.login("/login").await;
    app.get("/logout").await;

    let wrong = app
        .get("/logout-callback?state=forged-state-value-xxxxxxxxxxx")
        .await;

    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("logout_state_mismatch"));
    assert!(app.is_logged_in().await);
}

#[tokio::test]
async fn the_journal_can_be_downloaded_as_json() {
    let app = spawn_app().await;
    app.login("/login").await;

    let download = app.get("/journal.json").await;

    assert_eq!(download.status, 200);
    let entries = json_of(&download.body);
    let steps: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps[0].contains("authorize"));
    assert!(steps[1].contains("callback"));
    assert!(steps[2].contains("token"));
    assert!(steps[3].contains("userinfo"));
    assert!(!download.body.contains(&app.config.client_secret));
}

#[tokio::test]
async fn keys_rotated_by_the_hub_are_fetched_again() {
    let app = spawn_app().await;
    // Discovery (and the first JWKS) happen on the first login.
    let authorize = app.start_login("/login").await;
    app.hub.rotate_keys();

    let at_hub = app.get(&authorize).await;
    let callback = app.get(&at_hub.location.unwrap()).await;

    assert_eq!(
        callback.location.as_deref(),
        Some("/me"),
        "{}",
        callback.body
    );
}
