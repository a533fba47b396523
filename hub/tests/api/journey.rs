//! The browser journey inside the hub: mire, consent, SSO, per-SP signing (`docs/hub.md`).

use super::*;

#[tokio::test]
async fn the_consent_form_cannot_be_replayed() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let mire = browser
        .open(&hub.authorize_url(&[("scope", "openid email")]))
        .await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    let (action, fields) = consent.form("id=\"consent-form\"");
    let first = browser.submit(&action, &fields).await;
    assert!(first.hops.iter().any(|h| h.url.starts_with(SP_CALLBACK)));
    let again = browser.submit(&action, &fields).await;
    assert_eq!(again.status, 400);
    again.assert_contains("Y420001");
    hub.stop().await;
}

/// The private SP with identity consent and RS256 registration: its users must tick the box,
/// may refuse, and it gets RS256 tokens and another sub (SSO from the first SP's login).
#[tokio::test]
async fn a_private_sp_needs_consent_signs_rs256_and_gets_its_own_sub() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp");
    // First SP: log in (sets the SSO session) and keep its sub.
    let code = hub.code(&browser).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let jwks = jwks(&hub).await;
    let first = fc_plumbing::jose::verify_jwt(
        tokens["id_token"].as_str().unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap();

    let sp2 = |state: &'static str| {
        hub.authorize_url(&[
            ("client_id", SP2_ID),
            ("redirect_uri", "http://sp2.test/oidc-callback"),
            ("scope", "openid profile"),
            ("state", state),
        ])
    };
    // SSO: straight to the consent page, which requires the box; refusing is access_denied.
    let consent = browser.open(&sp2("refuse")).await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    consent.assert_contains("name=\"consent\"");
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "refuse", "yes");
    let refused = browser.submit(&action, &fields).await;
    assert!(
        refused
            .url
            .starts_with("http://sp2.test/oidc-callback?error=access_denied"),
        "{}",
        refused.url
    );
    assert!(refused.url.contains("state=refuse"));

    // Submitting without ticking the box is a refusal too.
    let consent = browser.open(&sp2("unticked")).await;
    let (action, fields) = consent.form("id=\"consent-form\"");
    let unticked = browser.submit(&action, &fields).await;
    assert!(
        unticked.url.contains("error=access_denied"),
        "{}",
        unticked.url
    );

    let consent = browser.open(&sp2("accept")).await;
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let back = browser.submit(&action, &fields).await;
    let q: std::collections::HashMap<String, String> = reqwest::Url::parse(&back.url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/api/v2/token", hub.url))
        .basic_auth(SP2_ID, Some(SP2_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", "http://sp2.test/oidc-callback"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(
        fc_plumbing::jose::decode_unverified(id_token)
            .unwrap()
            .header["alg"],
        "RS256"
    );
    let second =
        fc_plumbing::jose::verify_jwt(id_token, fc_plumbing::Jwa::RS256, &jwks, None).unwrap();
    assert_ne!(
        first["sub"], second["sub"],
        "another entity_id gets another sub"
    );
    assert_eq!(second["aud"], SP2_ID);
    hub.stop().await;
}

/// An identity provider registered by its issuer alone: the hub reads its discovery document for
/// the endpoints and completes the journey through it.
#[tokio::test]
async fn an_idp_registered_by_its_issuer_alone_works_through_discovery() {
    let hub = TestHub::start_with(|c| {
        let example = c
            .registry
            .identity_provider("9c716f61-b8a1-435c-a407-ef4d677ec270")
            .unwrap()
            .clone();
        let registration = format!(
            r#"
[[identity_provider]]
uid = "by-discovery"
slug = "idp-par-decouverte"
title = "IdP enregistré par son issuer"
active = true
order = 50
allowed_acr = ["eidas1", "eidas2", "eidas3"]
amr = ["pwd"]
issuer = "{issuer}"
client_id = "{client_id}"
client_secret = "{secret}"
redirect_uri = "{redirect_uri}"
post_logout_redirect_uri = "{post_logout}"
"#,
            issuer = example.issuer,
            client_id = example.client_id,
            secret = example.client_secret.expose(),
            redirect_uri = example.redirect_uri,
            post_logout = example.post_logout_redirect_uri,
        );
        c.registry.add_toml(&registration).unwrap();
    })
    .await;
    let browser = Browser::stopping_at("http://sp.test");
    let mire = browser.open(&hub.authorize_url(&[])).await;
    let (action, fields) = mire.form("data-testid=\"idp-idp-par-decouverte\"");
    let login = browser.submit(&action, &fields).await;
    assert!(login.url.starts_with(&hub.idp_url), "{}", login.url);
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.body);
    consent.assert_contains("IdP enregistré par son issuer");
    hub.stop().await;
}
