//! Plumbing shared by the hub and the three example programs: the back-channel HTTP client
//! (public → internal URL rewrite, SPEC §2), the bounded server-side session store, the security
//! headers every HTML page carries (SPEC §8), JOSE signing keys and compact JWS, random values,
//! the shared stylesheet and logging set-up. Nothing FranceConnect-specific lives here.

pub mod assets;
pub mod backchannel;
pub mod jose;
pub mod random;
pub mod session;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod web;

pub use backchannel::{BackChannel, BackChannelBuilder, BackChannelError, UrlRewrite, error_chain};
pub use jose::{Jwa, KeySet, Signer};
pub use session::MemorySessionStore;

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
