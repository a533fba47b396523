//! The hub facing a misbehaving identity provider (`docs/hub.md`, "Identity providers", "Errors"): each failure scenario of
//! the example IdP (chosen by the login name) must end on the hub's documented error page,
//! with a way back to the SP, and never with a code for the SP.

use super::*;

/// Walks to the IdP, logs in as `login` at `acr` and returns the page the hub ends on.
async fn log_in_as(
    hub: &TestHub,
    browser: &Browser,
    login: &str,
    acr: &str,
) -> fc_plumbing::testing::Page {
    let mire = browser.open(&hub.authorize_url(&[])).await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let form = browser.submit(&action, &fields).await;
    let (action, mut fields) = form.form("id=\"login-form\"");
    set(&mut fields, "login", login);
    set(&mut fields, "password", "123");
    set(&mut fields, "acr", acr);
    browser.submit(&action, &fields).await
}

/// A hub whose IdP calls time out after 1 s, facing an IdP whose slow scenarios take 5 s.
async fn start() -> TestHub {
    TestHub::start_custom(|c| c.idp_timeout_secs = 1, |idp| idp.slow_secs = 5).await
}

#[tokio::test]
async fn each_idp_failure_scenario_ends_on_its_documented_error() {
    let hub = start().await;
    let cases = [
        ("erreur_token_500", 502, "Y020026"),
        ("erreur_token_503", 502, "Y020026"),
        ("erreur_token_illisible", 502, "Y020026"),
        ("erreur_token_lent", 502, "Y020026"),
        ("erreur_userinfo_500", 502, "Y020027"),
        ("erreur_userinfo_503", 502, "Y020027"),
        ("erreur_userinfo_illisible", 502, "Y020027"),
        ("erreur_userinfo_lent", 502, "Y020027"),
        ("erreur_signature", 500, "Y020030"),
        ("erreur_nonce", 500, "Y020030"),
        ("erreur_audience", 500, "Y020030"),
        ("erreur_expire", 500, "Y020030"),
        ("erreur_alg_none", 500, "Y020030"),
        ("erreur_userinfo_sans_sub", 500, "Y020029"),
        ("erreur_userinfo_autre_sub", 500, "Y020029"),
        ("erreur_sans_email", 400, "Y600006"),
        ("erreur_pays_naissance", 400, "Y600006"),
        ("erreur_acr", 500, "Y100001"),
    ];
    for (login, status, code) in cases {
        let browser = Browser::stopping_at("http://sp.test");
        let page = log_in_as(&hub, &browser, login, "eidas1").await;
        assert_eq!(page.status, status, "{login}: {}", page.body);
        page.assert_contains(&format!("class=\"error-code\">{code}</span>"));
        // A verified way back to the SP, with a technical error; the SP got nothing.
        page.assert_contains("Revenir sur Démonstrateur fournisseur de service");
        assert!(
            !page
                .hops
                .iter()
                .any(|h| h.url.starts_with("http://sp.test")),
            "{login}: {:?}",
            page.hops
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn an_idp_that_is_slow_for_one_journey_does_not_slow_the_others() {
    let hub = start().await;
    let slow = Browser::stopping_at("http://sp.test");
    let fast = Browser::stopping_at("http://sp.test");
    let started = std::time::Instant::now();
    let (slow_page, code) = tokio::join!(
        log_in_as(&hub, &slow, "erreur_token_lent", "eidas1"),
        hub.code(&fast)
    );
    assert!(!code.is_empty());
    assert_eq!(slow_page.status, 502);
    // Both finished: the slow one through the 1 s timeout, not the IdP's 5 s delay.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_acr_the_idp_may_not_give_is_y100018() {
    let hub = TestHub::start_with(|c| {
        for idp in &mut c.registry.identity_providers {
            if idp.slug == "identity-provider-example" {
                idp.allowed_acr = vec![hub::domain::Acr::Eidas1];
            }
        }
    })
    .await;
    let browser = Browser::stopping_at("http://sp.test");
    let page = log_in_as(&hub, &browser, "3_melaine", "eidas2").await;
    assert_code(&page, 400, "Y100018");
    hub.stop().await;
}

#[tokio::test]
async fn an_unreachable_idp_is_an_error_page_not_a_hang() {
    let hub = TestHub::start_with(|c| {
        c.idp_timeout_secs = 1;
        for idp in &mut c.registry.identity_providers {
            // Nothing listens on port 9 of loopback (discard); connecting fails at once.
            idp.token_endpoint = "http://127.0.0.1:9/token".into();
        }
    })
    .await;
    let browser = Browser::stopping_at("http://sp.test");
    let page = log_in_as(&hub, &browser, "3_melaine", "eidas1").await;
    assert_code(&page, 502, "Y020026");
    hub.stop().await;
}
