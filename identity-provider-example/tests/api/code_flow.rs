use fc_plumbing::Jwa;
use fc_plumbing::jose::{parse_jwks, verify_jwt};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// The token answer's checks common to every flow; returns (access token, ID token claims).
async fn check_token_answer(
    idp: &TestIdp,
    response: reqwest::Response,
    alg: Jwa,
) -> (String, Value) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = json(response).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 60);
    assert_eq!(body["scope"], "openid profile email birth");
    let access_token = body["access_token"].as_str().unwrap().to_owned();
    assert!(access_token.len() >= 43);

    let jwks = parse_jwks(&json(idp.get("/jwks").await).await).unwrap();
    let id_token = body["id_token"].as_str().unwrap();
    let claims = verify_jwt(id_token, alg, &jwks, Some(CLIENT_SECRET)).unwrap();
    assert_eq!(claims["iss"], idp.base.as_str());
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["sub"], "3");
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["amr"], json!(["pwd"]));
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 60);
    assert!(claims["auth_time"].as_i64().unwrap() <= iat);
    (access_token, claims)
}

#[tokio::test]
async fn the_hub_code_flow_with_client_secret_post_yields_melaine() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    // The hub asked for eidas2; the tester picks eidas3 in the form.
    assert!(page.contains(r#"<option value="eidas2" selected>"#));
    let response = idp.login(&page, "3_melaine", "123", "eidas3").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(sets_session_cookie(&response));
    let query = redirect_query(&response, REDIRECT_URI);
    assert_eq!(query_value(&query, "state").as_deref(), Some(STATE));
    let code = query_value(&query, "code").unwrap();

    let response = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    let (access_token, claims) = check_token_answer(&idp, response, Jwa::HS256).await;
    assert_eq!(claims["acr"], "eidas3", "the acr chosen in the form");

    let response = idp.userinfo(&access_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let userinfo = json(response).await;
    assert_eq!(userinfo["sub"], "3");
    assert_eq!(userinfo["family_name"], "TROIS");
    assert_eq!(userinfo["given_name"], "Mélaine Évelyne");
    assert_eq!(userinfo["preferred_username"], "TROIS");
    assert_eq!(userinfo["gender"], "female");
    assert_eq!(userinfo["birthdate"], "1981-07-27");
    assert_eq!(userinfo["birthplace"], "95277");
    assert_eq!(userinfo["birthcountry"], "99100");
    assert_eq!(userinfo["email"], "wossewodda-3728@yopmail.com");
    // Not granted by `openid profile email birth`.
    assert!(userinfo.get("phone_number").is_none());
    assert!(userinfo.get("address").is_none());
}

#[tokio::test]
async fn client_secret_basic_works_too() {
    let idp = spawn().await;
    let code = idp.code_for_melaine("eidas1").await;
    let response = idp
        .token(&code, REDIRECT_URI, ClientAuth::Basic, CLIENT_SECRET)
        .await;
    let (_, claims) = check_token_answer(&idp, response, Jwa::HS256).await;
    assert_eq!(claims["acr"], "eidas1");
}

#[tokio::test]
async fn id_tokens_can_be_signed_es256_or_rs256_with_the_published_keys() {
    for alg in [Jwa::ES256, Jwa::RS256] {
        let idp = spawn_with_alg(alg).await;
        let code = idp.code_for_melaine("eidas2").await;
        let response = idp
            .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
            .await;
        let (_, claims) = check_token_answer(&idp, response, alg).await;
        assert_eq!(claims["acr"], "eidas2");
    }
}

#[tokio::test]
async fn scopes_decide_the_userinfo_claims() {
    let idp = spawn().await;
    let page = idp
        .authorize_with(&authorize_params(&[(
            "scope",
            Some("openid address phone"),
        )]))
        .await
        .text()
        .await
        .unwrap();
    let response = idp.login(&page, "3_melaine", "123", "eidas1").await;
    let code = query_value(&redirect_query(&response, REDIRECT_URI), "code").unwrap();
    let body = json(
        idp.token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
            .await,
    )
    .await;
    let userinfo = json(idp.userinfo(body["access_token"].as_str().unwrap()).await).await;
    assert_eq!(
        userinfo,
        json!({
            "sub": "3",
            "phone_number": "0123456789",
            "address": {
                "formatted": "12 rue de la République, 95200 Sarcelles, France",
                "street_address": "12 rue de la République",
                "locality": "Sarcelles",
                "postal_code": "95200",
                "country": "France"
            }
        })
    );
}

#[tokio::test]
async fn userinfo_refuses_a_missing_or_unknown_token() {
    let idp = spawn().await;
    let no_token = idp.browser.get(idp.url("/userinfo")).send().await.unwrap();
    let unknown = idp.userinfo("not-a-token").await;
    for response in [no_token, unknown] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with(r#"Bearer error="invalid_token""#)
        );
        assert_eq!(json(response).await["error"], "invalid_token");
    }
}
