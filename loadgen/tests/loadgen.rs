//! The load generator against the in-process demo (the README's journey): 4 browsers × 2 journeys each,
//! each browser its own fixture person, must end with zero errors and zero cross-talk, and time
//! every step of the journey. No timing assertions: the machine running the tests is shared.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fc_demo::{Options, launch};
use loadgen::Config;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_browsers_complete_their_journeys_without_errors_or_cross_talk() {
    let options = Options::on_free_ports();
    let demo = launch(&options).await.expect("the four programs start");
    let sp_url = demo.sp_url.clone();
    let handles = demo.spawn();

    let config = Config {
        sp_url,
        browsers: 4,
        journeys: 8,
        duration_secs: 120.0,
        timeout_secs: 30,
        ..Config::local()
    };
    let report = loadgen::run(&config).await.expect("the run completes");

    assert!(report.errors.by_kind.is_empty(), "{report}");
    assert_eq!(report.journeys_ok, 8, "{report}");
    assert_eq!(report.journeys_failed, 0);
    assert_eq!(report.cross_talk, 0);
    assert_eq!(report.journey.count, 8);
    let steps: Vec<&str> = report.steps.iter().map(|s| s.step.as_str()).collect();
    for expected in [
        "login GET sp /login",
        "login GET hub /api/v2/authorize",
        "login GET hub /api/v2/interaction/{uid}",
        "login POST hub /api/v2/redirect-to-idp",
        "login POST idp /login",
        "login GET hub /api/v2/oidc-callback",
        "login POST hub /api/v2/login",
        "login GET sp /me",
        "data GET hub /api/v2/interaction/{uid}/consent",
        "data GET sp /data",
        "logout GET idp /session/end",
        "logout GET sp /logout-callback",
    ] {
        assert!(
            steps.contains(&expected),
            "{expected} missing from {steps:?}"
        );
    }
    for s in &report.steps {
        assert_eq!(s.count % 8, 0, "every journey times each step: {s:?}");
    }
    // Only the load generator itself is watched here.
    assert_eq!(report.programs.len(), 1);

    for h in handles {
        h.stop(false).await;
    }
}

#[tokio::test]
async fn a_run_with_more_browsers_than_people_is_refused() {
    let config = Config {
        browsers: 100_000,
        journeys: 1,
        ..Config::local()
    };
    let error = loadgen::run(&config).await.unwrap_err();
    assert!(error.to_string().contains("test people"), "{error}");
}
