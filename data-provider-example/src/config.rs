//! Configuration of the example data provider: flags and `FC_DP_*` environment variables, with
//! defaults for `cargo run` on localhost. Secrets (the DP's client secret at the hub, the admin
//! token) are [`Secret`]s: printing the configuration never shows them.

use std::path::PathBuf;

use fc_plumbing::jwe::{ContentEnc, KeyAlg};
use fc_plumbing::{Clock, Jwa, Secret};

/// Default DP registration at the hub (`fixtures/hub/data-providers.toml`).
pub const DEFAULT_CLIENT_ID: &str =
    "423dcbdc5a15ece61954f2b46d5d3df3b6d5f38bd26cd8a7ba3dcac5c7ea86e0";
pub const DEFAULT_CLIENT_SECRET: &str =
    "36aa214e7a0043c8da60ae991d8908947147d637137c5bf14bc2fc53e1055847";
/// Default byte budget of the exchanges journal.
pub const DEFAULT_JOURNAL_MEGABYTES: usize = 16;
/// Default number of correlation ids the journal keeps.
pub const DEFAULT_JOURNAL_IDS: usize = 10_000;
/// Default lifetime of the hub's reachability as `/health` reports it.
pub const DEFAULT_HEALTH_TTL_SECS: u64 = 10;

/// Which checktoken endpoint of the hub to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckTokenVersion {
    /// `POST /api/v1/checktoken`, JSON in and out, no DP credentials (legacy).
    V1,
    /// `POST /api/v2/checktoken`, DP credentials, answer signed by the hub.
    V2,
}

/// Whether checktoken answers come encrypted, and with which key management algorithm: pinned
/// here like the signature's, never read from the answer (FranceConnect's DP refuses another
/// `alg` or `enc`: its errors Y430004 and Y430005).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckTokenEncryption {
    /// Not encrypted: the answer is the signed JWS itself.
    #[value(name = "none")]
    None,
    #[value(name = "ECDH-ES")]
    EcdhEs,
    #[value(name = "RSA-OAEP")]
    RsaOaep,
    #[value(name = "RSA-OAEP-256")]
    RsaOaep256,
}

fc_plumbing::server_flags!("FC_DP_");

impl CheckTokenEncryption {
    /// The JWE `alg` answers must carry, if they are encrypted.
    pub fn key_alg(self) -> Option<KeyAlg> {
        match self {
            CheckTokenEncryption::None => None,
            CheckTokenEncryption::EcdhEs => Some(KeyAlg::EcdhEs),
            CheckTokenEncryption::RsaOaep => Some(KeyAlg::RsaOaep),
            CheckTokenEncryption::RsaOaep256 => Some(KeyAlg::RsaOaep256),
        }
    }
}

/// Settings of the data provider.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "data-provider-example",
    about = "Example data provider of the FranceConnect demo (\"API Impôt particulier\" look-alike)"
)]
pub struct Config {
    /// URL under which browsers and the SP reach this program.
    #[arg(
        long,
        env = "FC_DP_PUBLIC_URL",
        default_value = "http://localhost:8002"
    )]
    pub public_url: String,
    /// Address to bind.
    #[arg(long, env = "FC_DP_LISTEN", default_value = "127.0.0.1:8002")]
    pub listen: String,
    /// Public URL of the hub; its issuer is `{hub_url}/api/v2`.
    #[arg(long, env = "FC_DP_HUB_URL", default_value = "http://localhost:8000")]
    pub hub_url: String,
    /// Where back-channel calls to the hub really go (e.g. `http://hub:8000` under docker-compose).
    #[arg(long, env = "FC_DP_HUB_INTERNAL_URL")]
    pub hub_internal_url: Option<String>,
    /// This data provider's client_id at the hub.
    #[arg(long, env = "FC_DP_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// This data provider's client_secret at the hub.
    #[arg(long, env = "FC_DP_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET, hide_default_value = true, hide_env_values = true)]
    pub client_secret: Secret,
    /// CSV files of the records, comma separated: this demo's layout or FranceConnect's own
    /// `database.csv`, told apart by their header (an SPI may appear once in all of them).
    #[arg(long, env = "FC_DP_RECORDS", value_delimiter = ',', default_values_os_t = vec![fc_plumbing::fixture_path("dp/dgfip.csv")])]
    pub records: Vec<PathBuf>,
    /// Checktoken flavour: v2 (signed answer) or v1 (legacy JSON).
    #[arg(
        long,
        env = "FC_DP_CHECKTOKEN_VERSION",
        value_enum,
        default_value = "v2"
    )]
    pub checktoken_version: CheckTokenVersion,
    /// The only JWS algorithm accepted for v2 checktoken answers (ES256 or RS256): pinned here,
    /// never read from the answer's header (algorithm confusion, see `crate::jwks`).
    #[arg(long, env = "FC_DP_CHECKTOKEN_ALG", default_value = "ES256")]
    pub checktoken_alg: Jwa,
    /// The JWE `alg` of checktoken answers (ECDH-ES, RSA-OAEP, RSA-OAEP-256, or none): the one
    /// this DP registered at the hub (`checktoken_encrypted_response_alg`); any other is refused.
    #[arg(
        long,
        env = "FC_DP_CHECKTOKEN_ENCRYPTION_ALG",
        value_enum,
        default_value = "ECDH-ES"
    )]
    pub checktoken_encryption_alg: CheckTokenEncryption,
    /// The JWE `enc` of checktoken answers (`checktoken_encrypted_response_enc`).
    #[arg(
        long,
        env = "FC_DP_CHECKTOKEN_ENCRYPTION_ENC",
        default_value = "A256GCM"
    )]
    pub checktoken_encryption_enc: ContentEnc,
    /// Folder where the DP keeps its encryption keys (created on first start), so answers
    /// encrypted to its published keys still decrypt after a restart. Without it, fresh keys are
    /// made at each start. The public keys are served at `/.well-known/jwks.json`.
    #[arg(long, env = "FC_DP_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Timeout of every call to the hub, in seconds.
    #[arg(long, env = "FC_DP_HUB_TIMEOUT_SECS", default_value_t = 10)]
    pub hub_timeout_secs: u64,
    /// How long `/health` trusts its last look at the hub, in seconds.
    #[arg(long, env = "FC_DP_HEALTH_TTL_SECS", default_value_t = DEFAULT_HEALTH_TTL_SECS)]
    pub health_ttl_secs: u64,
    /// Byte budget of the exchanges journal (`/exchanges/{id}`), in megabytes.
    #[arg(long, env = "FC_DP_JOURNAL_MEGABYTES", default_value_t = DEFAULT_JOURNAL_MEGABYTES)]
    pub journal_megabytes: usize,
    /// Most correlation ids the exchanges journal keeps.
    #[arg(long, env = "FC_DP_JOURNAL_IDS", default_value_t = DEFAULT_JOURNAL_IDS)]
    pub journal_ids: usize,
    /// Bearer token of the admin API (`/admin/api/…`); without it the admin API does not exist.
    #[arg(long, env = "FC_DP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// Log as JSON lines.
    #[arg(long, env = "FC_DP_JSON_LOGS")]
    pub json_logs: bool,
    /// Backlog, workers, request and keep-alive timeouts of the HTTP server.
    #[command(flatten)]
    pub server: ServerFlags,
    /// The clock of every expiry and freshness check; tests move a manual one.
    #[arg(skip)]
    pub clock: Clock,
}

