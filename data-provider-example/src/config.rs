//! Configuration of the example data provider (SPEC §2, §8): flags and `FC_DP_*` environment
//! variables, with defaults for `cargo run` on localhost.

use std::path::PathBuf;

use fc_plumbing::Jwa;

/// Default DP registration at the hub (`fixtures/hub/data-providers.toml`).
pub const DEFAULT_CLIENT_ID: &str =
    "423dcbdc5a15ece61954f2b46d5d3df3b6d5f38bd26cd8a7ba3dcac5c7ea86e0";
pub const DEFAULT_CLIENT_SECRET: &str =
    "36aa214e7a0043c8da60ae991d8908947147d637137c5bf14bc2fc53e1055847";

/// Which checktoken endpoint of the hub to use (SPEC §4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckTokenVersion {
    /// `POST /api/v1/checktoken`, JSON in and out, no DP credentials (legacy).
    V1,
    /// `POST /api/v2/checktoken`, DP credentials, answer signed by the hub.
    V2,
}

/// Settings of the data provider.
#[derive(Clone, clap::Parser)]
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
    pub client_secret: String,
    /// CSV file of the DGFiP-like records.
    #[arg(long, env = "FC_DP_RECORDS", default_value_os_t = fc_plumbing::fixture_path("dp/dgfip.csv"))]
    pub records: PathBuf,
    /// Checktoken flavour: v2 (signed answer) or v1 (legacy JSON).
    #[arg(
        long,
        env = "FC_DP_CHECKTOKEN_VERSION",
        value_enum,
        default_value = "v2"
    )]
    pub checktoken_version: CheckTokenVersion,
    /// The only JWS algorithm accepted for v2 checktoken answers.
    #[arg(long, env = "FC_DP_CHECKTOKEN_ALG", default_value = "ES256")]
    pub checktoken_alg: Jwa,
    /// Timeout of every call to the hub, in seconds.
    #[arg(long, env = "FC_DP_HUB_TIMEOUT_SECS", default_value_t = 10)]
    pub hub_timeout_secs: u64,
    /// Log as JSON lines.
    #[arg(long, env = "FC_DP_JSON_LOGS")]
    pub json_logs: bool,
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
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            records: fc_plumbing::fixture_path("dp/dgfip.csv"),
            checktoken_version: CheckTokenVersion::V2,
            checktoken_alg: Jwa::ES256,
            hub_timeout_secs: 10,
            json_logs: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::local()
    }
}

// Hand-written so that `{:?}` never prints the client secret.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("public_url", &self.public_url)
            .field("listen", &self.listen)
            .field("hub_url", &self.hub_url)
            .field("hub_internal_url", &self.hub_internal_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"********")
            .field("records", &self.records)
            .field("checktoken_version", &self.checktoken_version)
            .field("checktoken_alg", &self.checktoken_alg)
            .field("hub_timeout_secs", &self.hub_timeout_secs)
            .field("json_logs", &self.json_logs)
            .finish()
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
        ])
        .unwrap();
        assert_eq!(config.hub_url, "http://hub.test:8000");
        assert_eq!(config.checktoken_version, CheckTokenVersion::V1);
        assert_eq!(config.checktoken_alg, Jwa::RS256);
        assert!(Config::try_parse_from(["x", "--checktoken-alg", "none"]).is_err());
        assert!(Config::try_parse_from(["x", "--checktoken-version", "v3"]).is_err());
    }

    #[test]
    fn debug_output_masks_the_secret() {
        let shown = format!("{:?}", Config::local());
        assert!(!shown.contains(DEFAULT_CLIENT_SECRET));
        assert!(shown.contains("********"));
    }
}
