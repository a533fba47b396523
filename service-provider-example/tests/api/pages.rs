//! The pages a person reads: French everywhere (errors, 404, a refused consent), dates and
//! amounts in words, no page wider than a phone, the options form quick to reach by keyboard.

use crate::helpers::{element_text, spawn_app};
use crate::stub_hub::Behaviour;

#[tokio::test]
async fn unknown_pages_and_methods_get_a_french_error_page() {
    let app = spawn_app().await;

    let missing = app.get("/nulle-part").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains(r#"<html lang="fr">"#));
    assert!(
        missing.body.contains("Cette page n&#x27;existe pas"),
        "{}",
        missing.body
    );
    assert_eq!(element_text(&missing.body, "error-code"), "not_found");
    assert!(missing.body.contains("Aller au contenu"), "skip link");

    let wrong_method = app.post("/login").await;
    assert!([404, 405].contains(&wrong_method.status));
    assert!(wrong_method.body.contains(r#"<html lang="fr">"#));
    assert!(wrong_method.body.contains(r#"id="error-code""#));

    let icon = app
        .client
        .get(format!("{}/favicon.ico", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(
        app.get("/")
            .await
            .body
            .contains(r#"rel="icon" href="/static/favicon.svg""#)
    );
}

#[tokio::test]
async fn a_refused_consent_is_an_information_not_an_error() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        authorize_error: Some(("access_denied".into(), "User canceled".into())),
        ..Behaviour::default()
    });

    let refused = app.login("/login").await;

    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(
        refused.body.contains("Vous avez refusé"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("access_denied"));
    assert!(!refused.body.contains("error-code"));
    assert!(
        refused.body.contains(r#"id="fc-login""#),
        "the way to try again"
    );
    assert_eq!(app.hub.token_calls(), 0);
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn the_identify_button_is_for_people_not_logged_in() {
    let app = spawn_app().await;
    let home = app.get("/").await;
    assert!(home.body.contains(r#"id="fc-login""#));
    assert!(!home.body.contains("connecté·e"));

    app.login("/login").await;
    let home = app.get("/").await;

    assert!(!home.body.contains(r#"id="fc-login""#), "{}", home.body);
    assert!(home.body.contains("Vous êtes connecté(e)"));
    assert!(home.body.contains(r#"id="fc-data""#));
    let css = app.get("/static/sp.css").await.body;
    assert!(
        css.contains("a.fc-button, a.fc-button:hover, a.fc-button:focus { text-decoration: none;")
    );
}

#[tokio::test]
async fn dates_are_french_and_long_values_wrap_on_a_phone() {
    let app = spawn_app().await;
    app.login("/login").await;

    let me = app.get("/me").await.body;

    assert!(me.contains("27 juillet 1981"));
    let expiry = me
        .split("Expiration de l'ID token</dt><dd>")
        .nth(1)
        .and_then(|rest| rest.split("</dd>").next())
        .unwrap();
    assert!(expiry.contains(" à "), "{expiry}");
    assert!(
        !expiry.contains('T') && !expiry.contains('Z'),
        "no raw ISO time: {expiry}"
    );
    assert!(
        me.contains(r#"<code class="break" id="sub">"#),
        "the 64-character sub wraps"
    );

    let journal = app.get("/journal").await.body;
    let entries: serde_json::Value =
        serde_json::from_str(&app.get("/journal.json").await.body).unwrap();
    let at = entries[0]["at"].as_str().unwrap();
    assert!(at.ends_with('Z'));
    assert!(
        !journal.contains(at),
        "the journal page writes times in French"
    );

    let css = app.get("/static/sp.css").await.body;
    let breaks_headings = css
        .lines()
        .any(|rule| rule.contains("th") && rule.contains("break-all"));
    assert!(
        !breaks_headings,
        "table headings are never cut inside a word"
    );
    assert!(css.contains(".break") && css.contains("overflow-wrap: anywhere"));
}

#[tokio::test]
async fn the_data_page_speaks_words_with_each_administration_under_its_heading() {
    let app = spawn_app().await;
    app.login("/data/login").await;

    let data = app.get("/data").await.body;

    let position = |text: &str| {
        data.find(text)
            .unwrap_or_else(|| panic!("no {text:?} in {data}"))
    };
    let tax = position("Direction générale des Finances publiques");
    assert!(tax < position("Revenu fiscal de référence</dt><dd>28\u{202f}000\u{a0}€</dd>"));
    assert!(tax < position("Nombre de parts</dt><dd>1,5</dd>"));
    assert!(tax < position("Situation de famille</dt><dd>Célibataire</dd>"));
    assert!(tax < position("Personnes à charge</dt><dd>1 (1 enfant)</dd>"));
    assert!(tax < position("Adresse fiscale</dt><dd>12 RUE DE LA REPUBLIQUE"));
    let health = position("<h2>Assurance maladie</h2>");
    assert!(tax < health);
    assert!(health < position("Indemnités journalières versées</dt><dd>1\u{202f}250,40\u{a0}€"));
    assert!(
        health < position(r#"id="data-json""#),
        "the raw JSON comes below"
    );
    assert!(
        data.contains(r#"<code class="break">GET http"#),
        "the URL wraps"
    );
}

#[tokio::test]
async fn the_options_form_can_be_sent_after_a_few_tab_stops() {
    let app = spawn_app().await;

    let page = app.get("/options").await.body;

    let before_submit = &page[..page.find(r#"type="submit""#).unwrap()];
    let stops = before_submit.matches("<a ").count()
        + before_submit.matches("<input").count()
        + before_submit.matches("<select").count()
        + before_submit.matches("<button").count()
        - before_submit.matches(" disabled").count();
    assert!(
        stops <= 7,
        "{stops} tab stops before the first submit button"
    );
}

#[tokio::test]
async fn what_a_client_writes_in_a_callback_is_bounded() {
    let app = spawn_app().await;
    let callback = app.callback_url_as(&app.client, "/login").await;

    let long_code = format!(
        "{}&code={}",
        callback.replace("code=", "ignored="),
        "c".repeat(5_000)
    );
    let refused = app.get(&long_code).await;

    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("code trop long"), "{}", refused.body);
    assert_eq!(app.hub.token_calls(), 0);

    let callback = app.callback_url_as(&app.client, "/login").await;
    let noisy = format!("{callback}&noise={}", "n".repeat(20_000));
    assert_eq!(app.get(&noisy).await.location.as_deref(), Some("/me"));
    let journal = app.get("/journal.json").await.body;
    assert!(
        !journal.contains(&"n".repeat(5_000)),
        "values are cut in the journal"
    );
    assert!(journal.contains("(tronqué)"));
}

/// "Tester mon service" names this demo's own URLs for the hub's control API and lists every
/// scenario the hub can play (`docs/admin.md`), each with what a correct service must do.
#[tokio::test]
async fn the_test_bench_page_names_the_control_api_and_every_scenario() {
    let app = spawn_app().await;

    let page = app.get("/tester").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Tester mon service</h1>"));
    assert_eq!(
        element_text(&page.body, "sp-endpoint"),
        format!("{}/admin/api/service-providers/{{client_id}}", app.hub.url)
    );
    let text = fc_plumbing::testing::unescape(&page.body);
    assert!(text.contains(&app.plus.url), "FranceConnect+ is named");
    for scenario in [
        "id_token_wrong_iss",
        "id_token_wrong_aud",
        "id_token_bad_signature",
        "id_token_unknown_kid",
        "id_token_alg_none",
        "id_token_wrong_nonce",
        "id_token_expired",
        "id_token_missing_claim",
        "userinfo_other_sub",
        "userinfo_bad_signature",
        "token_500",
        "token_slow",
        "token_invalid_json",
        "userinfo_500",
        "callback_wrong_state",
        "callback_error_access_denied",
        "jwks_rotated",
    ] {
        assert!(text.contains(scenario), "{scenario} is listed");
    }
}
