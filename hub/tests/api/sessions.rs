//! Sessions (`docs/hub.md`, "Sessions and SSO"): bounded, single-use CSRF tokens, one-shot steps, rotation at the IdP
//! callback, and the error codes of a lost or replayed step.

use super::*;

#[tokio::test]
async fn a_cookie_less_flood_evicts_neither_a_journey_in_progress_nor_a_logged_in_user() {
    let hub = TestHub::start_with(|c| c.max_sessions = 100).await;
    let fresh_cap = hub.sessions.limits().fresh.max_entries;
    // Someone logged in (an SSO session) and someone looking at the mire.
    let logged_in = Browser::stopping_at("http://sp.test");
    hub.code(&logged_in).await;
    let choosing = Browser::stopping_at("http://sp.test");
    let mire = choosing.open(&hub.authorize_url(&[])).await;
    assert_eq!(hub.sessions.counts().1, 2, "both sessions are in use");

    // Every cookie-less /authorize opens a journey, so a session: a flood of them, well past
    // the budget of new sessions.
    let client = raw_client();
    for i in 0..3 * fresh_cap {
        let state = format!("flood-{i}");
        let response = client
            .get(hub.authorize_url(&[("state", &state)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
    }
    let (fresh, active) = hub.sessions.counts();
    assert!(
        fresh <= fresh_cap,
        "{fresh} new sessions kept, the cap is {fresh_cap}"
    );
    assert_eq!(active, 2, "the flood touched no session in use");
    let budget = hub.sessions.limits();
    assert!(hub.sessions.bytes() <= budget.fresh.max_bytes + budget.active.max_bytes);

    // The journey in progress goes on from the mire it was shown before the flood...
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = choosing.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = choosing.submit(&action, &fields).await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    // ...and the logged-in user still has SSO: straight to the consent page.
    let again = logged_in.open(&hub.authorize_url(&[])).await;
    assert!(again.url.ends_with("/consent"), "SSO kept: {}", again.url);
    hub.stop().await;
}

#[tokio::test]
async fn a_lost_session_is_y190001() {
    let hub = TestHub::start().await;
    let browser = Browser::new();
    let page = browser
        .open(&format!("{}/api/v2/interaction/not-a-journey", hub.url))
        .await;
    assert_code(&page, 401, "Y190001");
    let page = browser
        .open(&format!("{}/api/v2/interaction/x/consent", hub.url))
        .await;
    assert_code(&page, 401, "Y190001");
    let page = browser
        .submit(
            &format!("{}/api/v2/login", hub.url),
            &[("csrfToken".into(), "x".into())],
        )
        .await;
    assert_code(&page, 401, "Y190001");
    let page = browser
        .open(&format!("{}/api/v2/oidc-callback?code=c&state=s", hub.url))
        .await;
    assert_code(&page, 401, "Y190001");
    assert_eq!(browser.cookies(&hub.url), "", "errors create no session");
    hub.stop().await;
}

#[tokio::test]
async fn a_wrong_csrf_token_is_y470001_and_a_second_choice_is_y420001() {
    let hub = TestHub::start().await;
    let browser = Browser::new();
    let mire = browser.open(&hub.authorize_url(&[])).await;
    let (action, mut fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let good = fields.clone();
    set(&mut fields, "csrfToken", "forged");
    assert_code(&browser.submit(&action, &fields).await, 401, "Y470001");
    // A forged token changes nothing: the genuine form still works, once.
    let at_idp = browser.submit(&action, &good).await;
    assert!(at_idp.url.starts_with(&hub.idp_url), "{}", at_idp.url);
    assert_code(&browser.submit(&action, &good).await, 400, "Y420001");
    hub.stop().await;
}

#[tokio::test]
async fn replaying_the_idp_callback_is_y420001_and_the_session_id_changed_there() {
    let hub = TestHub::start().await;
    let browser = Browser::new();
    let mire = browser.open(&hub.authorize_url(&[])).await;
    let before = browser.cookies(&hub.url);
    assert!(before.contains("fc_hub_session="), "{before}");
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    assert_ne!(
        browser.cookies(&hub.url),
        before,
        "the session id is rotated at the IdP callback"
    );

    let callback = consent
        .hops
        .iter()
        .find(|h| h.url.contains("/api/v2/oidc-callback"))
        .unwrap()
        .url
        .clone();
    assert_code(&browser.open(&callback).await, 400, "Y420001");
    hub.stop().await;
}

#[tokio::test]
async fn an_idp_callback_with_a_missing_or_wrong_state_is_refused() {
    let hub = TestHub::start().await;
    let browser = Browser::new();
    let mire = browser.open(&hub.authorize_url(&[])).await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    browser.submit(&action, &fields).await;
    let page = browser
        .open(&format!("{}/api/v2/oidc-callback?code=abc", hub.url))
        .await;
    assert_code(&page, 400, "Y020021");
    let page = browser
        .open(&format!(
            "{}/api/v2/oidc-callback?code=abc&state=forged",
            hub.url
        ))
        .await;
    assert_code(&page, 403, "Y020022");
    hub.stop().await;
}
