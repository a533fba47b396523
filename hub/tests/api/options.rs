//! Authorize options and the mire (`docs/hub.md`, "Authorize", "Mire"): idp_hint, amr, PKCE in relaxed mode,
//! greyed IdPs, anonymous logins, the way back to the SP, SSO subs.

use super::*;

const SP3_CALLBACK: &str = "http://sp3.test/oidc-callback";
const EXAMPLE_IDP: &str = "9c716f61-b8a1-435c-a407-ef4d677ec270";

fn sp3_authorize(hub: &TestHub, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("client_id", SP3_ID),
        ("redirect_uri", SP3_CALLBACK),
        ("scope", "openid profile email"),
    ];
    params.extend_from_slice(extra);
    hub.authorize_url(&params)
}

#[tokio::test]
async fn an_allowed_idp_hint_skips_the_mire() {
    let hub = TestHub::start().await;
    let response = raw_client()
        .get(sp3_authorize(&hub, &[("idp_hint", EXAMPLE_IDP)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/authorize?", hub.idp_url)),
        "{location}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_idp_hint_the_sp_may_not_use_is_invalid_idp_hint() {
    let hub = TestHub::start().await;
    let response = raw_client()
        .get(hub.authorize_url(&[("idp_hint", EXAMPLE_IDP)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let q = query(response.headers()["location"].to_str().unwrap());
    assert_eq!(q["error"], "invalid_idp_hint");
    assert_eq!(q["state"], "sp-state");
    hub.stop().await;
}

#[tokio::test]
async fn amr_is_released_when_asked_and_allowed_and_hs256_uses_the_client_secret() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp3.test");
    let code = hub
        .code_from(
            &browser,
            &sp3_authorize(
                &hub,
                &[("claims", r#"{"id_token":{"amr":{"essential":true}}}"#)],
            ),
        )
        .await;
    let response = token_form(
        &hub,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SP3_CALLBACK),
            ("client_id", SP3_ID),
            ("client_secret", SP3_SECRET),
        ],
    )
    .await;
    let tokens: Value = response.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let empty = fc_plumbing::jose::parse_jwks(&serde_json::json!({"keys": []})).unwrap();
    let claims =
        fc_plumbing::jose::verify_jwt(id_token, fc_plumbing::Jwa::HS256, &empty, Some(SP3_SECRET))
            .unwrap();
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let mut keys: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "acr",
            "amr",
            "aud",
            "auth_time",
            "exp",
            "iat",
            "iss",
            "nonce",
            "sub"
        ]
    );
    hub.stop().await;
}

#[tokio::test]
async fn amr_asked_by_an_sp_that_may_not_have_it_is_y100009() {
    let hub = TestHub::start().await;
    let url = hub.authorize_url(&[
        ("client_id", SP2_ID),
        ("redirect_uri", "http://sp2.test/oidc-callback"),
        ("scope", "openid profile"),
        ("claims", r#"{"id_token":{"amr":{"essential":true}}}"#),
    ]);
    assert_error_page(raw_client().get(url).send().await.unwrap(), 400, "Y100009").await;
    hub.stop().await;
}

#[tokio::test]
async fn relaxed_mode_accepts_pkce_s256_and_checks_the_verifier() {
    let hub = TestHub::start_with(|c| c.relaxed = true).await;
    let doc: Value = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        hub.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let url = hub.authorize_url(&[
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("login_hint", "ignored"),
    ]);
    let redeem = |code: String, verifier: Option<&'static str>| {
        let hub_url = hub.url.clone();
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", SP_CALLBACK.to_owned()),
                ("client_id", SP_ID.to_owned()),
                ("client_secret", SP_SECRET.to_owned()),
            ];
            if let Some(v) = verifier {
                form.push(("code_verifier", v.to_owned()));
            }
            reqwest::Client::new()
                .post(format!("{hub_url}/api/v2/token"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code_from(&browser, &url).await;
    let wrong = redeem(code, Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx")).await;
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let code = hub.code_from(&browser, &url).await;
    assert_eq!(
        redeem(code, None).await.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let code = hub.code_from(&browser, &url).await;
    assert_eq!(redeem(code, Some(verifier)).await.status().as_u16(), 200);
    // A verifier without a challenge is a downgrade attempt.
    let code = hub.code_from(&browser, &hub.authorize_url(&[])).await;
    assert_eq!(
        redeem(code, Some(verifier))
            .await
            .json::<Value>()
            .await
            .unwrap()["error"],
        "invalid_grant"
    );
    // plain is refused at authorize.
    let plain = raw_client()
        .get(hub.authorize_url(&[
            ("code_challenge", challenge),
            ("code_challenge_method", "plain"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query(plain.headers()["location"].to_str().unwrap())["error"],
        "invalid_request"
    );
    hub.stop().await;
}

#[tokio::test]
async fn the_mire_greys_unavailable_idps_and_flags_anonymous_logins() {
    let hub = TestHub::start().await;
    let browser = Browser::new();
    let mire = browser
        .open(&hub.authorize_url(&[("scope", "openid")]))
        .await;
    assert_eq!(mire.status, 200);
    mire.assert_contains("connexion anonyme");
    for slug in [
        "impots-gouv",
        "ameli",
        "l-identite-numerique-la-poste",
        "mobile-connect-et-moi",
        "msa",
    ] {
        let at = mire
            .body
            .find(&format!("data-testid=\"idp-{slug}\""))
            .unwrap_or_else(|| panic!("{slug} listed"));
        let tag_end = at + mire.body[at..].find('>').unwrap();
        assert!(
            mire.body[at..tag_end].contains("disabled"),
            "{slug} is unavailable"
        );
    }
    let at = mire
        .body
        .find("data-testid=\"idp-identity-provider-example\"")
        .unwrap();
    let tag_end = at + mire.body[at..].find('>').unwrap();
    assert!(!mire.body[at..tag_end].contains("disabled"));
    mire.assert_contains("Indisponible");
    hub.stop().await;
}

#[tokio::test]
async fn leaving_the_mire_sends_the_sp_access_denied() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let mire = browser.open(&hub.authorize_url(&[])).await;
    mire.assert_contains("Revenir sur Démonstrateur fournisseur de service");
    let back = browser
        .open(&format!("{}/api/v2/redirect-to-sp-with-error", hub.url))
        .await;
    let q = query(&back.url);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "sp-state");
    assert_eq!(q["iss"], format!("{}/api/v2", hub.url));
    hub.stop().await;
}

#[tokio::test]
async fn an_idp_error_brings_the_user_back_to_the_mire_with_a_banner() {
    let hub = TestHub::start().await;
    let browser = Browser::new();
    let mire = browser.open(&hub.authorize_url(&[])).await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "cancel", "1");
    let back = browser.submit(&action, &fields).await;
    assert!(
        back.url.contains("/api/v2/interaction/") && !back.url.ends_with("/consent"),
        "{}",
        back.url
    );
    back.assert_contains(
        "La connexion à <strong>Fournisseur d&#x27;identité de démonstration</strong>",
    );
    // The user can pick again.
    let (action, fields) = back.form("data-testid=\"idp-identity-provider-example\"");
    assert!(
        browser
            .submit(&action, &fields)
            .await
            .url
            .starts_with(&hub.idp_url)
    );
    hub.stop().await;
}

#[tokio::test]
async fn sso_gives_the_same_sp_the_same_sub_without_the_idp() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let first = hub.code(&browser).await;
    let tokens: Value = hub.token(&first, SP_SECRET).await.json().await.unwrap();
    let jwks = jwks(&hub).await;
    let sub1 = fc_plumbing::jose::verify_jwt(
        tokens["id_token"].as_str().unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap()["sub"]
        .clone();

    let consent = browser
        .open(&hub.authorize_url(&[("state", "again")]))
        .await;
    assert!(
        consent.url.ends_with("/consent"),
        "SSO skips mire and IdP: {:?}",
        consent.hops
    );
    assert!(!consent.hops.iter().any(|h| h.url.starts_with(&hub.idp_url)));
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let back = browser.submit(&action, &fields).await;
    let code = query(&back.url)["code"].clone();
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let sub2 = fc_plumbing::jose::verify_jwt(
        tokens["id_token"].as_str().unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap()["sub"]
        .clone();
    assert_eq!(sub1, sub2);
    hub.stop().await;
}

#[tokio::test]
async fn prompt_login_without_consent_skips_the_information_page() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let mire = browser
        .open(&hub.authorize_url(&[("prompt", "login"), ("scope", "openid given_name")]))
        .await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let back = browser.submit(&action, &fields).await;
    assert!(
        back.url.starts_with(SP_CALLBACK),
        "no consent page: {:?}",
        back.hops
    );
    assert!(query(&back.url).contains_key("code"));
    // Data scopes always need the user's consent, prompt or not.
    let consent = browser
        .open(&hub.authorize_url(&[("prompt", "login"), ("state", "data")]))
        .await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    hub.stop().await;
}