impl Config {
    /// The localhost defaults, without reading argv or the environment (tests, launcher).
    pub fn local() -> Self {
        Self {
            public_url: "http://localhost:8002".to_owned(),
            listen: "127.0.0.1:8002".to_owned(),
            hub_url: "http://localhost:8000".to_owned(),
            hub_internal_url: None,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            records: vec![fc_plumbing::fixture_path("dp/dgfip.csv")],
            checktoken_version: CheckTokenVersion::V2,
            checktoken_alg: Jwa::ES256,
            checktoken_encryption_alg: CheckTokenEncryption::EcdhEs,
            checktoken_encryption_enc: ContentEnc::A256Gcm,
            keys_dir: None,
            hub_timeout_secs: 10,
            health_ttl_secs: DEFAULT_HEALTH_TTL_SECS,
            journal_megabytes: DEFAULT_JOURNAL_MEGABYTES,
            journal_ids: DEFAULT_JOURNAL_IDS,
            admin_token: None,
            json_logs: false,
            server: ServerFlags::default(),
            clock: Clock::system(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_override_the_defaults_and_values_are_validated() {
        let config = Config::try_parse_from([
            "data-provider-example",
            "--hub-url",
            "http://hub.test:8000",
            "--checktoken-version",
            "v1",
            "--checktoken-alg",
            "RS256",
            "--records",
            "a.csv,b.csv",
            "--admin-token",
            "t0k3n",
            "--checktoken-encryption-alg",
            "RSA-OAEP-256",
        ])
        .unwrap();
        assert_eq!(
            config.checktoken_encryption_alg.key_alg(),
            Some(KeyAlg::RsaOaep256)
        );
        assert_eq!(config.checktoken_encryption_enc, ContentEnc::A256Gcm);
        let plain = Config::try_parse_from(["x", "--checktoken-encryption-alg", "none"]).unwrap();
        assert_eq!(plain.checktoken_encryption_alg.key_alg(), None);
        assert!(Config::try_parse_from(["x", "--checktoken-encryption-alg", "A128KW"]).is_err());
        assert!(Config::try_parse_from(["x", "--checktoken-encryption-enc", "A128GCM"]).is_err());
        assert_eq!(
            Config::try_parse_from(["x"])
                .unwrap()
                .checktoken_encryption_alg,
            Config::local().checktoken_encryption_alg
        );
        assert_eq!(config.hub_url, "http://hub.test:8000");
        assert_eq!(config.checktoken_version, CheckTokenVersion::V1);
        assert_eq!(config.checktoken_alg, Jwa::RS256);
        assert_eq!(
            config.records,
            [PathBuf::from("a.csv"), PathBuf::from("b.csv")]
        );
        assert!(config.admin_token.unwrap().matches("t0k3n"));
        assert!(Config::try_parse_from(["x", "--checktoken-alg", "none"]).is_err());
        assert!(Config::try_parse_from(["x", "--checktoken-version", "v3"]).is_err());
    }

    #[test]
    fn debug_output_masks_the_secrets() {
        let mut config = Config::local();
        config.admin_token = Some("admin-token-value".into());
        let shown = format!("{config:?}");
        assert!(!shown.contains(DEFAULT_CLIENT_SECRET), "{shown}");
        assert!(!shown.contains("admin-token-value"), "{shown}");
    }
}
