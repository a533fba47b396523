//! Encrypted checktoken answers (FranceConnect v2, `docs/data-provider.md`): the DP publishes its
//! own keys, decrypts with the algorithm it pins (refusing any other, and refusing clear answers
//! when it pins one), then checks the signed answer inside; its journal shows both layers.

use data_provider_example::CheckTokenEncryption;
use fc_plumbing::jose::{Signer, sign_jwt};
use fc_plumbing::jwe::{ContentEnc, Encrypter, EncryptionJwk, KeyAlg};
use serde_json::Value;

use crate::helpers::*;

async fn dp_jwks(app: &TestApp) -> Value {
    let response = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    response.json().await.unwrap()
}

/// The stub answers an active token for 3_melaine, signed then encrypted with `alg` to the DP's
/// published key, as FranceConnect v2 does (header: `alg`, `enc`, `epk`).
async fn reply_encrypted(hub: &StubHub, app: &TestApp, alg: KeyAlg) {
    let payload = hub.payload(introspection(melaine(), "dgfip_rfr dgfip_aft"));
    let jws = sign_jwt(&Signer::Ec(&hub.keys.ec), &payload).unwrap();
    let key = EncryptionJwk::from_jwks(&dp_jwks(app).await, alg).unwrap();
    let jwe = Encrypter::new(alg, ContentEnc::A256Gcm)
        .minimal_header()
        .encrypt(&jws, &key)
        .unwrap();
    hub.reply_v2_raw(Reply::new(200, "application/token-introspection+jwt", jwe));
}

async fn journal(app: &TestApp, id: &str) -> Value {
    app.client
        .get(format!("{}/exchanges/{id}", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_encrypted_answer_is_decrypted_checked_and_served_for_each_algorithm() {
    for (pinned, alg) in [
        (CheckTokenEncryption::EcdhEs, KeyAlg::EcdhEs),
        (CheckTokenEncryption::RsaOaep, KeyAlg::RsaOaep),
        (CheckTokenEncryption::RsaOaep256, KeyAlg::RsaOaep256),
    ] {
        let hub = StubHub::start().await;
        let app = TestApp::spawn(&hub, |c| c.checktoken_encryption_alg = pinned).await;
        let keys = dp_jwks(&app).await;
        let published: Vec<&str> = keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                assert_eq!(k["use"], "enc");
                k["alg"].as_str().unwrap()
            })
            .collect();
        assert!(published.contains(&alg.as_str()), "{published:?}");

        reply_encrypted(&hub, &app, alg).await;
        let (status, _, body) = parts(app.get_data(Some(BEARER), Some("enc-1")).await).await;
        assert_eq!(status, 200, "{alg}: {body}");
        assert_eq!(body["rfr"], 42000);

        let exchanges = journal(&app, "enc-1").await;
        let checktoken = &exchanges[0];
        assert_eq!(checktoken["jwe"]["header"]["alg"], alg.as_str());
        assert_eq!(checktoken["jwe"]["header"]["enc"], "A256GCM");
        assert_eq!(checktoken["jwe"]["decrypted"], true);
        assert!(checktoken["jwe"]["kid"].is_string());
        assert_eq!(checktoken["jws"]["header"]["alg"], "ES256");
        assert_eq!(checktoken["jws"]["signature_valid"], true);
        assert_eq!(
            checktoken["jws"]["payload"]["token_introspection"]["family_name"],
            "TROIS"
        );
        hub.stop().await;
    }
}

#[tokio::test]
async fn another_algorithm_or_a_clear_answer_is_refused_when_encryption_is_pinned() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |c| {
        c.checktoken_encryption_alg = CheckTokenEncryption::EcdhEs;
    })
    .await;

    // RSA-OAEP-256 to the DP's own RSA key: a valid JWE, but not the pinned algorithm.
    reply_encrypted(&hub, &app, KeyAlg::RsaOaep256).await;
    let (status, _, body) = parts(app.get_data(Some(BEARER), Some("enc-2")).await).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "invalid_hub_answer");
    let exchanges = journal(&app, "enc-2").await;
    let error = exchanges[0]["jwe"]["error"].as_str().unwrap();
    assert!(
        error.contains("unexpected JWE alg \"RSA-OAEP-256\""),
        "{error}"
    );
    assert!(
        exchanges[0]["jws"].is_null(),
        "nothing is read from a refused JWE"
    );

    // A signed answer that was not encrypted: refused too.
    hub.reply_active(melaine(), "dgfip_rfr");
    let (status, _, body) = parts(app.get_data(Some(BEARER), Some("enc-3")).await).await;
    assert_eq!(status, 502, "{body}");
    let exchanges = journal(&app, "enc-3").await;
    let error = exchanges[0]["error"].as_str().unwrap();
    assert!(error.contains("expected an encrypted answer"), "{error}");
    hub.stop().await;
}

#[tokio::test]
async fn a_jwe_is_refused_by_a_data_provider_that_pins_no_encryption() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    reply_encrypted(&hub, &app, KeyAlg::EcdhEs).await;
    let (status, _, body) = parts(app.get_data(Some(BEARER), Some("enc-4")).await).await;
    assert_eq!(status, 502, "{body}");
    let exchanges = journal(&app, "enc-4").await;
    assert!(
        exchanges[0]["error"]
            .as_str()
            .unwrap()
            .contains("pins no encryption")
    );
    hub.stop().await;
}

/// With a keys folder, the published keys survive a restart (tokens encrypted before it still
/// decrypt after it); the private files are readable by their owner only.
#[tokio::test]
async fn keys_kept_in_a_folder_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("dp-keys-{}", fc_plumbing::random::token(8)));
    let hub = StubHub::start().await;
    let keys_dir = dir.clone();
    let first = TestApp::spawn(&hub, |c| c.keys_dir = Some(keys_dir)).await;
    let before = dp_jwks(&first).await;
    let keys_dir = dir.clone();
    let second = TestApp::spawn(&hub, |c| c.keys_dir = Some(keys_dir)).await;
    assert_eq!(dp_jwks(&second).await, before);
    let fresh = TestApp::spawn(&hub, |_| {}).await;
    assert_ne!(dp_jwks(&fresh).await, before);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("dp-enc-p256.hex"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private key readable by others: {mode:o}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
    hub.stop().await;
}
