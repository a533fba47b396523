//! Deterministic mode (`fixtures/hub/deterministic/README.md`): two hubs started with it publish
//! the same keys and give a person the same `sub`, and neither writes into the fixtures. Plus the
//! options of the control API and of this mode.

use clap::Parser;

use super::admin::published_jwks;
use super::*;

/// Each file of the fixture folder: name, size and modification time.
fn snapshot() -> Vec<(String, u64, std::time::SystemTime)> {
    let dir = fc_plumbing::fixture_path(hub::config::DETERMINISTIC_FIXTURES);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.len(),
                meta.modified().unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The published keys and the `sub` of 3_melaine for the fixture SP.
async fn keys_and_sub(hub: &TestHub) -> (Value, String) {
    let published = published_jwks(hub).await;
    let code = hub.code(&Browser::stopping_at("http://sp.test")).await;
    let tokens: Value = hub.token(&code, SP_SECRET).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims =
        fc_plumbing::jose::verify_jwt(id_token, fc_plumbing::Jwa::ES256, &jwks(hub).await, None)
            .unwrap();
    let kid = fc_plumbing::jose::decode_unverified(id_token)
        .unwrap()
        .header["kid"]
        .clone();
    assert!(
        published["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid)
    );
    (published, claims["sub"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn two_deterministic_hubs_publish_the_same_keys_and_give_the_same_sub() {
    let before = snapshot();
    let deterministic = || TestHub::start_with(|c| c.make_deterministic().unwrap());
    let (first, second) = (deterministic().await, deterministic().await);
    let (keys_1, sub_1) = keys_and_sub(&first).await;
    let (keys_2, sub_2) = keys_and_sub(&second).await;
    assert_eq!(keys_1, keys_2, "same kids and same key material");
    assert_eq!(sub_1, sub_2);
    first.stop().await;
    second.stop().await;

    // Not by chance: a hub in the ordinary mode has other keys and another secret.
    let ordinary = TestHub::start().await;
    let (keys_0, sub_0) = keys_and_sub(&ordinary).await;
    assert_ne!(keys_0, keys_1);
    assert_ne!(sub_0, sub_1);
    ordinary.stop().await;
    assert_eq!(
        snapshot(),
        before,
        "deterministic mode never writes into the fixtures"
    );
}

fn config_from(args: &[&str]) -> Result<hub::Config, String> {
    let cli = hub::Cli::try_parse_from(args).map_err(|e| e.to_string())?;
    hub::Config::from_cli(&cli).map_err(|e| e.to_string())
}

#[test]
fn options_of_the_control_api_and_deterministic_mode() {
    let config = config_from(&["hub"]).unwrap();
    assert!(config.admin_token.is_none() && !config.deterministic);
    assert_eq!(config.admin_registrations, None);

    let err = config_from(&["hub", "--admin-token", "short"]).unwrap_err();
    assert!(err.contains("16 characters"), "{err}");
    let config = config_from(&["hub", "--admin-token", ""]).unwrap();
    assert!(
        config.admin_token.is_none(),
        "an empty token disables the API"
    );

    let dir = fc_plumbing::fixture_path("hub");
    let config = config_from(&["hub", "--registrations", dir.to_str().unwrap()]).unwrap();
    assert_eq!(
        config.admin_registrations,
        Some(dir.join("admin-registrations.toml"))
    );

    let config = config_from(&["hub", "--deterministic"]).unwrap();
    assert!(config.deterministic);
    assert_ne!(config.sub_secret.expose(), hub::config::DEV_SUB_SECRET);
    let err = config_from(&["hub", "--deterministic", "--keys-dir", "/tmp/k"]).unwrap_err();
    assert!(err.contains("--keys-dir"), "{err}");

    let help = hub::Cli::try_parse_from(["hub", "--help"])
        .unwrap_err()
        .to_string();
    assert!(help.contains("TEST ONLY"), "{help}");
}
