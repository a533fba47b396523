//! FranceConnect+ (`docs/franceconnect-plus.md`): eidas2 and eidas3, ES256 only, ID tokens,
//! userinfo and checktoken answers encrypted to keys the partner publishes, SSO that steps eidas3
//! down to eidas2, and the refusals of bad registrations and unreachable keys.

use super::*;
use fc_plumbing::jose::{self, Jwa};
use fc_plumbing::jwe::{self, ContentEnc, DecryptionKeys, KeyAlg};

/// A test service provider of FranceConnect+ that registered encryption with `alg`: its keys
/// (made in the test) are served by its own key server as its `jwks_uri`.
struct EncryptingSp {
    alg: KeyAlg,
    client_id: String,
    callback: String,
    keys: DecryptionKeys,
    server: KeyServer,
}

const SECRET: &str = "fcplus-test-secret-000000000000000000000000000000000000000000000";

fn slug(alg: KeyAlg) -> String {
    alg.as_str().to_lowercase()
}

/// An SP's keys publishing the RSA key for `alg` (a JWK names one algorithm).
fn keys_for(alg: KeyAlg) -> DecryptionKeys {
    let keys = dp_keys().clone();
    match alg {
        KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => keys.with_rsa_alg(alg).unwrap(),
        KeyAlg::EcdhEs => keys,
    }
}

impl EncryptingSp {
    async fn start(alg: KeyAlg) -> Self {
        let keys = keys_for(alg);
        let server = KeyServer::start(keys.jwks()).await;
        Self {
            alg,
            client_id: format!("fcplus-sp-{}", slug(alg)),
            callback: format!("http://sp-{}.test/oidc-callback", slug(alg)),
            keys,
            server,
        }
    }

    /// Its FranceConnect+ registration, and a data provider's registered with the same
    /// algorithm and keys.
    fn registration(&self) -> String {
        format!(
            r#"
[[service_provider]]
client_id = "{id}"
client_secret = "{SECRET}"
name = "SP chiffré {alg}"
entity_id = "{id}"
type = "public"
scopes = ["openid", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email", "rnipp_given_name", "dgfip_rfr"]
redirect_uris = ["{callback}"]
id_token_encrypted_response_alg = "{alg}"
id_token_encrypted_response_enc = "A256GCM"
userinfo_encrypted_response_alg = "{alg}"
userinfo_encrypted_response_enc = "A256GCM"
jwks_uri = "{jwks_uri}"

[[data_provider]]
uid = "dp-{slug}"
title = "DP chiffré {alg}"
client_id = "dp-{slug}"
client_secret = "{SECRET}"
scopes = ["dgfip_rfr"]
checktoken_encrypted_response_alg = "{alg}"
checktoken_encrypted_response_enc = "A256GCM"
jwks_uri = "{jwks_uri}"
"#,
            id = self.client_id,
            alg = self.alg,
            slug = slug(self.alg),
            callback = self.callback,
            jwks_uri = self.server.jwks_uri(),
        )
    }

    fn authorize_url(&self, hub: &TestHub, acr: &str, state: &str) -> String {
        hub.authorize_url(&[
            ("client_id", &self.client_id),
            ("redirect_uri", &self.callback),
            (
                "scope",
                "openid given_name family_name rnipp_given_name dgfip_rfr",
            ),
            ("acr_values", acr),
            ("state", state),
        ])
    }

    async fn token(&self, hub: &TestHub, code: &str) -> reqwest::Response {
        token_form(
            hub,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.callback),
                ("client_id", &self.client_id),
                ("client_secret", SECRET),
            ],
        )
        .await
    }

    /// Decrypts a JWE the hub sent this SP (after checking its header is FranceConnect+'s),
    /// and verifies the signed JWT inside with the hub's keys.
    fn open(
        &self,
        hub: &TestHub,
        jwe: &str,
        hub_jwks: &openidconnect::core::CoreJsonWebKeySet,
    ) -> Value {
        let header = jwe::peek_header(jwe).unwrap();
        let mut members: Vec<&String> = header.as_object().unwrap().keys().collect();
        members.sort();
        let mut expected = vec!["alg", "aud", "cty", "enc", "iss", "kid"];
        if self.alg == KeyAlg::EcdhEs {
            expected.insert(4, "epk");
        }
        assert_eq!(members, expected, "{header}");
        assert_eq!(header["alg"], self.alg.as_str());
        assert_eq!(header["enc"], "A256GCM");
        assert_eq!(header["cty"], "JWT");
        assert_eq!(header["iss"], format!("{}/api/v2", hub.url));
        assert_eq!(header["aud"], self.client_id.as_str());
        let kid = match self.alg {
            KeyAlg::EcdhEs => self.keys.ec_kid(),
            _ => self.keys.rsa_kid().unwrap(),
        };
        assert_eq!(header["kid"], kid);
        let opened = jwe::decrypt(jwe, &self.keys, self.alg, ContentEnc::A256Gcm).unwrap();
        assert_eq!(
            jose::decode_unverified(&opened.plaintext).unwrap().header["alg"],
            "ES256"
        );
        jose::verify_jwt(&opened.plaintext, Jwa::ES256, hub_jwks, None).unwrap()
    }
}

