use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn discovery_lists_every_endpoint_under_the_exact_issuer() {
    let idp = spawn().await;
    let response = idp.get("/.well-known/openid-configuration").await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc = json(response).await;
    assert_eq!(doc["issuer"], idp.base.as_str());
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("end_session_endpoint", "/session/end"),
    ] {
        assert_eq!(doc[field], idp.url(path), "{field}");
    }
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["public"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["HS256", "RS256", "ES256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_post", "client_secret_basic"])
    );
    assert_eq!(
        doc["acr_values_supported"],
        serde_json::json!(["eidas1", "eidas2", "eidas3"])
    );
    for scope in ["openid", "profile", "email", "birth"] {
        assert!(
            doc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&scope.into()),
            "{scope}"
        );
    }
    assert!(
        doc["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&"birthcountry".into())
    );
}

#[tokio::test]
async fn jwks_publishes_an_ec_and_an_rsa_signing_key() {
    let idp = spawn().await;
    let response = idp.get("/jwks").await;
    assert_eq!(response.status(), StatusCode::OK);
    let jwks = json(response).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let kinds: Vec<(&str, &str)> = keys
        .iter()
        .map(|k| (k["kty"].as_str().unwrap(), k["alg"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("EC", "ES256"), ("RSA", "RS256")]);
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        assert!(key.get("d").is_none(), "no private part");
    }
    fc_plumbing::jose::parse_jwks(&jwks).unwrap();
}

#[tokio::test]
async fn home_and_test_accounts_pages_are_french_html_with_security_headers() {
    let idp = spawn().await;
    let home = idp.get("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["x-frame-options"], "DENY");
    assert!(
        home.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(home.headers()["cache-control"], "no-store");
    let body = home.text().await.unwrap();
    assert!(body.contains(r#"<html lang="fr">"#));
    assert!(body.contains(r#"href="/users""#));

    let users = idp.get("/users").await.text().await.unwrap();
    assert!(users.contains("<code>3_melaine</code>"), "{users}");
    assert!(users.contains("Mélaine Évelyne TROIS"));

    let css = idp.get("/static/demo.css").await;
    assert_eq!(css.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_page_is_a_french_404_page() {
    let idp = spawn().await;
    assert_error_page(idp.get("/nope").await, StatusCode::NOT_FOUND, "not_found").await;
}
