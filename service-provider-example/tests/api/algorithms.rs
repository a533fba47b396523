//! The registration decides the algorithms (no algorithm confusion), and the hub's keys follow
//! its rotations: fetched again on an unknown `kid` or a failed signature, at most every few
//! seconds, kept when the hub cannot give them.

use service_provider_example::hub::MIN_REFETCH_INTERVAL;

use crate::helpers::{browser, spawn_app, spawn_app_with};
use crate::stub_hub::Behaviour;

#[tokio::test]
async fn an_hs256_id_token_keyed_by_the_client_secret_is_refused_for_an_es256_registration() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        hs256_id_token: true,
        ..Behaviour::default()
    });

    let callback = app.login("/login").await;

    assert_eq!(callback.status, 502, "{}", callback.body);
    assert!(callback.body.contains("invalid_id_token"));
    assert!(
        callback
            .body
            .contains("algorithme « HS256 » refusé : ce service n&#x27;accepte que ES256"),
        "{}",
        callback.body
    );
    assert!(!app.is_logged_in().await);
    let journal = fc_plumbing::testing::unescape(&app.get("/journal").await.body);
    assert!(
        journal.contains("REFUSÉ : algorithme « HS256 » refusé"),
        "{journal}"
    );
}

#[tokio::test]
async fn an_hs256_userinfo_is_refused_for_an_es256_registration() {
    let app = spawn_app().await;
    app.hub.set(Behaviour {
        hs256_userinfo: true,
        ..Behaviour::default()
    });

    let callback = app.login("/login").await;

    assert_eq!(callback.status, 502, "{}", callback.body);
    assert!(callback.body.contains("invalid_userinfo"));
    assert!(
        callback.body.contains("« HS256 » refusé"),
        "{}",
        callback.body
    );
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn the_algorithm_is_the_configured_one_not_the_tokens() {
    let app = spawn_app_with(|config| config.id_token_alg = fc_plumbing::Jwa::HS256).await;
    app.hub.set(Behaviour {
        hs256_id_token: true,
        ..Behaviour::default()
    });
    assert_eq!(app.login("/login").await.location.as_deref(), Some("/me"));

    // Registered HS256, an ES256 token is refused just the same.
    app.hub.set(Behaviour::default());
    let other = browser();
    let callback = app.login_as(&other, "/login").await;
    assert_eq!(callback.status, 502);
    assert!(
        callback.body.contains("« ES256 » refusé"),
        "{}",
        callback.body
    );
}

#[tokio::test]
async fn keys_rotated_under_the_same_kid_are_fetched_again_when_the_signature_fails() {
    let app = spawn_app().await;
    assert_eq!(app.login("/login").await.location.as_deref(), Some("/me"));
    assert_eq!(app.hub.jwks_calls(), 1, "fetched with discovery");

    app.hub.rotate_keys_same_kid();
    let callback = app.login_as(&browser(), "/login").await;

    assert_eq!(
        callback.location.as_deref(),
        Some("/me"),
        "{}",
        callback.body
    );
    assert_eq!(app.hub.jwks_calls(), 2);
}

#[tokio::test]
async fn the_keys_are_fetched_again_at_most_once_every_few_seconds() {
    let app = spawn_app().await;
    app.login("/login").await;
    app.hub.set(Behaviour {
        unknown_kid: true,
        ..Behaviour::default()
    });

    for _ in 0..3 {
        let callback = app.login_as(&browser(), "/login").await;
        assert_eq!(callback.status, 502);
        assert!(callback.body.contains("kid"), "{}", callback.body);
    }
    assert_eq!(
        app.hub.jwks_calls(),
        2,
        "one fetch again for three forged tokens"
    );

    app.clock
        .advance_secs(i64::try_from(MIN_REFETCH_INTERVAL.as_secs()).unwrap());
    app.login_as(&browser(), "/login").await;
    assert_eq!(app.hub.jwks_calls(), 3);
}

#[tokio::test]
async fn the_keys_held_are_kept_when_the_hub_cannot_give_new_ones() {
    let app = spawn_app().await;
    app.login("/login").await;
    app.hub.set(Behaviour {
        unknown_kid: true,
        jwks_down: true,
        ..Behaviour::default()
    });
    assert_eq!(app.login_as(&browser(), "/login").await.status, 502);
    assert_eq!(app.hub.jwks_calls(), 2, "tried, and failed");

    app.hub.set(Behaviour {
        jwks_down: true,
        ..Behaviour::default()
    });
    let callback = app.login_as(&browser(), "/login").await;

    assert_eq!(
        callback.location.as_deref(),
        Some("/me"),
        "{}",
        callback.body
    );
}
