//! FranceConnect+ through a stub hub that encrypts the ID token and userinfo to the keys this SP
//! publishes: a whole login (both layers in the journal), and every way the encryption can be
//! wrong refused with a French error page, nobody logged in.

use fc_plumbing::jwe::KeyAlg;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};
use crate::stub_hub::{Behaviour, SUB, param, query_of};

const PLUS_LOGIN: &str = "/login?hub=franceconnect-plus";

/// Every JWT view of this browser's journal: `(label, header, signature, encrypted)`.
async fn journal_jwts(app: &TestApp) -> Vec<(String, Value, String, bool)> {
    let entries: Value = serde_json::from_str(&app.get("/journal.json").await.body).unwrap();
    entries
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["jwts"].as_array().cloned().unwrap_or_default())
        .map(|j| {
            let header = serde_json::from_str(j["header"].as_str().unwrap()).unwrap_or_default();
            (
                j["label"].as_str().unwrap().to_owned(),
                header,
                j["signature"].as_str().unwrap().to_owned(),
                j["encrypted"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_franceconnect_plus_login_decrypts_both_tokens_and_journals_both_layers() {
    let app = spawn_app().await;

    let callback = app.login(PLUS_LOGIN).await;

    assert_eq!(callback.status, 302, "{}", callback.body);
    assert_eq!(callback.location.as_deref(), Some("/me"));
    assert_eq!((app.plus.token_calls(), app.hub.token_calls()), (1, 0));
    let me = app.get("/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert!(me.body.contains("Mélaine Évelyne"), "{}", me.body);
    assert!(me.body.contains(SUB));
    assert!(me.body.contains("eidas2"), "the level asked of FC+");
    let jwts = journal_jwts(&app).await;
    let sealed: Vec<_> = jwts.iter().filter(|j| j.3).collect();
    assert!(
        sealed.len() >= 2,
        "ID token and userinfo JWE layers: {jwts:#?}"
    );
    for (label, header, opened, _) in &sealed {
        assert_eq!(header["alg"], "ECDH-ES", "{label}");
        assert_eq!(header["enc"], "A256GCM", "{label}");
        assert!(header["kid"].is_string(), "{label}");
        assert!(
            opened.starts_with("Déchiffré avec la clé"),
            "{label}: {opened}"
        );
    }
    let signed: Vec<_> = jwts.iter().filter(|j| !j.3).collect();
    assert!(
        signed
            .iter()
            .any(|j| j.1["alg"] == "ES256" && j.2.contains("valide")),
        "the signed JWT inside, verified: {jwts:#?}"
    );
}

/// The FC+ login ends on a French error page with `code`, nobody logged in.
async fn assert_plus_refused(app: &TestApp, behaviour: Behaviour, words: &str) {
    app.plus.set(behaviour);
    let callback = app.login(PLUS_LOGIN).await;
    assert_eq!(callback.status, 502, "{}", callback.body);
    assert!(
        callback.body.contains(r#"id="error-code""#),
        "{}",
        callback.body
    );
    assert!(
        callback.body.contains("invalid_id_token"),
        "{}",
        callback.body
    );
    assert!(
        callback.body.contains(words),
        "{words:?} in {}",
        callback.body
    );
    assert!(callback.body.contains(r#"lang="fr""#));
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn tokens_in_clear_from_franceconnect_plus_are_a_refused_downgrade() {
    let app = spawn_app().await;
    let clear = Behaviour {
        jwe_clear: true,
        ..Behaviour::default()
    };
    assert_plus_refused(&app, clear, "jeton en clair refusé").await;
}

#[tokio::test]
async fn tokens_encrypted_to_a_foreign_key_are_refused() {
    let app = spawn_app().await;
    let foreign = Behaviour {
        jwe_foreign_key: true,
        ..Behaviour::default()
    };
    assert_plus_refused(&app, foreign, "aucune clé de ce service").await;
}

#[tokio::test]
async fn a_tampered_ciphertext_is_refused() {
    let app = spawn_app().await;
    let tampered = Behaviour {
        jwe_tampered: true,
        ..Behaviour::default()
    };
    assert_plus_refused(&app, tampered, "ne se déchiffre pas").await;
}

#[tokio::test]
async fn an_encryption_algorithm_other_than_the_registered_one_is_refused() {
    let app = spawn_app().await;
    let rsa = Behaviour {
        jwe_alg: Some(KeyAlg::RsaOaep),
        ..Behaviour::default()
    };
    assert_plus_refused(&app, rsa, "« RSA-OAEP » refusé").await;
}

#[tokio::test]
async fn a_userinfo_answer_in_clear_or_altered_is_refused_after_a_good_id_token() {
    let app = spawn_app().await;
    for (spoilt, words) in [
        (
            Behaviour {
                jwe_clear: true,
                ..Behaviour::default()
            },
            "jeton en clair refusé",
        ),
        (
            Behaviour {
                jwe_tampered: true,
                ..Behaviour::default()
            },
            "ne se déchiffre pas",
        ),
    ] {
        app.plus.set(Behaviour {
            jwe_userinfo_only: true,
            ..spoilt
        });
        let callback = app.login(PLUS_LOGIN).await;
        assert_eq!(callback.status, 502, "{}", callback.body);
        assert!(
            callback.body.contains("invalid_userinfo"),
            "{}",
            callback.body
        );
        assert!(
            callback.body.contains(words),
            "{words:?} in {}",
            callback.body
        );
        assert!(!app.is_logged_in().await);
    }
}

#[tokio::test]
async fn a_level_below_eidas2_from_franceconnect_plus_is_refused() {
    let app = spawn_app().await;
    let low = Behaviour {
        acr: Some("eidas1".into()),
        ..Behaviour::default()
    };
    assert_plus_refused(&app, low, "ne donne que eidas2, eidas3").await;
}

#[tokio::test]
async fn a_franceconnect_plus_callback_naming_franceconnect_as_issuer_is_a_mix_up() {
    let app = spawn_app().await;
    let callback = app.callback_url_as(&app.client, PLUS_LOGIN).await;
    let plus_iss = format!("{}/api/v2", app.plus.url);
    let fc_iss = format!("{}/api/v2", app.hub.url);
    assert_eq!(param(&query_of(&callback), "iss"), Some(plus_iss.as_str()));
    let (base, _) = callback.split_once('?').unwrap();
    let pairs: Vec<(String, String)> = query_of(&callback)
        .into_iter()
        .map(|(k, v)| {
            if k == "iss" {
                (k, fc_iss.clone())
            } else {
                (k, v)
            }
        })
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mixed_up = fc_plumbing::web::url_with_query(base, &pairs);

    let page = app.get(&mixed_up).await;

    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("wrong_issuer"), "{}", page.body);
    assert_eq!((app.plus.token_calls(), app.hub.token_calls()), (0, 0));
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn the_published_jwks_holds_only_public_encryption_keys() {
    let app = spawn_app().await;

    let answer = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.address));
    let answer = answer.send().await.unwrap();

    assert_eq!(answer.status(), 200);
    let jwks: Value = answer.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let types: Vec<&str> = keys.iter().map(|k| k["kty"].as_str().unwrap()).collect();
    assert!(types.contains(&"EC") && types.contains(&"RSA"), "{types:?}");
    for key in keys {
        assert_eq!(key["use"], "enc", "{key}");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} in {key}"
            );
        }
    }
}

#[tokio::test]
async fn a_franceconnect_plus_user_logs_out_at_franceconnect_plus_with_the_signed_id_token() {
    let app = spawn_app().await;
    app.login(PLUS_LOGIN).await;
    assert!(app.is_logged_in().await);

    let logout = app.get("/logout").await;

    assert_eq!(logout.status, 302);
    let end_session = logout.location.unwrap();
    assert!(
        end_session.starts_with(&format!("{}/api/v2/session/end?", app.plus.url)),
        "{end_session}"
    );
    let query = query_of(&end_session);
    let hint = param(&query, "id_token_hint").unwrap();
    assert_eq!(hint.split('.').count(), 3, "the signed JWT, not the JWE");
    let back = app.get(&end_session).await;
    let logged_out = app.get(&back.location.unwrap()).await;
    assert_eq!(logged_out.status, 200);
    assert!(
        logged_out
            .body
            .contains("de ce service et de FranceConnect+."),
        "{}",
        logged_out.body
    );
    assert!(logged_out.body.contains(r#"id="fcplus-login""#));
    assert!(!app.is_logged_in().await);
}
