//! The v1 surface (SPEC §4.1, §4.8).

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
