//! Floods never cost a real user: requests without cookies store nothing, and journeys that never
//! log in cannot push out what a logged-in user holds. Small caps, real sockets.

use reqwest::redirect::Policy;
use service_provider_example::pending;
use service_provider_example::startup::SESSION_COOKIE;

use crate::helpers::{TestApp, browser, spawn_app_with};
use crate::stub_hub::Behaviour;

/// Caps far below the floods of these tests.
async fn small_app() -> TestApp {
    spawn_app_with(|config| {
        config.max_sessions = 4;
        config.session_megabytes = 1;
        config.max_journals = 4;
        config.journal_megabytes = 1;
    })
    .await
}

#[tokio::test]
async fn cookie_less_logins_never_evict_a_logged_in_user_nor_a_journey_in_progress() {
    let app = small_app().await;
    let logged_in = browser();
    let answer = app.login_as(&logged_in, "/login").await;
    assert_eq!(answer.location.as_deref(), Some("/me"), "{}", answer.body);
    // Left for FranceConnect, which answered; the browser is not back yet.
    let traveller = browser();
    let callback = app.callback_url_as(&traveller, "/data/login").await;
    let before = app.stores.memory();

    let no_cookies = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    for _ in 0..300 {
        let login = app.get_as(&no_cookies, "/login").await;
        assert_eq!(login.status, 302);
        assert!(login.cookie(SESSION_COOKIE).is_none(), "{login:?}");
    }

    let after = app.stores.memory();
    assert_eq!(after.sessions, before.sessions, "no session stored");
    assert_eq!(after.journals, before.journals, "no journal stored");
    assert!(app.is_logged_in_as(&logged_in).await);
    let back = app.get_as(&traveller, &callback).await;
    assert_eq!(back.location.as_deref(), Some("/data"), "{}", back.body);
    assert!(app.is_logged_in_as(&traveller).await);
    let memory = app.stores.memory();
    assert_eq!(memory.sessions, (0, 2));
    assert!(memory.session_bytes > 0 && memory.session_bytes <= memory.session_budget);
    assert!(memory.journal_bytes > 0 && memory.journal_bytes <= memory.journal_budget);
}

#[tokio::test]
async fn journeys_that_never_log_in_cannot_push_out_a_logged_in_users_journal() {
    let app = small_app().await;
    let logged_in = browser();
    app.login_as(&logged_in, "/login").await;
    app.hub.set(Behaviour {
        authorize_error: Some(("access_denied".into(), "cancelled".into())),
        ..Behaviour::default()
    });

    for _ in 0..30 {
        let refused = app.login_as(&browser(), "/login").await;
        assert_eq!(refused.status, 200, "{}", refused.body);
    }

    let steps = app.journal_steps_as(&logged_in).await;
    assert!(steps.iter().any(|s| s.contains("(token)")), "{steps:?}");
    let memory = app.stores.memory();
    assert_eq!(
        memory.journals,
        (1, 1),
        "one fresh journal at most (a quarter of 4)"
    );
    assert!(memory.journal_bytes <= memory.journal_budget);
    assert!(app.is_logged_in_as(&logged_in).await);
}

#[tokio::test]
async fn a_login_in_progress_expires() {
    let app = small_app().await;
    let late = browser();
    let callback = app.callback_url_as(&late, "/login").await;
    app.clock
        .advance_secs(i64::try_from(app.config.login_timeout_secs).unwrap() + 1);

    let expired = app.get_as(&late, &callback).await;

    assert_eq!(expired.status, 400);
    assert!(expired.body.contains("login_expired"), "{}", expired.body);
    assert_eq!(app.hub.token_calls(), 0);
}

#[tokio::test]
async fn a_login_in_progress_is_single_use_even_for_a_copy_of_its_cookie() {
    let app = small_app().await;
    let first = browser();
    let login = app.get_as(&first, "/login").await;
    let copy = login.cookie(pending::COOKIE).unwrap().to_owned();
    let at_hub = app.get_as(&first, &login.location.unwrap()).await;
    let callback = at_hub.location.unwrap();
    assert_eq!(app.get_as(&first, &callback).await.status, 302);
    let replay = reqwest::Client::new()
        .get(&callback)
        .header("Cookie", copy)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    assert_eq!(app.hub.token_calls(), 1);
}
