//! Failures on demand, seen from the IdP's side: each scenario login makes `/token` or
//! `/userinfo` misbehave exactly as documented (the hub side is tested in `hub/tests`).

use std::time::Duration;

use fc_plumbing::Jwa;
use fc_plumbing::jose::{JoseError, decode_unverified, parse_jwks, verify_jwt};
use identity_provider_example::Config;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// Logs in as `login` (password 123) choosing `acr` and posts the code to `/token`.
async fn token_for(idp: &TestIdp, login: &str, acr: &str) -> (String, reqwest::Response) {
    let code = idp.code_for(login, "123", acr).await;
    let response = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    (code, response)
}

/// The token answer of a scenario whose `/token` works: (access token, raw ID token).
async fn tokens_for(idp: &TestIdp, login: &str, acr: &str) -> (String, String) {
    let (_, response) = token_for(idp, login, acr).await;
    assert_eq!(response.status(), StatusCode::OK, "{login}");
    let body = json(response).await;
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["id_token"].as_str().unwrap().to_owned(),
    )
}

async fn verify(idp: &TestIdp, id_token: &str) -> Result<Value, JoseError> {
    let jwks = parse_jwks(&json(idp.get("/jwks").await).await).unwrap();
    verify_jwt(id_token, Jwa::HS256, &jwks, Some(CLIENT_SECRET))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn token_500_503_and_garbage() {
    let idp = spawn().await;

    let (code, response) = token_for(&idp, "erreur_token_500", "eidas1").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(json(response).await["error"], "server_error");
    // The code was spent by the failed exchange.
    let again = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
        .await;
    assert_eq!(json(again).await["error"], "invalid_grant");

    let (_, response) = token_for(&idp, "erreur_token_503", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "120");
    assert_eq!(json(response).await["error"], "temporarily_unavailable");

    let (_, response) = token_for(&idp, "erreur_token_illisible", "eidas1").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
}

#[tokio::test]
async fn a_scenario_never_hides_a_real_protocol_error() {
    let idp = spawn().await;
    let code = idp.code_for("erreur_token_500", "123", "eidas1").await;
    let response = idp
        .token(&code, REDIRECT_URI, ClientAuth::Post, "wrong-secret")
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(response).await["error"], "invalid_client");
}

