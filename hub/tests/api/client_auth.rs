//! `private_key_jwt` at the token endpoint (RFC 7523): an SP that registered keys instead of
//! using its secret, and every way an assertion can be wrong.

use super::*;
use fc_plumbing::{Jwa, KeySet, jose};

const SP4_ID: &str = "sp4-private-key-jwt-000000000000000000000000000000000000000000000";
const SP4_CALLBACK: &str = "http://sp4.test/oidc-callback";

/// SP4's registration, with the public half of `keys` inline.
fn registration(keys: &KeySet) -> String {
    let jwk = keys.ec.public_jwk();
    format!(
        r#"
[[service_provider]]
client_id = "{SP4_ID}"
client_secret = "sp4-secret-that-must-not-work-00000000000000000000000000000000000"
name = "SP avec private_key_jwt"
entity_id = "sp4-entity"
type = "public"
scopes = ["openid", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email", "dgfip_rfr"]
redirect_uris = ["{SP4_CALLBACK}"]
token_endpoint_auth_method = "private_key_jwt"
jwks = {{ keys = [ {{ kty = "EC", crv = "P-256", x = "{x}", y = "{y}", kid = "{kid}", use = "sig", alg = "ES256" }} ] }}
"#,
        x = jwk["x"].as_str().unwrap(),
        y = jwk["y"].as_str().unwrap(),
        kid = jwk["kid"].as_str().unwrap(),
    )
}

fn assertion(keys: &KeySet, hub: &TestHub, adjust: impl FnOnce(&mut Value)) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut claims = serde_json::json!({
        "iss": SP4_ID,
        "sub": SP4_ID,
        "aud": format!("{}/api/v2/token", hub.url),
        "exp": now + 60,
        "iat": now,
        "jti": fc_plumbing::random::token(16),
    });
    adjust(&mut claims);
    jose::sign_jwt(&keys.signer(Jwa::ES256, ""), &claims).unwrap()
}

async fn code(hub: &TestHub) -> String {
    let browser = Browser::stopping_at("http://sp4.test");
    let url = hub.authorize_url(&[("client_id", SP4_ID), ("redirect_uri", SP4_CALLBACK)]);
    hub.code_from(&browser, &url).await
}

async fn token(hub: &TestHub, code: &str, assertion: &str) -> reqwest::Response {
    token_form(
        hub,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", SP4_CALLBACK),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
    )
    .await
}

async fn start(keys: &KeySet) -> TestHub {
    let registration = registration(keys);
    TestHub::start_with(|c| c.registry.add_toml(&registration).unwrap()).await
}

#[tokio::test]
async fn an_sp_authenticates_with_a_signed_assertion_once() {
    let keys = KeySet::generate("sp4").unwrap();
    let hub = start(&keys).await;
    let discovery: Value = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        hub.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        discovery["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "private_key_jwt")
    );
    let code = code(&hub).await;
    let signed = assertion(&keys, &hub, |_| {});
    let answer = token(&hub, &code, &signed).await;
    assert_eq!(answer.status().as_u16(), 200);
    assert!(answer.json::<Value>().await.unwrap()["id_token"].is_string());

    // The same assertion again (a replay), even for a new code: refused.
    let code = self::code(&hub).await;
    let replay = token(&hub, &code, &signed).await;
    assert_eq!(replay.status().as_u16(), 401);
    assert!(replay.text().await.unwrap().contains("jti already used"));
    // Its secret does not work for an SP registered for private_key_jwt.
    let by_secret = token_form(
        &hub,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SP4_CALLBACK),
            ("client_id", SP4_ID),
            (
                "client_secret",
                "sp4-secret-that-must-not-work-00000000000000000000000000000000000",
            ),
        ],
    )
    .await;
    assert_eq!(by_secret.status().as_u16(), 401);
    hub.stop().await;
}

#[tokio::test]
async fn every_wrong_assertion_is_invalid_client() {
    let keys = KeySet::generate("sp4").unwrap();
    let hub = start(&keys).await;
    let code = code(&hub).await;
    let other_keys = KeySet::generate("other").unwrap();
    let hub_url = hub.url.clone();
    type Case = (&'static str, String);
    let cases: Vec<Case> = vec![
        ("another audience", assertion(&keys, &hub, |c| c["aud"] = serde_json::json!("http://evil.test/token"))),
        ("expired", assertion(&keys, &hub, |c| c["exp"] = serde_json::json!(1_000_000))),
        ("too long-lived", assertion(&keys, &hub, |c| c["exp"] = serde_json::json!(c["iat"].as_i64().unwrap() + 3600))),
        ("no jti", assertion(&keys, &hub, |c| { c.as_object_mut().unwrap().remove("jti"); })),
        ("iss is not sub", assertion(&keys, &hub, |c| c["sub"] = serde_json::json!("someone"))),
        ("signed by another key", assertion(&other_keys, &hub, |_| {})),
        ("HS256 with the secret", jose::sign_jwt(
            &fc_plumbing::jose::Signer::Hmac("sp4-secret-that-must-not-work-00000000000000000000000000000000000"),
            &serde_json::json!({"iss": SP4_ID, "sub": SP4_ID, "aud": format!("{hub_url}/api/v2/token"),
                "exp": 9_999_999_999_i64, "jti": "hs"}),
        ).unwrap()),
        ("not a JWT", "not-a-jwt".to_owned()),
    ];
    for (why, bad) in cases {
        let answer = token(&hub, &code, &bad).await;
        assert_eq!(answer.status().as_u16(), 401, "{why}");
        assert_eq!(
            answer.json::<Value>().await.unwrap()["error"],
            "invalid_client",
            "{why}"
        );
    }
    // None of them spent the code.
    let good = token(&hub, &code, &assertion(&keys, &hub, |_| {})).await;
    assert_eq!(good.status().as_u16(), 200);
    hub.stop().await;
}
