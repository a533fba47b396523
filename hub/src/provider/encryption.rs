//! Encrypted answers (`docs/jwe.md`, `docs/franceconnect-plus.md`): the signed JWT the hub
//! made, wrapped in a compact JWE to the recipient's public key — a "nested JWT".
//!
//! - FranceConnect+ encrypts the ID token and the userinfo answer of a service provider that
//!   registered `id_token_encrypted_response_alg/enc` or `userinfo_encrypted_response_alg/enc`,
//!   to a key of its `jwks` or `jwks_uri` (`use` `enc`); the protected header carries `alg`,
//!   `enc`, `cty: "JWT"`, the key's `kid` (+ `epk` for ECDH-ES) and, as FranceConnect+ does,
//!   `iss` and `aud`, so a client can route the token before decrypting it.
//! - FranceConnect v2 (both instances) encrypts the checktoken answer of a data provider that
//!   registered `checktoken_encrypted_response_alg/enc`, to a key of its `jwks_uri`; that header
//!   is exactly `alg`, `enc` (+ `epk`).
//!
//! The recipient's key set goes through [`crate::jwks`] (fetched, size-capped, cached in the
//! store); a set without a key for the registered algorithm is fetched again once (the
//! recipient may have just rotated). A set that cannot be had is never a panic: an error page
//! with the demo's code Y500001 while a browser is there (the login checks the keys before the
//! code is sent), OAuth JSON `invalid_client_metadata` on the back channel.

use fc_plumbing::jwe::{Encrypter, EncryptionJwk, KeyAlg};
use serde_json::Value;

use crate::error::{Error, ErrorCode, OAuthError, Result};
use crate::platform::Platform;
use crate::registry::{DataProvider, Encryption, ServiceProvider};

/// Which answer to a service provider is being sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpAnswer {
    IdToken,
    Userinfo,
}

impl SpAnswer {
    fn encryption(self, sp: &ServiceProvider) -> Option<Encryption> {
        match self {
            SpAnswer::IdToken => sp.id_token_encryption(),
            SpAnswer::Userinfo => sp.userinfo_encryption(),
        }
    }
}

/// Where a recipient's public keys are.
enum Keys<'a> {
    Inline(&'a Value),
    Published { url: &'a str, cache_id: String },
}

fn sp_keys(sp: &ServiceProvider) -> Option<Keys<'_>> {
    match (&sp.jwks, &sp.jwks_uri) {
        (Some(doc), _) => Some(Keys::Inline(doc)),
        (None, Some(url)) => Some(Keys::Published {
            url,
            cache_id: format!("sp:{}", sp.client_id),
        }),
        (None, None) => None,
    }
}

/// The recipient's key for `alg`; a published set lacking one is fetched again (at most once
/// per interval, across replicas) before giving up.
async fn recipient(
    platform: &Platform,
    peer: &str,
    keys: Option<Keys<'_>>,
    alg: KeyAlg,
) -> Result<EncryptionJwk, String> {
    let choose = |doc: &Value| EncryptionJwk::from_jwks(doc, alg).map_err(|e| e.to_string());
    match keys {
        None => Err("no jwks or jwks_uri registered".into()),
        Some(Keys::Inline(doc)) => choose(doc),
        Some(Keys::Published { url, cache_id }) => {
            let doc = crate::jwks::key_set(platform, peer, &cache_id, url, false).await?;
            match choose(&doc) {
                Ok(key) => Ok(key),
                Err(_) => {
                    let doc = crate::jwks::key_set(platform, peer, &cache_id, url, true).await?;
                    choose(&doc).map_err(|e| format!("{url}: {e}"))
                }
            }
        }
    }
}

/// The ID token or userinfo JWT `jws`, encrypted as the SP registered (unchanged when it did
/// not ask for encryption).
pub async fn for_sp(
    platform: &Platform,
    sp: &ServiceProvider,
    answer: SpAnswer,
    jws: String,
) -> Result<String> {
    let Some(encryption) = answer.encryption(sp) else {
        return Ok(jws);
    };
    let key = recipient(platform, &sp.name, sp_keys(sp), encryption.alg)
        .await
        .map_err(|cause| {
            Error::oauth(
                OAuthError::InvalidClientMetadata,
                format!("client JSON Web Key Set failed to be refreshed ({cause})"),
            )
        })?;
    Encrypter::new(encryption.alg, encryption.enc)
        .header("iss", platform.settings.issuer.as_str())
        .header("aud", sp.client_id.as_str())
        .encrypt(&jws, &key)
        .map_err(|e| Error::internal(format!("encryption to {}: {e}", sp.name)))
}

/// At the end of a login, before the code goes out: an SP that asked for encryption must
/// publish keys the hub can encrypt to, else the person sees why now (Y500001) rather than the
/// SP failing later at `/token`. The keys stay cached for the token and userinfo calls.
pub async fn check_sp_keys(platform: &Platform, sp: &ServiceProvider) -> Result<()> {
    for encryption in [sp.id_token_encryption(), sp.userinfo_encryption()]
        .into_iter()
        .flatten()
    {
        recipient(platform, &sp.name, sp_keys(sp), encryption.alg)
            .await
            .map_err(|cause| {
                Error::page(
                    ErrorCode::Y500001,
                    format!(
                        "{}: no key to encrypt to with {}: {cause}",
                        sp.name, encryption.alg
                    ),
                )
            })?;
    }
    Ok(())
}

/// The checktoken JWS, encrypted as the DP registered (unchanged when it did not ask).
pub async fn for_dp(platform: &Platform, dp: &DataProvider, jws: String) -> Result<String> {
    let Some(encryption) = dp.checktoken_encryption() else {
        return Ok(jws);
    };
    let keys = dp.jwks_uri.as_deref().map(|url| Keys::Published {
        url,
        cache_id: format!("dp:{}", dp.client_id),
    });
    let key = recipient(platform, &dp.title, keys, encryption.alg)
        .await
        .map_err(|cause| {
            Error::oauth(
                OAuthError::InvalidClientMetadata,
                format!("data provider JSON Web Key Set failed to be refreshed ({cause})"),
            )
        })?;
    Encrypter::new(encryption.alg, encryption.enc)
        .minimal_header()
        .encrypt(&jws, &key)
        .map_err(|e| Error::internal(format!("encryption to {}: {e}", dp.title)))
}
