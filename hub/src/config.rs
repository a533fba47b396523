//! The hub's configuration: flags and `FC_HUB_*` environment variables (`docs/hub.md`,
//! "Configuration"), with defaults for `cargo run` on localhost.

use std::path::PathBuf;

use fc_plumbing::{Clock, Secret, SessionLimits, UrlRewrite};

use crate::domain::Acr;
use crate::instance::Instance;
use crate::provider::tokens::Lifetimes;
use crate::registry::{Registry, RegistryError};

/// FranceConnect's development value of the pairwise-sub secret (its published test vector).
pub const DEV_SUB_SECRET: &str = "9ed64cd3762973c8a5219e0774671940a3550ae1050af86831d613193e825caa";

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "hub", about = "The FranceConnect hub of the demo")]
pub struct Cli {
    /// Which FranceConnect to be: `franceconnect` (eIDAS low) or `franceconnect-plus` (eIDAS
    /// substantial and high, ES256 only, encrypted tokens; `docs/franceconnect-plus.md`).
    #[arg(
        long,
        env = "FC_HUB_INSTANCE",
        value_enum,
        default_value = "franceconnect"
    )]
    pub instance: Instance,
    /// Public URL of the hub (issuer base; the issuer is `{public_url}/api/v2`). Default:
    /// http://localhost:8000, or :8003 for FranceConnect+.
    #[arg(long, env = "FC_HUB_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Address to listen on. Default: 127.0.0.1:8000, or :8003 for FranceConnect+.
    #[arg(long, env = "FC_HUB_LISTEN")]
    pub listen: Option<String>,
    /// Folder holding service-providers.toml, identity-providers.toml, data-providers.toml
    /// (default: `fixtures/hub`, or `fixtures/hub-plus` for FranceConnect+).
    #[arg(long, env = "FC_HUB_REGISTRATIONS")]
    pub registrations: Option<PathBuf>,
    /// A TOML file of extra registrations layered on top (register your own SP here).
    #[arg(long, env = "FC_HUB_EXTRA_REGISTRATIONS")]
    pub extra_registrations: Option<PathBuf>,
    /// Back-channel rewrites `PUBLIC=INTERNAL` (e.g. `http://localhost:8001=http://identity-provider-example:8001`), comma separated.
    #[arg(long, env = "FC_HUB_INTERNAL_URLS", value_delimiter = ',')]
    pub internal_urls: Vec<String>,
    /// acr values the platform accepts (default: eidas1,eidas2,eidas3 for the demo's
    /// FranceConnect, eidas2,eidas3 for FranceConnect+).
    #[arg(long, env = "FC_HUB_ACR_VALUES", value_delimiter = ',')]
    pub acr_values: Vec<Acr>,
    /// Secret mixed into every pairwise sub.
    #[arg(long, env = "FC_HUB_SUB_SECRET", default_value = DEV_SUB_SECRET, hide_default_value = true)]
    pub sub_secret: Secret,
    /// Timeout of calls to identity providers, in seconds.
    #[arg(long, env = "FC_HUB_IDP_TIMEOUT_SECS", default_value_t = 10)]
    pub idp_timeout_secs: u64,
    /// Where the hub keeps its state: `memory` (embedded, the default) or a Redis URL
    /// (`redis://host:6379/0`), which several hub replicas can share.
    #[arg(long, env = "FC_HUB_STORE", default_value = "memory")]
    pub store: String,
    /// Most browser sessions in use kept (journeys past the mire, logged-in people).
    #[arg(long, env = "FC_HUB_MAX_SESSIONS", default_value_t = 100_000)]
    pub max_sessions: usize,
    /// Memory budget of the browser sessions, in MB (new sessions get an eighth of it).
    #[arg(long, env = "FC_HUB_SESSION_BUDGET_MB", default_value_t = 64)]
    pub session_budget_mb: usize,
    /// Memory budget of codes, tokens and caches, in MB (memory store only).
    #[arg(long, env = "FC_HUB_STORE_BUDGET_MB", default_value_t = 64)]
    pub store_budget_mb: usize,
    /// Lifetime of authorization codes, in seconds (FranceConnect: 30).
    #[arg(long, env = "FC_HUB_CODE_TTL_SECS", default_value_t = 30)]
    pub code_ttl_secs: i64,
    /// Lifetime of access tokens, in seconds (FranceConnect: 60).
    #[arg(long, env = "FC_HUB_ACCESS_TOKEN_TTL_SECS", default_value_t = 60)]
    pub access_token_ttl_secs: i64,
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

