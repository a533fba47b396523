//! The happy paths: home page, login, identity, data, logout, journal.

use crate::helpers::{TestApp, assert_in_order, spawn_app};
use crate::stub_hub::{SUB, json_of, param, query_of};
use serde_json::json;

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
    // The stub data provider reports no verdict of its own: the SP checked the signature itself.
    let signature = checktoken_signature(&app).await;
    assert!(
        signature.starts_with("Signature ES256 valide (clé « "),
        "{signature}"
    );
}

/// The signature verdict shown for the checktoken answer in `/journal.json`.
async fn checktoken_signature(app: &TestApp) -> String {
    let entries = json_of(&app.get("/journal.json").await.body);
    let entry = entries
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["step"].as_str().unwrap().contains("(checktoken)"))
        .unwrap();
    entry["jwts"][0]["signature"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_journal_shows_the_data_providers_own_verdict_on_checktoken() {
    let app = spawn_app().await;
    for (verdict, shown) in [
        (
            json!({"signature_valid": true, "error": null}),
            "Signature valide (vérifiée par le fournisseur de données)",
        ),
        (
            json!({"signature_valid": false, "error": "signature check failed: bad"}),
            "Signature non validée par le fournisseur de données : signature check failed: bad",
        ),
    ] {
        *app.hub.state.dp_jws_verdict.lock().unwrap() = verdict;
        let authorize = app.start_login("/data/login").await;
        let at_hub = app.get(&authorize).await;
        app.get(&at_hub.location.unwrap()).await;
        assert_eq!(app.get("/data").await.status, 200);
        // The DP's verdict is shown as is: the stub's JWT is validly signed, so a verdict
        // computed by the SP would say "ES256 valide".
        assert_eq!(checktoken_signature(&app).await, shown);
    }
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
    assert!(!journal.body.contains(app.config.client_secret.expose()));
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
    let steps = app.journal_steps().await;
    assert_in_order(
        &steps,
        &["(authorize)", "(callback)", "(token)", "(userinfo)"],
    );
    assert!(!download.body.contains(app.config.client_secret.expose()));
    // The redirects carry the SP's own answer: 302 to the hub, 302 from the callback to /me.
    let entries = json_of(&download.body);
    for browser_step in ["(authorize)", "(callback)"] {
        let entry = entries
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["step"].as_str().unwrap().contains(browser_step))
            .unwrap();
        assert_eq!(entry["status"], 302, "{entry}");
    }
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

#[tokio::test]
async fn userinfo_can_be_reloaded_until_the_access_token_expires() {
    let app = spawn_app().await;
    app.login("/login").await;
    let me = app.get("/me").await;
    assert!(me.body.contains(r#"action="/me/userinfo""#));
    assert!(me.body.contains("Recharger userinfo"));

    let reload = app.post("/me/userinfo").await;

    assert_eq!(reload.status, 303);
    assert_eq!(reload.location.as_deref(), Some("/me?userinfo=ok"));
    let me = app.get("/me?userinfo=ok").await;
    assert!(me.body.contains("Userinfo rechargé"));
    assert!(me.body.contains("Mélaine Évelyne"));
    let journal = app.get("/journal.json").await;
    let steps = json_of(&journal.body);
    let userinfo_calls = steps
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["step"].as_str().unwrap().contains("(userinfo)"))
        .count();
    assert_eq!(userinfo_calls, 2);

    app.hub.expire_access_tokens();
    let reload = app.post("/me/userinfo").await;

    assert_eq!(reload.location.as_deref(), Some("/me?userinfo=expired"));
    let me = app.get("/me?userinfo=expired").await;
    assert!(me.body.contains("60 secondes"));
    assert!(
        app.is_logged_in().await,
        "an expired token does not log out"
    );
    // The outcome is a word picked from a list: anything else shows nothing.
    let me = app.get("/me?userinfo=%3Cscript%3E").await;
    assert!(!me.body.contains("userinfo-reload"));
}

#[tokio::test]
async fn the_journal_tells_the_whole_journey_in_order_with_curl_for_back_channel_calls() {
    let app = spawn_app().await;
    app.login("/login").await;
    let authorize = app.start_login("/data/login").await;
    let at_hub = app.get(&authorize).await;
    app.get(&at_hub.location.unwrap()).await;
    app.get("/data").await;
    let logout = app.get("/logout").await;
    let back = app.get(&logout.location.unwrap()).await;
    app.get(&back.location.unwrap()).await;

    let download = app.get("/journal.json").await;

    let entries = json_of(&download.body);
    let entries = entries.as_array().unwrap();
    let steps: Vec<String> = entries
        .iter()
        .map(|e| e["step"].as_str().unwrap().to_owned())
        .collect();
    assert_in_order(
        &steps,
        &[
            "pour s'identifier (authorize)",
            "(callback)",
            "(token)",
            "(userinfo)",
            "autoriser l'accès aux données (authorize)",
            "(callback)",
            "(token)",
            "(userinfo)",
            "Appel du fournisseur de données",
            "interroge FranceConnect (checktoken)",
            "pour se déconnecter",
            "après la déconnexion",
        ],
    );
    for entry in entries {
        let back_channel = entry["back_channel"].as_bool().unwrap();
        assert_eq!(entry["curl"].is_string(), back_channel, "{entry}");
        if back_channel {
            assert!(entry["duration_ms"].is_u64() || entry["notes"].as_array().is_some());
            assert!(entry["status"].is_u64(), "{entry}");
        }
    }
    assert!(!download.body.contains(app.config.client_secret.expose()));
    assert!(!download.body.contains("dp-secret"));
}

#[tokio::test]
async fn back_channel_calls_come_with_curl_and_the_data_call_with_its_correlation_id() {
    let app = spawn_app().await;
    app.login("/data/login").await;
    app.get("/data").await;
    let download = app.get("/journal.json").await;
    let entries = json_of(&download.body);
    let entries = entries.as_array().unwrap();
    let find = |part: &str| {
        entries
            .iter()
            .find(|e| e["step"].as_str().unwrap().contains(part))
            .unwrap()
    };
    let curl = find("(token)")["curl"].as_str().unwrap();
    assert!(curl.starts_with(&format!("curl -X 'POST' '{}/api/v2/token'", app.hub.url)));
    assert!(curl.contains("client_secret=********"), "{curl}");
    // Parameters are read from the form of a POST and from the query of a redirect.
    let param = |entry: &serde_json::Value, name: &str| -> Option<String> {
        entry["params"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|p| (p[0] == name).then(|| p[1].as_str().unwrap().to_owned()))
    };
    let token = find("(token)");
    assert_eq!(
        param(token, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(param(token, "client_secret").as_deref(), Some("********"));
    let authorize = find("(authorize)");
    assert_eq!(param(authorize, "response_type").as_deref(), Some("code"));
    assert_eq!(find("(userinfo)")["params"], serde_json::json!([]));
    let checktoken = find("(checktoken)");
    assert!(checktoken["curl"].as_str().unwrap().contains("/checktoken"));
    assert!(!download.body.contains(app.config.client_secret.expose()));
    assert!(!download.body.contains("dp-secret"));
    // The data call carries a fresh correlation id, the one the checktoken entry was fetched by.
    let correlation = find("Appel du fournisseur de données")["request_headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| {
            h[0].as_str()
                .unwrap()
                .eq_ignore_ascii_case("x-correlation-id")
        })
        .map(|h| h[1].as_str().unwrap().to_owned())
        .unwrap();
    assert!(download.body.matches(&correlation).count() >= 2);

    let page = app.get("/journal").await;
    assert!(page.body.contains("Copier en curl"));
    assert!(page.body.contains(r#"data-copy="Copier la commande curl""#));
    assert!(page.body.contains(r#"src="/static/sp.js""#));
    let script = app.get("/static/sp.js").await;
    assert_eq!(script.status, 200);
    assert!(script.body.contains("clipboard"));
}
