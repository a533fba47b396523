//! Plumbing shared by the hub and the three example programs, one of each: the back-channel HTTP
//! client (public → internal URL rewrite, see `docs/architecture.md`), the clock, the bounded
//! expiring map and the flood-proof session store built on it, the request log, the `Secret`
//! type, the security headers every HTML page carries, JOSE signing keys and compact JWS, the
//! per-peer JWKS cache that follows key rotation (`docs/keys.md`), random values, the shared
//! stylesheet and logging set-up. Nothing FranceConnect-specific lives here.

#[cfg(not(feature = "system-allocator"))]
mod alloc;
pub mod assets;
pub mod backchannel;
pub mod clock;
pub mod french;
pub mod jose;
pub mod jwe;
pub mod jwks_cache;
pub mod random;
pub mod request_log;
pub mod secret;
pub mod server;
pub mod session;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ttl_map;
pub mod web;

pub use backchannel::{BackChannel, BackChannelBuilder, BackChannelError, UrlRewrite, error_chain};
pub use clock::{Clock, ManualClock};
pub use jose::{JoseError, Jwa, Jwk, JwkSet, KeySet, Signer, Verified};
pub use jwe::{ContentEnc, DecryptionKeys, Encrypter, EncryptionJwk, JweError, KeyAlg};
pub use jwks_cache::{FetchError, JwksCache, JwksError};
pub use secret::Secret;
pub use session::{MemorySessionStore, SessionLimits};
pub use ttl_map::{Limits, TtlMap};

/// Where a fixture file is: `fixtures/{relative}` under the working directory when it exists
/// (`cargo run` at the root, the container image), else under the workspace that built this
/// binary (tests run from each crate's own directory).
pub fn fixture_path(relative: &str) -> std::path::PathBuf {
    let here = std::path::Path::new("fixtures").join(relative);
    if here.exists() {
        return here;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
        .join(relative)
}
