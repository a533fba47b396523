//! The hub's signing keys (its JWKS) and the check of a signed checktoken answer, and the data
//! provider's own encryption keys ([`own_keys`]), which it publishes for the hub to encrypt
//! checktoken answers to: the one place the data provider handles JWKS, so a shared cache can
//! replace [`HubKeys`] without touching the token check.
//!
//! The keys are fetched at the first check and cached; an answer naming a `kid` the cache lacks
//! (the hub rotated its keys) fetches them again, once per check, never in a loop.
//!
//! The algorithm is pinned by configuration and never read from the answer's header: with the
//! header's word taken, a forged answer could say `alg: none`, or `HS256` and be "verified" with
//! a public key used as an HMAC secret (algorithm confusion, RFC 8725 §2.1 and §3.1). So only
//! ES256 or RS256 is accepted ([`checked_alg`]), `verify_jwt` refuses any other header, and no
//! HMAC secret is ever handed to it.

use std::sync::{Arc, Mutex};

use fc_plumbing::Jwa;
use fc_plumbing::jose::{JoseError, verify_jwt};
use fc_plumbing::jwe::{DecryptionKeys, KeyAlg};
use openidconnect::core::CoreJsonWebKeySet;
use serde_json::Value;

use crate::hub::HubError;

/// The algorithms the hub signs checktoken answers with; anything else is a configuration error.
pub fn checked_alg(alg: Jwa) -> Result<Jwa, String> {
    match alg {
        Jwa::ES256 | Jwa::RS256 => Ok(alg),
        Jwa::HS256 => Err(
            "the checktoken algorithm must be ES256 or RS256: the hub signs its \
                           answers with its own keys, and an HMAC key would have to be shared"
                .into(),
        ),
    }
}

/// The DP's decryption keys: one P-256 key (ECDH-ES) and one RSA key published for `rsa_alg`
/// when the DP pins an RSA algorithm (RSA-OAEP-256 otherwise: a JWK names one `alg`). Kept in
/// `dir` when given (`dp-enc-p256.hex`, `dp-enc-rsa.pem`, owner-only), so answers encrypted to
/// the published keys still decrypt after a restart; fresh at each start otherwise.
pub fn own_keys(
    dir: Option<&std::path::Path>,
    pinned: Option<KeyAlg>,
) -> Result<DecryptionKeys, String> {
    let keys = match dir {
        Some(dir) => DecryptionKeys::load_or_generate(dir, "dp"),
        None => DecryptionKeys::generate(),
    }
    .map_err(|e| format!("encryption keys: {e}"))?;
    match pinned {
        Some(alg @ (KeyAlg::RsaOaep | KeyAlg::RsaOaep256)) => keys
            .with_rsa_alg(alg)
            .map_err(|e| format!("encryption keys: {e}")),
        _ => Ok(keys),
    }
}

/// The cached JWKS of the hub.
#[derive(Default)]
pub struct HubKeys {
    cached: Mutex<Option<Arc<CoreJsonWebKeySet>>>,
}

impl HubKeys {
    fn cached(&self) -> Option<Arc<CoreJsonWebKeySet>> {
        // Replacing an `Arc` cannot be interrupted half-way: a poisoned lock holds a valid value.
        self.cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn store(&self, keys: CoreJsonWebKeySet) -> Arc<CoreJsonWebKeySet> {
        let keys = Arc::new(keys);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(keys.clone());
        keys
    }

    /// Verifies `jws`, signed with `alg` (already [`checked_alg`]), by a key of the hub; `fetch`
    /// gets the hub's JWKS when the cache is empty, or once more when the answer names an
    /// unknown key. Returns the payload.
    pub async fn verify(
        &self,
        jws: &str,
        alg: Jwa,
        mut fetch: impl AsyncFnMut() -> Result<CoreJsonWebKeySet, HubError>,
    ) -> Result<Value, HubError> {
        let (keys, fresh) = match self.cached() {
            Some(keys) => (keys, false),
            None => (self.store(fetch().await?), true),
        };
        let result = match verify_jwt(jws, alg, &keys, None) {
            Err(JoseError::UnknownKey(_)) if !fresh => {
                let keys = self.store(fetch().await?);
                verify_jwt(jws, alg, &keys, None)
            }
            other => other,
        };
        result.map_err(|e| HubError::InvalidAnswer(format!("signature check failed: {e}")))
    }
}
