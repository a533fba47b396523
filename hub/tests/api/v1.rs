//! The v1 surface: what a client written for FranceConnect v1 sees, and nothing more.

use super::*;

/// An SP written for FranceConnect's v1 API, in the style of FranceConnect's own Node example:
/// credentials in the body, ID token decoded without verification, userinfo as JSON, 69-character
/// state and nonce, `acr_values=eidas1`, DGFiP scopes.
#[tokio::test]
async fn a_v1_service_provider_runs_unchanged() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let state = "s".repeat(69);
    let nonce = "n".repeat(69);
    let url = hub.authorize_url_at(
        "/api/v1/authorize",
        &[
            ("state", &state),
            ("nonce", &nonce),
            (
                "scope",
                "openid profile email address phone dgfip_rfr dgfip_nbpart",
            ),
        ],
    );
    let mire = browser.open(&url).await;
    assert!(
        mire.url
            .starts_with(&format!("{}/api/v1/interaction/", hub.url)),
        "v1 pages live under /api/v1: {}",
        mire.url
    );
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let back = browser.submit(&action, &fields).await;
    let hop = back
        .hops
        .iter()
        .find(|h| h.url.starts_with(SP_CALLBACK))
        .unwrap()
        .url
        .clone();
    let q: std::collections::HashMap<String, String> = reqwest::Url::parse(&hop)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(q["state"], state);
    let mut names: Vec<&str> = q.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["code", "state"],
        "v1 never sent iss (RFC 9207 came with v2)"
    );

    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/token", hub.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", SP_CALLBACK),
            ("client_id", SP_ID),
            ("client_secret", SP_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut members: Vec<&str> = tokens
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(
        members,
        ["access_token", "expires_in", "id_token", "token_type"],
        "v1's token answer had no scope"
    );
    let id_token = tokens["id_token"].as_str().unwrap();
    let decoded = fc_plumbing::jose::decode_unverified(id_token).unwrap();
    assert_eq!(decoded.header["alg"], "HS256");
    assert_eq!(
        decoded.payload["iss"],
        hub.url.as_str(),
        "v1 issuer has no path"
    );
    assert_eq!(decoded.payload["nonce"], nonce.as_str());
    let empty = fc_plumbing::jose::parse_jwks(&serde_json::json!({"keys": []})).unwrap();
    fc_plumbing::jose::verify_jwt(id_token, fc_plumbing::Jwa::HS256, &empty, Some(SP_SECRET))
        .unwrap();

    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v1/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert!(
        userinfo.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let info: Value = userinfo.json().await.unwrap();
    assert_eq!(info["family_name"], "TROIS");
    assert_eq!(info["address"]["locality"], "Sarcelles", "{info}");
    assert!(info["phone_number"].is_string(), "{info}");
    // A v1 token is not a v2 one.
    let v2 = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(v2.status().as_u16(), 401);
    let v2_check = checktoken_v2(&hub, access_token).await;
    assert_eq!(
        v2_check["token_introspection"]["active"], false,
        "v1 and v2 are two platforms"
    );

    let check: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/checktoken", hub.url))
        .json(&serde_json::json!({"token": access_token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["identity"]["given_name"], "Mélaine Évelyne");
    assert_eq!(check["client"]["client_id"], SP_ID);
    assert_eq!(check["acr"], "eidas1");
    assert!(
        check["scope"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "dgfip_rfr")
    );
    let dead = reqwest::Client::new()
        .post(format!("{}/api/v1/checktoken", hub.url))
        .json(&serde_json::json!({"token": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dead.status().as_u16(), 401);
    assert_eq!(
        dead.json::<Value>().await.unwrap()["message"],
        "token_not_found_or_expired"
    );

    let logout = browser
        .open(&fc_plumbing::web::url_with_query(
            &format!("{}/api/v1/logout", hub.url),
            &[
                ("id_token_hint", id_token),
                ("state", "bye"),
                ("post_logout_redirect_uri", "http://sp.test/logout-callback"),
            ],
        ))
        .await;
    assert_eq!(
        logout.url, "http://sp.test/logout-callback?state=bye",
        "{:?}",
        logout.hops
    );
    hub.stop().await;
}

/// The error redirects of a v1 journey carry exactly `error`, `error_description` and `state`.
#[tokio::test]
async fn v1_error_redirects_carry_no_iss() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let url = hub.authorize_url_at("/api/v1/authorize", &[("scope", "profile")]);
    let back = browser.open(&url).await;
    let q = query(&back.url);
    let mut names: Vec<&str> = q.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["error", "error_description", "state"],
        "{}",
        back.url
    );
    // Giving up on the mire, too.
    let mire = browser
        .open(&hub.authorize_url_at("/api/v1/authorize", &[]))
        .await;
    mire.assert_contains("href=\"/api/v1/redirect-to-sp-with-error\"");
    let back = browser
        .open(&format!("{}/api/v1/redirect-to-sp-with-error", hub.url))
        .await;
    assert!(back.url.starts_with(SP_CALLBACK), "{}", back.url);
    assert!(!back.url.contains("iss="), "{}", back.url);
    assert_eq!(query(&back.url)["error"], "access_denied");
    hub.stop().await;
}

/// A v2 token does not answer on v1's credential-free checktoken.
#[tokio::test]
async fn a_v2_token_is_unknown_to_v1_checktoken() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let check = reqwest::Client::new()
        .post(format!("{}/api/v1/checktoken", hub.url))
        .json(&serde_json::json!({"token": tokens["access_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(check.status().as_u16(), 401);
    let body = check.text().await.unwrap();
    assert!(!body.contains("TROIS"), "no identity leaks: {body}");
    hub.stop().await;
}
