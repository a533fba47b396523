//! `/health`: always 200 while the SP runs, the peers' state from a cached probe.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

async fn health(app: &TestApp) -> Value {
    let page = app.get("/health").await;
    assert_eq!(page.status, 200, "{}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

/// `/health` once the background probe it started has reported `hub` as `status`. A probe that
/// found otherwise (a loaded machine can make the stub miss the probe's timeout) lets the clock
/// move on one interval, so that the next call probes again.
async fn health_once(app: &TestApp, status: &str) -> Value {
    let interval = i64::try_from(app.config.health_interval_secs).unwrap();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let report = health(app).await;
            let hub = &report["peers"]["hub"];
            if hub["status"] == status {
                return report;
            }
            if hub["checked_at"].is_string() && hub["status"] != "unknown" {
                app.clock.advance_secs(interval);
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the hub never reported {status}"))
}

#[tokio::test]
async fn health_reports_the_peers_from_a_cached_probe_and_stays_200_when_they_are_down() {
    let app = spawn_app().await;

    let up = health_once(&app, "up").await;

    assert_eq!(up["status"], "ok");
    assert_eq!(up["peers"]["data_provider"]["status"], "up");
    assert!(
        up["peers"]["hub"]["url"]
            .as_str()
            .unwrap()
            .ends_with("openid-configuration")
    );
    assert!(up["peers"]["hub"]["checked_at"].is_string());
    // Health calls never probe by themselves: one probe per interval.
    let probes = app.hub.discovery_calls();
    for _ in 0..20 {
        health(&app).await;
    }
    assert_eq!(app.hub.discovery_calls(), probes);

    app.hub.stop().await;
    assert_eq!(health(&app).await["peers"]["hub"]["status"], "up", "cached");
    app.clock
        .advance_secs(i64::try_from(app.config.health_interval_secs).unwrap());
    let down = health_once(&app, "down").await;

    assert_eq!(down["status"], "ok");
    assert_eq!(down["peers"]["data_provider"]["status"], "down");
    assert_eq!(down["peers"]["hub"]["detail"], "connexion impossible");
}
