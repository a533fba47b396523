//! What the DP trusts in the hub's answers: 502 for anything it cannot trust.

use fc_plumbing::Signer;
use fc_plumbing::jose::EcKey;
use serde_json::{Value, json};

use crate::helpers::*;

async fn expect_502(app: &TestApp, code: &str) -> Value {
    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_id"].is_string());
    body
}

#[tokio::test]
async fn an_unreachable_hub_is_a_bad_gateway() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let app = TestApp::spawn_with({
        let mut config = data_provider_example::Config::local();
        config.hub_url = closed_url;
        config
    })
    .await;
    expect_502(&app, "hub_unreachable").await;

    // A hub that goes away after the JWKS was cached is just as unreachable.
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), ALL_DP_SCOPES);
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);
    hub.stop().await;
    expect_502(&app, "hub_unreachable").await;
}

#[tokio::test]
async fn garbage_answers_are_a_bad_gateway() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    let garbage = [
        Reply::new(200, "application/token-introspection+jwt", "not a jws"),
        Reply::new(200, "application/json", json!({"active": true}).to_string()),
        Reply::new(200, "application/token-introspection+jwt", "a.b.c"),
        Reply::new(500, "text/html", "<h1>oops</h1>"),
        Reply::new(302, "text/html", ""),
        Reply::new(200, "text/plain", "x".repeat(100_000)),
    ];
    for reply in garbage {
        hub.reply_v2_raw(reply);
        expect_502(&app, "invalid_hub_answer").await;
    }
}

#[tokio::test]
async fn refused_credentials_are_reported_as_such() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_v2_raw(Reply::new(
        401,
        "application/json",
        r#"{"error":"invalid_client"}"#,
    ));
    let body = expect_502(&app, "hub_refused_client").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("invalid_client")
    );
    hub.reply_v2_raw(Reply::new(
        400,
        "application/json",
        r#"{"error":"invalid_request"}"#,
    ));
    expect_502(&app, "hub_refused_client").await;
}

#[tokio::test]
async fn answers_signed_by_another_key_are_a_bad_gateway_and_refetch_the_keys_at_most_once_per_interval()
 {
    let hub = StubHub::start().await;
    let (clock, hand) = fc_plumbing::Clock::manual();
    let app = TestApp::spawn(&hub, |c| c.clock = clock).await;
    hub.reply_active(melaine(), ALL_DP_SCOPES);
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);
    assert_eq!(hub.state().jwks_calls, 1);
    let payload = hub.payload(introspection(melaine(), ALL_DP_SCOPES));

    // Same kid as the hub's key, different key: the signature fails, the keys are fetched once
    // more (the hub may have replaced its key under the same name), then it is refused.
    let impostor = EcKey::generate(hub.keys.ec.kid());
    hub.reply_signed(&Signer::Ec(&impostor), &payload);
    expect_502(&app, "invalid_hub_answer").await;
    assert_eq!(hub.state().jwks_calls, 2);

    // A kid the hub never published, right after: the last fetch is too recent, no new one.
    let stranger = EcKey::generate("stranger:ES256");
    hub.reply_signed(&Signer::Ec(&stranger), &payload);
    for _ in 0..5 {
        expect_502(&app, "invalid_hub_answer").await;
    }
    assert_eq!(hub.state().jwks_calls, 2, "a flood costs the hub nothing");

    hand.advance_secs(MIN_REFETCH_SECS);
    expect_502(&app, "invalid_hub_answer").await;
    assert_eq!(hub.state().jwks_calls, 3, "one refetch per interval");
    expect_502(&app, "invalid_hub_answer").await;
    assert_eq!(hub.state().jwks_calls, 3, "never a loop");
}

/// The interval between two fetches of the hub's keys, in seconds of the DP's clock.
const MIN_REFETCH_SECS: i64 = 5;

#[test]
fn the_tests_move_the_clock_by_the_refetch_interval() {
    assert_eq!(
        data_provider_example::jwks::MIN_REFETCH_INTERVAL,
        std::time::Duration::from_secs(MIN_REFETCH_SECS.unsigned_abs())
    );
}

