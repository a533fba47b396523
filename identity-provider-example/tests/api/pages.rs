//! What people see: the suggested account, dates in French, a skip link, a favicon, pages that
//! reflow on a phone, and `/health`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_login_form_suggests_the_test_account_and_has_a_skip_link() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let form_start = page.find(r#"<form id="login-form""#).unwrap();
    let form = &page[form_start..form_start + page[form_start..].find("</form>").unwrap()];
    assert!(
        form.contains(r#"<p class="hint" id="login-hint">Compte de test : identifiant <code>3_melaine</code>, mot de passe <code>123</code>.</p>"#),
        "{form}"
    );
    assert!(form.contains(r#"aria-describedby="login-hint""#));
    assert!(page.contains(r##"<a class="skip-link" href="#contenu">Aller au contenu</a>"##));
    assert!(page.contains(r#"<main id="contenu" tabindex="-1">"#));
    assert!(page.contains(r#"<link rel="icon" href="/favicon.svg" type="image/svg+xml">"#));
    // The account tables become labelled cards on a phone.
    assert!(page.contains(r#"<table class="stack">"#));
    assert!(page.contains(r#"<td data-label="Mot de passe"><code>123</code></td>"#));
}

#[tokio::test]
async fn birth_dates_are_shown_in_french() {
    let idp = spawn().await;
    let users = idp.get("/users").await.text().await.unwrap();
    assert!(users.contains(r#"<td data-label="Date de naissance">27 juillet 1981</td>"#));
    // Presumed dates: FranceConnect writes an unknown month or day as 00.
    assert!(users.contains(">mars 1975<"), "15_lucie_jour_presume");
    assert!(users.contains(">1980<"), "6_aicha_date_presumee");
    assert!(!users.contains(">1981-07-27<"));
    let page = idp.login_page().await;
    assert!(page.contains(">27 juillet 1981<"));
    // Every page has the skip link, the error pages too.
    for html in [users, idp.get("/nope").await.text().await.unwrap()] {
        assert!(html.contains(r##"href="#contenu">Aller au contenu</a>"##));
    }
}

#[tokio::test]
async fn favicon_and_stylesheets_are_served() {
    let idp = spawn().await;
    for (path, kind) in [
        ("/favicon.ico", "image/x-icon"),
        ("/favicon.svg", "image/svg+xml"),
        ("/static/idp.css", "text/css; charset=utf-8"),
        ("/static/demo.css", "text/css; charset=utf-8"),
    ] {
        let response = idp.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], kind, "{path}");
        let body = response.bytes().await.unwrap();
        assert!(!body.is_empty(), "{path}");
    }
    let ico = idp.get("/favicon.ico").await.bytes().await.unwrap();
    assert_eq!(&ico[..4], &[0, 0, 1, 0], "an ICO header");
    let css = idp.get("/static/idp.css").await.text().await.unwrap();
    assert!(css.contains("table.stack td[data-label]::before"));
}

#[tokio::test]
async fn health_reports_the_program_and_its_people() {
    let idp = spawn().await;
    let response = idp.get("/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["peers"], json!({}));
    assert!(body["users"].as_u64().unwrap() >= 30);
    assert_eq!(body["users_reload_error"], serde_json::Value::Null);
}