/// Where the hub keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Memory { budget_mb: usize },
    Redis { url: Secret },
}

/// Everything `Application::build` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub instance: Instance,
    pub public_url: String,
    pub registry: Registry,
    pub rewrites: Vec<UrlRewrite>,
    pub acr_values: Vec<Acr>,
    pub sub_secret: Secret,
    pub idp_timeout_secs: u64,
    pub store: StoreConfig,
    pub max_sessions: usize,
    pub session_budget_mb: usize,
    pub lifetimes: Lifetimes,
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
    #[error("invalid store {0:?}: expected `memory` or `redis://host:port/db`")]
    Store(String),
}

impl Config {
    /// FranceConnect's localhost defaults with the fixture registrations.
    pub fn local() -> Result<Self, ConfigError> {
        Self::local_for(Instance::FranceConnect)
    }

    /// The localhost defaults of `instance`, with its fixture registrations.
    pub fn local_for(instance: Instance) -> Result<Self, ConfigError> {
        Ok(Self {
            instance,
            public_url: instance.default_public_url(),
            registry: Registry::load(&fc_plumbing::fixture_path(instance.fixtures()), None)?,
            rewrites: Vec::new(),
            acr_values: instance.default_acr_values().to_vec(),
            sub_secret: Secret::new(DEV_SUB_SECRET),
            idp_timeout_secs: 10,
            store: StoreConfig::Memory { budget_mb: 64 },
            max_sessions: 100_000,
            session_budget_mb: 64,
            lifetimes: Lifetimes::default(),
            cookie_secure: false,
            session_idle_secs: instance.session_idle_secs(),
            relaxed: false,
            keys_dir: None,
            clock: Clock::system(),
        })
    }

    pub fn from_cli(cli: &Cli) -> Result<Self, ConfigError> {
        let instance = cli.instance;
        let dir = cli
            .registrations
            .clone()
            .unwrap_or_else(|| fc_plumbing::fixture_path(instance.fixtures()));
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
        let store = match cli.store.trim() {
            "" | "memory" => StoreConfig::Memory {
                budget_mb: cli.store_budget_mb,
            },
            url if url.starts_with("redis://") || url.starts_with("rediss://") => {
                StoreConfig::Redis {
                    url: Secret::new(url),
                }
            }
            other => return Err(ConfigError::Store(other.to_owned())),
        };
        let public_url = cli
            .public_url
            .clone()
            .unwrap_or_else(|| instance.default_public_url())
            .trim_end_matches('/')
            .to_owned();
        let registry = Registry::load(&dir, cli.extra_registrations.as_deref())?;
        registry.check_for(instance)?;
        Ok(Self {
            instance,
            cookie_secure: cli
                .cookie_secure
                .unwrap_or(public_url.starts_with("https://")),
            public_url,
            registry,
            rewrites,
            acr_values: if cli.acr_values.is_empty() {
                instance.default_acr_values().to_vec()
            } else {
                cli.acr_values.clone()
            },
            sub_secret: cli.sub_secret.clone(),
            idp_timeout_secs: cli.idp_timeout_secs,
            store,
            max_sessions: cli.max_sessions,
            session_budget_mb: cli.session_budget_mb,
            lifetimes: Lifetimes {
                code_secs: cli.code_ttl_secs.max(1),
                access_token_secs: cli.access_token_ttl_secs.max(1),
            },
            session_idle_secs: instance.session_idle_secs(),
            relaxed: cli.relaxed,
            keys_dir: cli.keys_dir.clone(),
            clock: Clock::system(),
        })
    }

    /// The address to listen on when none is given.
    pub fn default_listen(instance: Instance) -> String {
        format!("127.0.0.1:{}", instance.default_port())
    }

    pub fn issuer(&self) -> String {
        format!("{}/api/v2", self.public_url)
    }

    /// The session budgets this configuration asks for.
    pub fn session_limits(&self) -> SessionLimits {
        let mut limits = SessionLimits::with_caps(self.max_sessions, self.session_budget_mb);
        limits.active.ttl = std::time::Duration::from_secs(self.session_idle_secs.unsigned_abs());
        limits
    }
}