#[tokio::test]
async fn a_failed_refetch_keeps_the_keys_already_cached() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), ALL_DP_SCOPES);
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);

    hub.state().jwks_down = true;
    let stranger = EcKey::generate("stranger:ES256");
    let payload = hub.payload(introspection(melaine(), ALL_DP_SCOPES));
    hub.reply_signed(&Signer::Ec(&stranger), &payload);
    let body = expect_502(&app, "invalid_hub_answer").await;
    assert_eq!(hub.state().jwks_calls, 2, "the refetch was tried");
    let why = body["error_description"].as_str().unwrap();
    assert!(why.contains("cached keys kept"), "{why}");

    hub.reply_active(melaine(), ALL_DP_SCOPES);
    assert_eq!(
        app.get_data(Some(BEARER), None).await.status(),
        200,
        "the hub's keys are still known"
    );
}

#[tokio::test]
async fn a_hub_restarted_with_new_keys_is_picked_up_without_restarting_the_dp() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), ALL_DP_SCOPES);
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);

    // At once: a first fetch (an empty cache) does not hold back the refetch of a rotation.
    let new_key = hub.rotate_keys("restarted");
    let payload = hub.payload(introspection(melaine(), ALL_DP_SCOPES));
    hub.reply_signed(&Signer::Ec(&new_key), &payload);
    let id = "0b7c9e66-7425-40de-944b-e07fc1f90ae7";

    assert_eq!(app.get_data(Some(BEARER), Some(id)).await.status(), 200);
    assert_eq!(hub.state().jwks_calls, 2);
    let (_, journal) = exchanges(&app, id).await;
    let kinds: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["checktoken", "jwks"],
        "the refetch is in the journal"
    );
}

#[tokio::test]
async fn the_algorithm_is_pinned_by_configuration() {
    let hub = StubHub::start().await;
    let payload = hub.payload(introspection(melaine(), ALL_DP_SCOPES));
    hub.reply_signed(&Signer::Rsa(hub.keys.rsa().unwrap()), &payload);

    let es256 = TestApp::spawn(&hub, |_| {}).await;
    expect_502(&es256, "invalid_hub_answer").await;

    let rs256 = TestApp::spawn(&hub, |c| c.checktoken_alg = fc_plumbing::Jwa::RS256).await;
    let (status, _, _) = parts(rs256.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 200);

    // HS256 keyed by a secret is not a signature of the hub: refused when ES256 is expected.
    hub.reply_signed(&Signer::Hmac(SECRET), &payload);
    expect_502(&es256, "invalid_hub_answer").await;
}

#[tokio::test]
async fn issuer_audience_and_age_of_the_answer_are_checked() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    let signer = Signer::Ec(&hub.keys.ec);
    let good = hub.payload(introspection(melaine(), ALL_DP_SCOPES));

    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!(format!("{}/", hub.issuer));
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!(SP_CLIENT_ID);
    let mut stale = good.clone();
    stale["iat"] = json!(chrono::Utc::now().timestamp() - 3600);
    for (payload, what) in [(wrong_iss, "iss"), (wrong_aud, "aud"), (stale, "iat")] {
        hub.reply_signed(&signer, &payload);
        let body = expect_502(&app, "invalid_hub_answer").await;
        assert!(
            body["error_description"].as_str().unwrap().contains(what),
            "{body}"
        );
    }

    hub.reply_signed(&signer, &good);
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);
}

#[tokio::test]
async fn the_jwks_is_cached_and_refetched_once_on_key_rotation() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), ALL_DP_SCOPES);
    for _ in 0..2 {
        assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);
    }
    assert_eq!(hub.state().jwks_calls, 1, "the JWKS is cached");

    let new_key = hub.rotate_keys("rotated");
    let payload = hub.payload(introspection(melaine(), ALL_DP_SCOPES));
    hub.reply_signed(&Signer::Ec(&new_key), &payload);
    for _ in 0..2 {
        assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);
    }
    assert_eq!(
        hub.state().jwks_calls,
        2,
        "one refetch for the new kid, then cached"
    );
}

#[tokio::test]
async fn back_channel_calls_go_to_the_internal_url_while_the_issuer_stays_public() {
    let public = "http://hub.public.test:8000";
    let hub = StubHub::start_with_public_url(Some(public)).await;
    let internal = hub.url.clone();
    let app = TestApp::spawn(&hub, |c| {
        c.hub_url = public.to_owned();
        c.hub_internal_url = Some(internal);
    })
    .await;
    hub.reply_active(melaine(), "dgfip_sitfam");
    let (status, _, body) = parts(app.get_data(Some(BEARER), Some("rewrite-1")).await).await;
    assert_eq!((status, body), (200, json!({"sitFam": "M"})));

    let (_, exchanges) = exchanges(&app, "rewrite-1").await;
    assert_eq!(
        exchanges[0]["request"]["url"],
        format!("{public}/api/v2/checktoken")
    );
}
