//! Authorize (`docs/hub.md`, "Authorize"): discovery, the parameter whitelist, redirect_uri matching, OAuth errors.

use super::*;

#[tokio::test]
async fn discovery_and_jwks_describe_the_hub() {
    let hub = TestHub::start().await;
    let response = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        hub.url
    ))
    .await
    .unwrap();
    assert!(response.headers().get("set-cookie").is_none());
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["issuer"], format!("{}/api/v2", hub.url));
    assert_eq!(doc["token_endpoint"], format!("{}/api/v2/token", hub.url));
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["pairwise"])
    );
    assert!(doc.get("code_challenge_methods_supported").is_none());
    let keys: Value = reqwest::get(format!("{}/api/v2/jwks", hub.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["ES256", "RS256"]);
    assert!(
        keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kid"].is_string() && k["use"] == "sig")
    );
    hub.stop().await;
}

#[tokio::test]
async fn authorize_front_door_errors_are_pages_that_create_nothing() {
    let hub = TestHub::start().await;
    let client = raw_client();
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec![("client_id", "unknown-client")], 400, "Y04EA6EF"),
        (
            vec![("redirect_uri", "http://sp.test/oidc-callback/")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://sp.test/oidc-callback?x=1")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://SP.test/oidc-callback")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://evil@sp.test/oidc-callback")],
            400,
            "Y04C013C",
        ),
        (
            vec![("redirect_uri", "http://sp.test/x/../oidc-callback")],
            400,
            "Y04C013C",
        ),
        (vec![("state", "")], 400, "Y030007"),
        (vec![("nonce", "only-21-characters-xx")], 400, "Y030007"),
        (vec![("code_challenge", "abc")], 400, "Y030007"),
        (vec![("prompt", "none")], 400, "Y030007"),
    ];
    for (params, status, code) in cases {
        let response = client.get(hub.authorize_url(&params)).send().await.unwrap();
        assert_error_page(response, status, code).await;
    }
    let response = client
        .get(format!("{}/api/v2/nowhere", hub.url))
        .send()
        .await
        .unwrap();
    assert_error_page(response, 404, "Y000404").await;
    hub.stop().await;
}

#[tokio::test]
async fn oauth_errors_are_redirected_with_state_and_iss() {
    let hub = TestHub::start().await;
    let response = raw_client()
        .get(hub.authorize_url(&[("scope", "profile")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(SP_CALLBACK));
    let q: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "sp-state");
    assert_eq!(q["iss"], format!("{}/api/v2", hub.url));
    hub.stop().await;
}

#[tokio::test]
async fn a_hostile_state_is_echoed_exactly() {
    let hub = TestHub::start().await;
    let state = format!("\"><script>alert(1)</script>{}", "é".repeat(1000));
    let response = raw_client()
        .get(hub.authorize_url(&[("state", &state), ("scope", "email")]))
        .send()
        .await
        .unwrap();
    let location = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let echoed = location
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(echoed, state);
    hub.stop().await;
}

#[tokio::test]
async fn malformed_forms_queries_and_json_get_the_hubs_own_errors() {
    let hub = TestHub::start().await;
    let client = raw_client();
    let response = client
        .post(format!("{}/api/v2/redirect-to-idp", hub.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrfToken=x")
        .send()
        .await
        .unwrap();
    assert_error_page(response, 400, "Y030007").await;
    let response = client
        .get(format!("{}/api/v2/oidc-callback?state=a&state=b", hub.url))
        .send()
        .await
        .unwrap();
    assert_error_page(response, 400, "Y030007").await;
    let response = client
        .post(format!("{}/api/v1/checktoken", hub.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    hub.stop().await;
}
