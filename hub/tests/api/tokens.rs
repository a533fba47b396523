//! Token, userinfo and checktoken (`docs/hub.md`).

use super::*;

#[tokio::test]
async fn code_flow_tokens_userinfo_and_code_reuse() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;

    // A wrong secret is refused and does not consume the code.
    let wrong = hub.token(&code, "not-the-secret").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let response = hub.token(&code, SP_SECRET).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    let mut keys: Vec<&str> = tokens
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "id_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(tokens["expires_in"], 60);
    let jwks = jwks(&hub).await;
    let claims = fc_plumbing::jose::verify_jwt(
        tokens["id_token"].as_str().unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap();
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["aud"], SP_ID);
    assert_eq!(claims["acr"], "eidas1");
    assert!(claims.get("amr").is_none(), "amr only when asked for");
    let sub = claims["sub"].as_str().unwrap().to_owned();
    assert!(sub.len() == 66 && sub.ends_with("v1"));

    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.headers()["content-type"], "application/jwt");
    let jwt = userinfo.text().await.unwrap();
    let info = fc_plumbing::jose::verify_jwt(&jwt, fc_plumbing::Jwa::ES256, &jwks, None).unwrap();
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["given_name"], "Mélaine Évelyne");
    assert_eq!(
        info["given_name_array"],
        serde_json::json!(["Mélaine", "Évelyne"])
    );
    assert_eq!(info["birthplace"], "95277");
    assert!(
        info.get("preferred_username").is_none(),
        "not in the granted scopes"
    );
    assert!(
        info.get("dgfip_rfr").is_none(),
        "data scopes release no claim"
    );

    // Checktoken: the DP gets its own sub and only its scopes.
    let checktoken_url = format!("{}/api/v2/checktoken", hub.url);
    let check = |token: String, secret: &'static str| {
        let url = checktoken_url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&[
                    ("token", token.as_str()),
                    ("client_id", DP_ID),
                    ("client_secret", secret),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let answer = check(access_token.to_owned(), DP_SECRET).await;
    assert_eq!(
        answer.headers()["content-type"],
        "application/token-introspection+jwt"
    );
    // Encrypted to the DP's key (FranceConnect v2), the signed answer inside.
    let payload = fc_plumbing::jose::verify_jwt(
        &open_checktoken(&answer.text().await.unwrap()),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap();
    assert_eq!(payload["aud"], DP_ID);
    let t = &payload["token_introspection"];
    assert_eq!(t["active"], true);
    assert_eq!(t["aud"], SP_ID);
    assert_eq!(t["scope"], "dgfip_rfr");
    assert_ne!(t["sub"], sub.as_str());
    assert_eq!(t["family_name"], "TROIS");
    assert_eq!(
        check(access_token.to_owned(), "wrong")
            .await
            .status()
            .as_u16(),
        401
    );

    // Reusing the code fails and revokes what it gave.
    let reuse = hub.token(&code, SP_SECRET).await;
    assert_eq!(reuse.status().as_u16(), 400);
    assert_eq!(
        reuse.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status().as_u16(), 401);
    assert!(
        userinfo.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let dead = check(access_token.to_owned(), DP_SECRET).await;
    let payload = fc_plumbing::jose::verify_jwt(
        &open_checktoken(&dead.text().await.unwrap()),
        fc_plumbing::Jwa::ES256,
        &jwks,
        None,
    )
    .unwrap();
    assert_eq!(
        payload["token_introspection"],
        serde_json::json!({"active": false})
    );
    hub.stop().await;
}

#[tokio::test]
async fn checktoken_requires_exactly_its_three_fields() {
    let hub = TestHub::start().await;
    let client = reqwest::Client::new();
    for body in [
        vec![("token", "x"), ("client_id", DP_ID)],
        vec![
            ("token", "x"),
            ("client_id", DP_ID),
            ("client_secret", DP_SECRET),
            ("extra", "1"),
        ],
        vec![
            ("token", ""),
            ("client_id", DP_ID),
            ("client_secret", DP_SECRET),
        ],
    ] {
        let response = client
            .post(format!("{}/api/v2/checktoken", hub.url))
            .form(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
    let response = client
        .post(format!("{}/api/v2/checktoken", hub.url))
        .form(&[
            ("token", "x"),
            ("client_id", "unknown"),
            ("client_secret", DP_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    hub.stop().await;
}

async fn revoke(hub: &TestHub, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v2/token/revocation", hub.url))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_revoked_access_token_is_dead_everywhere() {
    let hub = TestHub::start().await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let discovery: Value = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        hub.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        discovery["revocation_endpoint"],
        format!("{}/api/v2/token/revocation", hub.url)
    );

    // Another SP cannot revoke it; bad credentials and short tokens are refused.
    let other = revoke(
        &hub,
        &[
            ("token", token),
            ("client_id", SP2_ID),
            ("client_secret", SP2_SECRET),
        ],
    )
    .await;
    assert_eq!(
        other.status().as_u16(),
        200,
        "RFC 7009: no oracle for other clients' tokens"
    );
    assert_eq!(
        checktoken_v2(&hub, token).await["token_introspection"]["active"],
        true
    );
    let bad = revoke(
        &hub,
        &[
            ("token", token),
            ("client_id", SP_ID),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 401);
    let short = revoke(
        &hub,
        &[
            ("token", "short"),
            ("client_id", SP_ID),
            ("client_secret", SP_SECRET),
        ],
    )
    .await;
    assert_eq!(short.status().as_u16(), 400);

    let ok = revoke(
        &hub,
        &[
            ("token", token),
            ("client_id", SP_ID),
            ("client_secret", SP_SECRET),
        ],
    )
    .await;
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(
        checktoken_v2(&hub, token).await["token_introspection"],
        serde_json::json!({"active": false})
    );
    let userinfo = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status().as_u16(), 401);
    // Revoking again is not an error.
    let again = revoke(
        &hub,
        &[
            ("token", token),
            ("client_id", SP_ID),
            ("client_secret", SP_SECRET),
        ],
    )
    .await;
    assert_eq!(again.status().as_u16(), 200);
    hub.stop().await;
}
