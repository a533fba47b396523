//! This SP's own encryption keys, which FranceConnect+ encrypts the ID token and userinfo to
//! (`docs/franceconnect-plus.md`, `docs/jwe.md`).
//!
//! The SP registered at FranceConnect+ a `jwks_uri` (`{public_url}/.well-known/jwks.json`) and
//! the algorithms it wants (`id_token_encrypted_response_alg`, `userinfo_encrypted_response_alg`,
//! with `enc` A256GCM). The hub fetches that document and encrypts to the first key fit for the
//! registered algorithm; this SP decrypts with the private half ([`crate::hub::Hub::open`]).
//! Two keys are published, `use: "enc"`, each with its RFC 7638 thumbprint as `kid`: a P-256 key
//! for ECDH-ES and an RSA-2048 key for the one RSA algorithm registered (a JWK names one `alg`).
//!
//! They are kept in `--keys-dir` when given (private files readable by their owner only), so
//! tokens encrypted before a restart still decrypt after it; otherwise fresh keys are made at
//! each start (the RSA one in the background: the program is ready at once).

use actix_web::{HttpResponse, web};
use fc_plumbing::jwe::{DecryptionKeys, KeyAlg};

use crate::config::Config;
use crate::hub::Platform;
use crate::startup::AppState;

/// The keys of `config`: from `keys_dir` (files `sp-enc-p256.hex`, `sp-enc-rsa.pem`) or fresh,
/// the RSA key published for the RSA algorithm FranceConnect+ is registered with (both tokens
/// must then name the same one).
pub fn own_keys(config: &Config) -> Result<DecryptionKeys, String> {
    let plus = config.hub_settings(Platform::FranceConnectPlus);
    let rsa: Vec<KeyAlg> = [plus.id_token_encryption, plus.userinfo_encryption]
        .into_iter()
        .flatten()
        .filter(|alg| *alg != KeyAlg::EcdhEs)
        .collect();
    if rsa.windows(2).any(|pair| pair[0] != pair[1]) {
        return Err(
            "the ID token and userinfo encryption must use the same RSA algorithm: one RSA key \
             is published, for one alg"
                .into(),
        );
    }
    let keys = match &config.keys_dir {
        Some(dir) => DecryptionKeys::load_or_generate(dir, "sp"),
        None => DecryptionKeys::generate(),
    }
    .map_err(|e| format!("encryption keys: {e}"))?;
    match rsa.first() {
        Some(alg) => keys
            .with_rsa_alg(*alg)
            .map_err(|e| format!("encryption keys: {e}")),
        None => Ok(keys),
    }
}

/// `GET /.well-known/jwks.json`: the public halves, for FranceConnect+ to encrypt to. Off the
/// async workers: the RSA key may still be in generation just after the start.
pub async fn jwks_get(app: web::Data<AppState>) -> HttpResponse {
    let keys = app.own_keys.clone();
    match web::block(move || keys.jwks()).await {
        Ok(jwks) => HttpResponse::Ok()
            .content_type("application/jwk-set+json")
            .body(jwks.to_string()),
        Err(e) => {
            tracing::error!("JWKS unavailable: {e}");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"error": "temporarily_unavailable"}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenEncryption;

    #[test]
    fn the_rsa_key_is_published_for_the_registered_rsa_algorithm() {
        let mut config = Config::local();
        config.plus_userinfo_encryption_alg = TokenEncryption::RsaOaep;
        assert_eq!(own_keys(&config).unwrap().rsa_alg(), KeyAlg::RsaOaep);
        config.plus_id_token_encryption_alg = TokenEncryption::RsaOaep256;
        let refused = own_keys(&config).unwrap_err();
        assert!(refused.contains("same RSA algorithm"), "{refused}");
    }
}