#[tokio::test]
async fn a_slow_token_answer_does_not_block_other_requests() {
    let mut config = Config::local();
    config.slow_secs = 3600;
    let idp = spawn_with(config).await;
    let code = idp.code_for("erreur_token_lent", "123", "eidas1").await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let slow = impatient.post(idp.url("/token")).form(&form).send();
    let other = async {
        // Served while the token call is still waiting (it waits an hour). (Not `/jwks`: its
        // first answer may legitimately wait for the RSA key, generated in the background after
        // startup.) A patient client: on a loaded CI machine 500 ms may not be enough.
        let discovery = reqwest::Client::new()
            .get(idp.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap();
        assert_eq!(discovery.status(), StatusCode::OK);
    };
    let (slow, ()) = tokio::join!(slow, other);
    assert!(slow.unwrap_err().is_timeout());
}

#[tokio::test]
async fn slow_scenarios_answer_normally_once_the_delay_is_over() {
    let mut config = Config::local();
    config.slow_secs = 0;
    let idp = spawn_with(config).await;
    let (access_token, id_token) = tokens_for(&idp, "erreur_token_lent", "eidas1").await;
    assert_eq!(verify(&idp, &id_token).await.unwrap()["sub"], "104");
    assert_eq!(idp.userinfo(&access_token).await.status(), StatusCode::OK);

    let (access_token, _) = tokens_for(&idp, "erreur_userinfo_lent", "eidas1").await;
    let userinfo = json(idp.userinfo(&access_token).await).await;
    assert_eq!(userinfo["sub"], "108");
}

#[tokio::test]
async fn a_slow_userinfo_does_not_answer_in_time() {
    let mut config = Config::local();
    config.slow_secs = 3600;
    let idp = spawn_with(config).await;
    let (access_token, _) = tokens_for(&idp, "erreur_userinfo_lent", "eidas1").await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let result = impatient
        .get(idp.url("/userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout());
}

#[tokio::test]
async fn userinfo_500_503_and_garbage() {
    let idp = spawn().await;
    let (access_token, id_token) = tokens_for(&idp, "erreur_userinfo_500", "eidas1").await;
    assert!(
        verify(&idp, &id_token).await.is_ok(),
        "the ID token is fine"
    );
    let response = idp.userinfo(&access_token).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(json(response).await["error"], "server_error");

    let (access_token, _) = tokens_for(&idp, "erreur_userinfo_503", "eidas1").await;
    let response = idp.userinfo(&access_token).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "120");

    let (access_token, _) = tokens_for(&idp, "erreur_userinfo_illisible", "eidas1").await;
    let response = idp.userinfo(&access_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");

    // A bad token is still a 401, whatever the scenario.
    assert_eq!(
        idp.userinfo("not-a-token").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn id_token_with_a_bad_signature() {
    let idp = spawn().await;
    let (_, id_token) = tokens_for(&idp, "erreur_signature", "eidas1").await;
    assert!(matches!(
        verify(&idp, &id_token).await,
        Err(JoseError::BadSignature)
    ));
    let decoded = decode_unverified(&id_token).unwrap();
    assert_eq!(decoded.header["alg"], "HS256");
    assert_eq!(decoded.payload["nonce"], NONCE);
    assert_eq!(decoded.payload["aud"], CLIENT_ID);
}

#[tokio::test]
async fn id_token_with_a_bad_signature_under_es256_too() {
    let idp = spawn_with_alg(Jwa::ES256).await;
    let (_, id_token) = tokens_for(&idp, "erreur_signature", "eidas1").await;
    let jwks = parse_jwks(&json(idp.get("/jwks").await).await).unwrap();
    assert!(matches!(
        verify_jwt(&id_token, Jwa::ES256, &jwks, None),
        Err(JoseError::BadSignature)
    ));
}

#[tokio::test]
async fn id_token_with_a_wrong_nonce_audience_or_expiry() {
    let idp = spawn().await;

    let (_, id_token) = tokens_for(&idp, "erreur_nonce", "eidas1").await;
    let claims = verify(&idp, &id_token).await.unwrap();
    assert_ne!(claims["nonce"], NONCE);
    assert_eq!(claims["aud"], CLIENT_ID);

    let (_, id_token) = tokens_for(&idp, "erreur_audience", "eidas1").await;
    let claims = verify(&idp, &id_token).await.unwrap();
    assert_ne!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], NONCE);

    let (_, id_token) = tokens_for(&idp, "erreur_expire", "eidas1").await;
    let claims = verify(&idp, &id_token).await.unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp < now() - 60, "expired well beyond any leeway: {exp}");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
    assert_eq!(claims["nonce"], NONCE);
}

#[tokio::test]
async fn id_token_with_alg_none() {
    let idp = spawn().await;
    let (_, id_token) = tokens_for(&idp, "erreur_alg_none", "eidas1").await;
    assert!(id_token.ends_with('.'), "{id_token}");
    let decoded = decode_unverified(&id_token).unwrap();
    assert_eq!(decoded.header["alg"], "none");
    assert_eq!(decoded.payload["sub"], "113");
    assert!(matches!(
        verify(&idp, &id_token).await,
        Err(JoseError::Algorithm { .. })
    ));
}

#[tokio::test]
async fn id_token_with_an_acr_below_the_chosen_one() {
    let idp = spawn().await;
    for (chosen, sent) in [
        ("eidas3", "eidas2"),
        ("eidas2", "eidas1"),
        ("eidas1", "eidas0"),
    ] {
        let (_, id_token) = tokens_for(&idp, "erreur_acr", chosen).await;
        let claims = verify(&idp, &id_token).await.unwrap();
        assert_eq!(claims["acr"], sent, "chosen {chosen}");
    }
}

#[tokio::test]
async fn userinfo_without_sub_or_with_another_one() {
    let idp = spawn().await;
    let (access_token, id_token) = tokens_for(&idp, "erreur_userinfo_sans_sub", "eidas1").await;
    assert_eq!(verify(&idp, &id_token).await.unwrap()["sub"], "114");
    let userinfo = json(idp.userinfo(&access_token).await).await;
    assert!(userinfo.get("sub").is_none(), "{userinfo}");
    assert_eq!(userinfo["given_name"], "Sabine");

    let (access_token, id_token) = tokens_for(&idp, "erreur_userinfo_autre_sub", "eidas1").await;
    let id_sub = verify(&idp, &id_token).await.unwrap()["sub"].clone();
    assert_eq!(id_sub, "115");
    let userinfo = json(idp.userinfo(&access_token).await).await;
    let other = userinfo["sub"].as_str().unwrap();
    assert!(!other.is_empty());
    assert_ne!(other, "115");
}

#[tokio::test]
async fn userinfo_without_email_or_with_an_invalid_birth_country() {
    let idp = spawn().await;
    let (access_token, _) = tokens_for(&idp, "erreur_sans_email", "eidas1").await;
    let userinfo = json(idp.userinfo(&access_token).await).await;
    assert!(userinfo.get("email").is_none(), "{userinfo}");
    assert_eq!(userinfo["sub"], "116");

    let (access_token, _) = tokens_for(&idp, "erreur_pays_naissance", "eidas1").await;
    let userinfo = json(idp.userinfo(&access_token).await).await;
    assert_eq!(userinfo["birthcountry"], "FRANCE");
    assert_eq!(userinfo["email"], "erreur.pays@example.test");
}

#[tokio::test]
async fn ordinary_people_are_not_affected() {
    let idp = spawn().await;
    let (access_token, id_token) = tokens_for(&idp, "3_melaine", "eidas2").await;
    let claims = verify(&idp, &id_token).await.unwrap();
    assert_eq!(
        (claims["nonce"].as_str(), claims["acr"].as_str()),
        (Some(NONCE), Some("eidas2"))
    );
    let userinfo = json(idp.userinfo(&access_token).await).await;
    assert_eq!(userinfo["sub"], "3");
    assert_eq!(userinfo["birthcountry"], "99100");
    assert!(userinfo["email"].is_string());
}

#[tokio::test]
async fn the_scenarios_are_documented_on_the_login_and_accounts_pages() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let accounts = idp.get("/users").await.text().await.unwrap();
    for doc in identity_provider_example::scenario::Scenario::docs() {
        for html in [&page, &accounts] {
            assert!(
                html.contains(&format!("<code>{}</code>", doc.login)),
                "{}",
                doc.login
            );
            assert!(html.contains(doc.hub_error), "{}", doc.hub_error);
        }
    }
    // The test accounts are one click away on the login form.
    assert!(page.contains(r#"<details id="test-accounts">"#));
    assert!(page.contains("<code>3_melaine</code>"));
}