async fn start_with(sps: &[&EncryptingSp]) -> TestHub {
    let registrations: Vec<String> = sps.iter().map(|sp| sp.registration()).collect();
    TestHub::start_plus(|c| {
        for r in &registrations {
            c.registry.add_toml(r).unwrap();
        }
    })
    .await
}

/// Walks authorize → (mire → IdP) → consent for `url` and returns the code.
async fn code(hub: &TestHub, browser: &Browser, url: &str) -> String {
    hub.code_from(browser, url).await
}

#[tokio::test]
async fn discovery_announces_es256_encryption_and_franceconnect_plus_levels() {
    let hub = TestHub::start_plus(|_| {}).await;
    let doc: Value = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        hub.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(doc["issuer"], format!("{}/api/v2", hub.url));
    assert_eq!(
        doc["acr_values_supported"],
        serde_json::json!(["eidas2", "eidas3"])
    );
    for what in ["id_token", "userinfo"] {
        assert_eq!(
            doc[format!("{what}_signing_alg_values_supported")],
            serde_json::json!(["ES256"])
        );
        assert_eq!(
            doc[format!("{what}_encryption_alg_values_supported")],
            serde_json::json!(["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"])
        );
        assert_eq!(
            doc[format!("{what}_encryption_enc_values_supported")],
            serde_json::json!(["A256GCM"])
        );
    }
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&serde_json::json!("rnipp_identite_pivot")));
    assert!(!scopes.contains(&serde_json::json!("idp_birthdate")));
    let claims = doc["claims_supported"].as_array().unwrap();
    assert!(claims.contains(&serde_json::json!("rnipp_given_name_array")));
    assert!(!claims.contains(&serde_json::json!("given_name_array")));
    // Only the ES256 key is published.
    let keys: Value = reqwest::get(format!("{}/api/v2/jwks", hub.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["ES256"]);
    // FranceConnect+ has no v1.
    let v1 = raw_client()
        .get(format!("{}/api/v1/authorize", hub.url))
        .send()
        .await
        .unwrap();
    assert_error_page(v1, 404, "Y000404").await;
    hub.stop().await;

    // FranceConnect keeps encryption out of its discovery document, as the real one does.
    let fc = TestHub::start().await;
    let doc: Value = reqwest::get(format!(
        "{}/api/v2/.well-known/openid-configuration",
        fc.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let members = doc.as_object().unwrap();
    assert!(members.keys().all(|k| !k.contains("encryption")), "{doc}");
    assert!(members.contains_key("id_token_signing_alg_values_supported"));
    fc.stop().await;
}

/// For each algorithm, at eidas2 and eidas3: the ID token, userinfo and checktoken answers are
/// JWEs that decrypt with the partner's keys, wrapping JWSs that verify with the hub's keys.
#[tokio::test]
async fn every_algorithm_encrypts_id_token_userinfo_and_checktoken_at_both_levels() {
    let sps = [
        EncryptingSp::start(KeyAlg::EcdhEs).await,
        EncryptingSp::start(KeyAlg::RsaOaep).await,
        EncryptingSp::start(KeyAlg::RsaOaep256).await,
    ];
    let hub = start_with(&sps.iter().collect::<Vec<_>>()).await;
    let hub_jwks = jwks(&hub).await;
    for sp in &sps {
        for acr in ["eidas2", "eidas3"] {
            let browser = Browser::stopping_at("http://sp");
            let code = code(&hub, &browser, &sp.authorize_url(&hub, acr, "s")).await;
            let answer = sp.token(&hub, &code).await;
            assert_eq!(answer.status(), 200);
            let tokens: Value = answer.json().await.unwrap();
            let id_token = tokens["id_token"].as_str().unwrap();
            assert_eq!(id_token.split('.').count(), 5, "a compact JWE");
            let claims = sp.open(&hub, id_token, &hub_jwks);
            assert_eq!(claims["acr"], acr, "{} {acr}", sp.alg);
            assert_eq!(claims["aud"], sp.client_id.as_str());
            assert_eq!(claims["nonce"], NONCE);

            let access_token = tokens["access_token"].as_str().unwrap();
            let userinfo = reqwest::Client::new()
                .get(format!("{}/api/v2/userinfo", hub.url))
                .bearer_auth(access_token)
                .send()
                .await
                .unwrap();
            assert_eq!(userinfo.headers()["content-type"], "application/jwt");
            let info = sp.open(&hub, &userinfo.text().await.unwrap(), &hub_jwks);
            assert_eq!(info["sub"], claims["sub"]);
            assert_eq!(info["given_name"], "Mélaine Évelyne");
            assert_eq!(info["rnipp_given_name"], "Mélaine Évelyne");
            assert!(
                info.get("given_name_array").is_none(),
                "not on FranceConnect+"
            );

            let check = reqwest::Client::new()
                .post(format!("{}/api/v2/checktoken", hub.url))
                .form(&[
                    ("token", access_token),
                    ("client_id", &format!("dp-{}", slug(sp.alg))),
                    ("client_secret", SECRET),
                ])
                .send()
                .await
                .unwrap();
            let body = check.text().await.unwrap();
            let header = jwe::peek_header(&body).unwrap();
            let mut members: Vec<&String> = header.as_object().unwrap().keys().collect();
            members.sort();
            let expected: &[&str] = if sp.alg == KeyAlg::EcdhEs {
                &["alg", "enc", "epk"]
            } else {
                &["alg", "enc"]
            };
            assert_eq!(
                members, expected,
                "FranceConnect's checktoken header: {header}"
            );
            let inner = jwe::decrypt(&body, &sp.keys, sp.alg, ContentEnc::A256Gcm).unwrap();
            let payload = jose::verify_jwt(&inner.plaintext, Jwa::ES256, &hub_jwks, None).unwrap();
            assert_eq!(payload["token_introspection"]["active"], true);
            assert_eq!(payload["token_introspection"]["acr"], acr);
            assert_eq!(payload["token_introspection"]["scope"], "dgfip_rfr");
        }
    }
    hub.stop().await;
    for sp in &sps {
        sp.server.stop().await;
    }
}

/// eidas3 needs a fresh authentication every time; an SSO login serves eidas2 only, and the
/// acr it gives steps down from eidas3 to eidas2. Unknown levels mean eidas3; eidas1 is refused.
#[tokio::test]
async fn sso_serves_eidas2_only_and_steps_eidas3_down() {
    let sp = EncryptingSp::start(KeyAlg::EcdhEs).await;
    let hub = start_with(&[&sp]).await;
    let hub_jwks = jwks(&hub).await;
    let browser = Browser::stopping_at("http://sp");
    let acr_of = |code: String| {
        let (sp, hub, hub_jwks) = (&sp, &hub, &hub_jwks);
        async move {
            let tokens: Value = sp.token(hub, &code).await.json().await.unwrap();
            sp.open(hub, tokens["id_token"].as_str().unwrap(), hub_jwks)["acr"].clone()
        }
    };

    // A fresh login at eidas3.
    let first = browser.open(&sp.authorize_url(&hub, "eidas3", "s1")).await;
    assert!(first.url.contains("/interaction/"), "{}", first.url);
    let code1 = code(&hub, &browser, &sp.authorize_url(&hub, "eidas3", "s1")).await;
    assert_eq!(acr_of(code1).await, "eidas3");

    // eidas2 next: SSO (straight to consent), and the acr steps down to eidas2.
    let consent = browser.open(&sp.authorize_url(&hub, "eidas2", "s2")).await;
    assert!(
        consent.url.ends_with("/consent"),
        "SSO at eidas2: {}",
        consent.url
    );
    let code2 = code(&hub, &browser, &sp.authorize_url(&hub, "eidas2", "s3")).await;
    assert_eq!(acr_of(code2).await, "eidas2");

    // eidas3 again: no SSO at eidas3, the mire and the IdP again.
    let mire = browser.open(&sp.authorize_url(&hub, "eidas3", "s4")).await;
    assert!(
        mire.url.contains("/interaction/") && !mire.url.ends_with("/consent"),
        "{}",
        mire.url
    );
    mire.assert_contains("FranceConnect+");

    // No known level: FranceConnect+'s default, eidas3, so no SSO either.
    let unknown = Browser::stopping_at("http://sp");
    let url = sp.authorize_url(&hub, "niveau_inconnu", "s5");
    let code3 = code(&hub, &unknown, &url).await;
    assert_eq!(acr_of(code3).await, "eidas3");

    // eidas1 is known but not FranceConnect+'s: invalid_acr back to the SP.
    for asked in ["eidas1", "eidas1 eidas3"] {
        let refused = browser.open(&sp.authorize_url(&hub, asked, "s6")).await;
        let q = query(&refused.url);
        assert_eq!(q["error"], "invalid_acr", "{asked}");
        assert!(q["error_description"].contains("expected eidas2,eidas3, got eidas1"));
    }
    hub.stop().await;
    sp.server.stop().await;
}

#[tokio::test]
async fn an_sp_registered_for_hs256_or_rs256_is_refused_at_load() {
    for alg in ["HS256", "RS256"] {
        let mut config = hub::Config::local_for(Instance::FranceConnectPlus).unwrap();
        let registration = format!(
            "[[service_provider]]\nclient_id = \"hs\"\nclient_secret = \"s\"\nname = \"SP {alg}\"\n\
             entity_id = \"e\"\ntype = \"public\"\nscopes = [\"openid\"]\n\
             redirect_uris = [\"http://x/cb\"]\nid_token_signed_response_alg = \"{alg}\"\n"
        );
        config.registry.add_toml(&registration).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = match hub::Application::build(config, listener).await {
            Ok(_) => panic!("{alg} must be refused"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(&format!(
                "service provider \"SP {alg}\": id_token_signed_response_alg = {alg} is not offered by FranceConnect+ (ES256)"
            )),
            "{err}"
        );
    }
}

/// An SP whose keys cannot be had: at login a page says why (Y500001, with the way back to the
/// SP); on the back channel, OAuth JSON. Never a panic, never a token in clear.
#[tokio::test]
async fn an_sp_whose_jwks_uri_is_down_gets_a_clear_error() {
    let sp = EncryptingSp::start(KeyAlg::RsaOaep256).await;
    let hub = start_with(&[&sp]).await;
    sp.server.stop().await;
    let browser = Browser::stopping_at("http://sp");
    let mire = browser.open(&sp.authorize_url(&hub, "eidas2", "s")).await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let page = browser.submit(&action, &fields).await;
    assert_code(&page, 502, "Y500001");
    page.assert_contains("FranceConnect+");
    page.assert_contains("jwks_uri");
    page.assert_contains("Revenir sur SP chiffré RSA-OAEP-256");
    assert!(!page.hops.iter().any(|h| h.url.contains("code=")));

    // Keys that vanish between the login and the token call: OAuth JSON at /token.
    let live = KeyServer::start(sp.keys.jwks()).await;
    let moved = sp
        .registration()
        .replace(&sp.server.jwks_uri(), &live.jwks_uri());
    let mut registry = (*hub.platform.registry()).clone();
    registry.add_toml(&moved).unwrap();
    hub.platform.set_registry(registry);
    let code = code(
        &hub,
        &Browser::stopping_at("http://sp"),
        &sp.authorize_url(&hub, "eidas2", "t"),
    )
    .await;
    live.stop().await;
    hub.platform
        .store
        .delete(&format!("jwks:sp:{}", sp.client_id))
        .await
        .unwrap();
    let answer = sp.token(&hub, &code).await;
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("client JSON Web Key Set failed to be refreshed"),
        "{body}"
    );
    hub.stop().await;
}

/// Pages and error pages name FranceConnect+; its cookie is its own.
#[tokio::test]
async fn franceconnect_plus_pages_and_cookie_carry_its_name() {
    let sp = EncryptingSp::start(KeyAlg::EcdhEs).await;
    let hub = start_with(&[&sp]).await;
    let response = raw_client()
        .get(sp.authorize_url(&hub, "eidas3", "s"))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("fcplus_hub_session="), "{cookie}");
    let browser = Browser::stopping_at("http://sp");
    let mire = browser.open(&sp.authorize_url(&hub, "eidas3", "s")).await;
    mire.assert_contains("<title>Connexion - SP chiffré ECDH-ES - FranceConnect+</title>");
    let missing = raw_client()
        .get(format!("{}/api/v2/nowhere", hub.url))
        .send()
        .await
        .unwrap();
    let body = missing.text().await.unwrap();
    assert!(
        body.contains("<title>Erreur de connexion - FranceConnect+</title>"),
        "{body}"
    );
    hub.stop().await;
    sp.server.stop().await;
}
