//! Floods never cost a real user: anonymous requests store nothing, so they cannot evict, expire
//! or slow down a login form someone has in front of them or a session already open.

use identity_provider_example::{Config, MemoryReport};
use reqwest::StatusCode;

use crate::helpers::*;

/// Every store within its budget.
fn assert_within_budget(report: &MemoryReport) {
    for (name, usage) in [
        ("sessions", report.sessions),
        ("codes", report.codes),
        ("access tokens", report.access_tokens),
        ("used forms", report.used_forms),
    ] {
        assert!(usage.bytes <= usage.max_bytes, "{name}: {usage:?}");
        assert!(usage.entries <= usage.max_entries, "{name}: {usage:?}");
    }
}

/// A small IdP: 10 sessions, 10 entries per store, 1 MB each.
fn small() -> Config {
    let mut config = Config::local();
    config.max_sessions = 10;
    config.session_megabytes = 1;
    config.max_entries = 10;
    config.store_megabytes = 1;
    config
}

#[tokio::test]
async fn cookie_less_authorize_floods_leave_forms_and_sessions_alone() {
    const FLOOD: usize = 300;
    let idp = spawn_with(small()).await;

    // Someone logged in, and someone else with the login form in front of them.
    let logged_in = spawn_browser_logged_in(&idp, "1_angela").await;
    let page = idp.login_page().await;
    let before = idp.memory.report();
    assert_eq!(before.sessions.entries, 1);

    // Far more cookie-less /authorize than any store holds, each from a fresh client, and with
    // the longest parameters allowed.
    let long = "s".repeat(2048);
    let params = authorize_params(&[("state", Some(&long)), ("nonce", Some(&long))]);
    let url = url::Url::parse_with_params(&idp.url("/authorize"), &params).unwrap();
    for _ in 0..FLOOD {
        let response = new_browser().get(url.clone()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            !sets_session_cookie(&response),
            "no session for a mere visit"
        );
    }
    let after = idp.memory.report();
    assert_eq!(after, before, "a cookie-less request stores nothing");
    assert_within_budget(&after);

    // The form shown before the flood still logs in…
    let response = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    redirect_query(&response, REDIRECT_URI);
    // …and the other person is still logged in.
    let home = logged_in.get(idp.url("/")).send().await.unwrap();
    assert!(
        home.text()
            .await
            .unwrap()
            .contains("Angela Claire Louise DUBOIS")
    );
    assert_within_budget(&idp.memory.report());
}

#[tokio::test]
async fn floods_of_forged_or_foreign_forms_store_nothing_either() {
    let idp = spawn_with(small()).await;
    let page = idp.login_page().await;
    let before = idp.memory.report();
    let pending = hidden(&page, "pending");
    for i in 0..100 {
        let forged = format!("{pending}{i}");
        let attempts = [
            // Another browser posting a real form, and forged forms.
            (pending.as_str(), "123"),
            (forged.as_str(), "123"),
        ];
        for (field, password) in attempts {
            let response = new_browser()
                .post(idp.url("/login"))
                .form(&[
                    ("pending", field),
                    ("login", "3_melaine"),
                    ("password", password),
                    ("acr", "eidas1"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        }
        // Wrong passwords from the right browser.
        let wrong = idp.login(&page, "3_melaine", "wrong", "eidas1").await;
        assert_eq!(wrong.status(), StatusCode::OK);
    }
    assert_eq!(idp.memory.report(), before);
    let response = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn logins_are_bounded_by_the_budgets_and_memory_returns_once_entries_expire() {
    let (idp, clock) = spawn_with_clock(small()).await;
    for _ in 0..30 {
        idp.code_for_melaine("eidas1").await;
        assert_within_budget(&idp.memory.report());
    }
    let full = idp.memory.report();
    assert_eq!(full.codes.entries, 10, "{full:?}");
    assert_eq!(full.used_forms.entries, 10, "{full:?}");
    // Codes live 30 s, forms 10 min; the sweepers run on their own, so sweep by using the stores.
    clock.advance_secs(601);
    let fresh = idp.code_for_melaine("eidas1").await;
    let report = idp.memory.report();
    assert_eq!(report.codes.entries, 1, "{report:?}");
    assert_eq!(report.used_forms.entries, 1, "{report:?}");
    assert!(report.codes.bytes < full.codes.bytes / 5, "{report:?}");
    let token = idp
        .token(&fresh, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_eq!(token.status(), StatusCode::OK);
}

/// A browser in which `login` (password 123) logged in at the IdP.
async fn spawn_browser_logged_in(idp: &TestIdp, login: &str) -> reqwest::Client {
    let browser = new_browser();
    let url = url::Url::parse_with_params(&idp.url("/authorize"), authorize_params(&[])).unwrap();
    let page = browser.get(url).send().await.unwrap().text().await.unwrap();
    let response = browser
        .post(idp.url("/login"))
        .form(&[
            ("pending", hidden(&page, "pending").as_str()),
            ("login", login),
            ("password", "123"),
            ("acr", "eidas1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    browser
}
