//! `/health`: the program's own liveness, and the hub's reachability from a cache, so a container
//! probe never turns into a call to the hub per probe.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

async fn health(app: &TestApp) -> (u16, Value) {
    let (status, _, body) = parts(app.get_path("/health", None, None).await).await;
    (status, body)
}

/// Waits for the DP's next look at the hub (a condition, not a delay).
async fn next_look(looks: &mut tokio::sync::watch::Receiver<u64>) {
    tokio::time::timeout(Duration::from_secs(20), looks.changed())
        .await
        .expect("no look at the hub within 20 s")
        .unwrap();
}

#[tokio::test]
async fn the_hub_is_reported_from_a_cache_and_a_down_hub_keeps_the_dp_healthy() {
    let hub = StubHub::start().await;
    let (clock, hand) = fc_plumbing::Clock::manual();
    let app = TestApp::spawn(&hub, |c| {
        c.clock = clock;
        c.health_ttl_secs = 10;
    })
    .await;
    let mut looks = app.state.health.subscribe();
    // The DP looks once at startup; wait for that look if it has not finished yet.
    if *looks.borrow_and_update() == 0 {
        next_look(&mut looks).await;
    }
    let (status, body) = health(&app).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["peers"], json!({"hub": "ok"}));
    assert!(body["records"].as_u64().unwrap() >= 10);

    // Many probes within the TTL: no call to the hub.
    for _ in 0..20 {
        assert_eq!(health(&app).await.1["peers"]["hub"], "ok");
    }
    assert_eq!(hub.state().health_calls, 1);

    // The hub goes away; the cache still says ok until the TTL passes, then one look says down.
    hub.stop().await;
    assert_eq!(health(&app).await.1["peers"]["hub"], "ok");
    hand.advance_secs(10);
    let (status, body) = health(&app).await;
    assert_eq!(
        (status, &body["peers"]["hub"]),
        (200, &json!("ok")),
        "stale, look started"
    );
    next_look(&mut looks).await;
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "the DP itself is healthy");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["peers"], json!({"hub": "down"}));
}
