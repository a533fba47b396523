//! The hub's configuration: flags and `FC_HUB_*` environment variables (SPEC §8), with
//! defaults for `cargo run` on localhost.

use std::path::PathBuf;

use fc_plumbing::UrlRewrite;

use crate::registry::{Registry, RegistryError};
use fc_plumbing::Clock;

/// FranceConnect's development value of the pairwise-sub secret (SPEC §4.11 test vector).
pub const DEV_SUB_SECRET: &str = "9ed64cd3762973c8a5219e0774671940a3550ae1050af86831d613193e825caa";

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "hub", about = "The FranceConnect hub of the demo")]
pub struct Cli {
    /// Public URL of the hub (issuer base; the issuer is `{public_url}/api/v2`).
    #[arg(
        long,
        env = "FC_HUB_PUBLIC_URL",
        default_value = "http://localhost:8000"
    )]
    pub public_url: String,
    /// Address to listen on.
    #[arg(long, env = "FC_HUB_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: String,
    /// Folder holding service-providers.toml, identity-providers.toml, data-providers.toml.
    #[arg(long, env = "FC_HUB_REGISTRATIONS")]
    pub registrations: Option<PathBuf>,
    /// A TOML file of extra registrations layered on top (register your own SP here).
    #[arg(long, env = "FC_HUB_EXTRA_REGISTRATIONS")]
    pub extra_registrations: Option<PathBuf>,
    /// Back-channel rewrites `PUBLIC=INTERNAL` (e.g. `http://localhost:8001=http://identity-provider-example:8001`), comma separated.
    #[arg(long, env = "FC_HUB_INTERNAL_URLS", value_delimiter = ',')]
    pub internal_urls: Vec<String>,
    /// acr values the platform accepts (FranceConnect: eidas1; FranceConnect+: eidas2 eidas3).
    #[arg(
        long,
        env = "FC_HUB_ACR_VALUES",
        value_delimiter = ',',
        default_value = "eidas1,eidas2,eidas3"
    )]
    pub acr_values: Vec<String>,
    /// Secret mixed into every pairwise sub.
    #[arg(long, env = "FC_HUB_SUB_SECRET", default_value = DEV_SUB_SECRET)]
    pub sub_secret: String,
    /// Timeout of calls to identity providers, in seconds.
    #[arg(long, env = "FC_HUB_IDP_TIMEOUT_SECS", default_value_t = 10)]
    pub idp_timeout_secs: u64,
    /// Maximum number of hub sessions kept in memory (the oldest is evicted).
    #[arg(long, env = "FC_HUB_MAX_SESSIONS", default_value_t = 100_000)]
    pub max_sessions: usize,
    /// Mark the session cookie `Secure` (default: when the public URL is https).
    #[arg(long, env = "FC_HUB_COOKIE_SECURE")]
    pub cookie_secure: Option<bool>,
    /// Relaxed mode, for RP libraries that always send extra parameters: unknown authorize
    /// parameters are ignored and PKCE (S256) is accepted. FranceConnect itself refuses both.
    #[arg(long, env = "FC_HUB_RELAXED")]
    pub relaxed: bool,
    /// Folder where the hub keeps its signing keys (created on first start), so tokens it issued
    /// still verify after a restart. Without it, fresh keys are generated at each start.
    #[arg(long, env = "FC_HUB_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long, env = "FC_HUB_JSON_LOGS")]
    pub json_logs: bool,
}

/// Everything `Application::build` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub public_url: String,
    pub registry: Registry,
    pub rewrites: Vec<UrlRewrite>,
    pub acr_values: Vec<String>,
    pub sub_secret: String,
    pub idp_timeout_secs: u64,
    pub max_sessions: usize,
    pub cookie_secure: bool,
    pub session_idle_secs: i64,
    pub relaxed: bool,
    pub keys_dir: Option<PathBuf>,
    pub clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("invalid internal URL mapping {0:?}: expected PUBLIC=INTERNAL")]
    Rewrite(String),
}

impl Config {
    /// The localhost defaults with the fixture registrations.
    pub fn local() -> Result<Self, ConfigError> {
        Ok(Self {
            public_url: "http://localhost:8000".into(),
            registry: Registry::load(&fc_plumbing::fixture_path("hub"), None)?,
            rewrites: Vec::new(),
            acr_values: vec!["eidas1".into(), "eidas2".into(), "eidas3".into()],
            sub_secret: DEV_SUB_SECRET.into(),
            idp_timeout_secs: 10,
            max_sessions: 100_000,
            cookie_secure: false,
            session_idle_secs: 30 * 60,
            relaxed: false,
            keys_dir: None,
            clock: Clock::system(),
        })
    }

    pub fn from_cli(cli: &Cli) -> Result<Self, ConfigError> {
        let dir = cli
            .registrations
            .clone()
            .unwrap_or_else(|| fc_plumbing::fixture_path("hub"));
        let rewrites = cli
            .internal_urls
            .iter()
            .filter(|m| !m.trim().is_empty())
            .map(|m| {
                m.split_once('=')
                    .map(|(p, i)| UrlRewrite::new(p.trim(), i.trim()))
                    .ok_or_else(|| ConfigError::Rewrite(m.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let public_url = cli.public_url.trim_end_matches('/').to_owned();
        Ok(Self {
            cookie_secure: cli
                .cookie_secure
                .unwrap_or(public_url.starts_with("https://")),
            public_url,
            registry: Registry::load(&dir, cli.extra_registrations.as_deref())?,
            rewrites,
            acr_values: cli.acr_values.clone(),
            sub_secret: cli.sub_secret.clone(),
            idp_timeout_secs: cli.idp_timeout_secs,
            max_sessions: cli.max_sessions,
            session_idle_secs: 30 * 60,
            relaxed: cli.relaxed,
            keys_dir: cli.keys_dir.clone(),
            clock: Clock::system(),
        })
    }

    pub fn issuer(&self) -> String {
        format!("{}/api/v2", self.public_url)
    }
}
