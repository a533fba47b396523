//! The hub's signing keys (its JWKS) and the check of a signed checktoken answer, and the data
//! provider's own encryption keys ([`own_keys`]), which it publishes for the hub to encrypt
//! checktoken answers to: the one place the data provider handles JWKS.
//!
//! The hub's keys live in a [`JwksCache`] (`docs/keys.md`), the cache every program of the demo
//! uses for a peer's keys. The first check fetches them (through the DP's own call, so the fetch
//! shows in the journal) and seeds the cache; afterwards an answer naming a `kid` the cache lacks,
//! or whose signature fails with the keys held, makes the cache fetch the JWKS **once** more — at
//! most once per [`MIN_REFETCH_INTERVAL`], so a flood of forged answers costs the hub one request
//! per interval — and a failed refetch keeps the keys already cached. A hub restarted without a
//! keys folder (new keys, new kids) is thus picked up at the next check, with no restart of the
//! DP.
//!
//! The algorithm is pinned by configuration and never read from the answer's header: with the
//! header's word taken, a forged answer could say `alg: none`, or `HS256` and be "verified" with
//! a public key used as an HMAC secret (algorithm confusion, RFC 8725 §2.1 and §3.1). So only
//! ES256 or RS256 is accepted ([`checked_alg`]), the cache refuses any other header, and no
//! HMAC secret is ever handed to it.

use std::sync::Arc;
use std::time::Duration;

use fc_plumbing::jose::JwkSet;
use fc_plumbing::jwe::{DecryptionKeys, KeyAlg};
use fc_plumbing::{BackChannel, Clock, Jwa, JwksCache};
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

/// The shortest time between two fetches of the hub's keys after a failed verification.
pub const MIN_REFETCH_INTERVAL: Duration = fc_plumbing::jwks_cache::DEFAULT_MIN_REFETCH_INTERVAL;

/// The cached JWKS of the hub.
pub struct HubKeys {
    cache: JwksCache,
}

/// The verdict on an answer, and whether the cache fetched the hub's keys again for it.
pub struct Checked {
    /// The payload once the signature verified.
    pub payload: Result<Value, HubError>,
    /// The keys changed during the check (refetched for it, or by a concurrent check).
    pub refetched: bool,
}

impl HubKeys {
    /// The keys published at `jwks_url` (the public URL: `back_channel` rewrites it), fetched
    /// again at most once per `min_refetch_interval` as measured by `clock`.
    pub fn new(
        jwks_url: &str,
        back_channel: BackChannel,
        clock: Clock,
        min_refetch_interval: Duration,
    ) -> Self {
        Self {
            cache: JwksCache::new(jwks_url, back_channel, clock, min_refetch_interval),
        }
    }

    pub fn url(&self) -> &str {
        self.cache.url()
    }

    /// Verifies `jws`, signed with `alg` (already [`checked_alg`]), by a key of the hub; `fetch`
    /// gets the hub's JWKS the first time (the cache is empty), later fetches are the cache's.
    pub async fn verify(
        &self,
        jws: &str,
        alg: Jwa,
        fetch: impl AsyncFnOnce() -> Result<JwkSet, HubError>,
    ) -> Checked {
        let mut held = self.cache.keys();
        if held.is_empty() {
            match fetch().await {
                Ok(keys) => self.cache.seed(keys),
                Err(e) => {
                    return Checked {
                        payload: Err(e),
                        refetched: false,
                    };
                }
            }
            held = self.cache.keys();
        }
        let payload = self
            .cache
            .verify(jws, alg, None)
            .await
            .map(|v| v.claims)
            .map_err(|e| HubError::InvalidAnswer(format!("signature check failed: {e}")));
        Checked {
            refetched: !Arc::ptr_eq(&held, &self.cache.keys()),
            payload,
        }
    }
}
