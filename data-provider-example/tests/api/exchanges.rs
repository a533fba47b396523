//! The journal of DP ↔ hub exchanges, served at `/exchanges/{correlation_id}`.

use crate::helpers::*;

#[tokio::test]
async fn the_checktoken_exchange_is_recorded_with_the_secret_masked() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), "dgfip_rfr");
    let id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    assert_eq!(app.get_data(Some(BEARER), Some(id)).await.status(), 200);

    let (status, journal) = exchanges(&app, id).await;
    assert_eq!(status, 200);
    let journal = journal.as_array().unwrap();
    let kinds: Vec<&str> = journal
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["checktoken", "jwks"]);

    let checktoken = &journal[0];
    assert_eq!(checktoken["request"]["method"], "POST");
    assert_eq!(
        checktoken["request"]["url"],
        format!("{}/api/v2/checktoken", hub.url)
    );
    assert_eq!(
        checktoken["request"]["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    let body = checktoken["request"]["body"].as_str().unwrap();
    assert!(body.contains("client_secret=********"), "{body}");
    assert!(body.contains(&format!("token={TOKEN}")), "{body}");
    assert_eq!(checktoken["response"]["status"], 200);
    assert_eq!(
        checktoken["response"]["headers"]["content-type"],
        "application/token-introspection+jwt"
    );
    assert_eq!(checktoken["jws"]["signature_valid"], true);
    assert_eq!(checktoken["jws"]["header"]["alg"], "ES256");
    assert_eq!(
        checktoken["jws"]["payload"]["token_introspection"]["scope"],
        "dgfip_rfr"
    );
    assert!(checktoken["duration_ms"].is_u64());
    assert!(
        !journal.iter().any(|e| e.to_string().contains(SECRET)),
        "the secret leaked"
    );

    // The JWKS is cached: a second call adds only a checktoken exchange.
    assert_eq!(app.get_data(Some(BEARER), Some(id)).await.status(), 200);
    let (_, journal) = exchanges(&app, id).await;
    assert_eq!(journal.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn refused_answers_are_recorded_with_the_reason() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    let mut payload = hub.payload(introspection(melaine(), "dgfip_rfr"));
    payload["aud"] = serde_json::json!("someone-else");
    hub.reply_signed(&fc_plumbing::Signer::Ec(&hub.keys.ec), &payload);

    assert_eq!(
        app.get_data(Some(BEARER), Some("refused")).await.status(),
        502
    );
    let (_, journal) = exchanges(&app, "refused").await;
    let checktoken = &journal[0];
    assert_eq!(checktoken["jws"]["signature_valid"], true);
    assert!(checktoken["jws"]["error"].as_str().unwrap().contains("aud"));
    assert!(checktoken["error"].as_str().unwrap().contains("aud"));
}

#[tokio::test]
async fn unknown_correlation_ids_give_an_empty_list() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), "dgfip_rfr");
    // A call without a correlation id is not recorded anywhere.
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);
    assert_eq!(
        exchanges(&app, "never-seen").await,
        (200, serde_json::json!([]))
    );
}
