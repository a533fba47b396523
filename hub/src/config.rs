//! The hub's configuration: flags and `FC_HUB_*` environment variables (`docs/hub.md`,
//! "Configuration"), with defaults for `cargo run` on localhost.

use std::path::PathBuf;

use fc_plumbing::server::ServerSettings;
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
    /// Prefix of this platform's keys in a shared Redis (two platforms, e.g. FranceConnect and
    /// FranceConnect+, can share one Redis under two namespaces; replicas of one share one).
    /// Default: the instance's own (`fc:franceconnect`, `fc:franceconnect-plus`).
    #[arg(long, env = "FC_HUB_STORE_NAMESPACE")]
    pub store_namespace: Option<String>,
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
    /// still verify after a restart. Without it, fresh keys are generated at each start. Required
    /// with a Redis store: every replica must sign with the same keys, so they share this folder.
    #[arg(long, env = "FC_HUB_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Token of the control API (`/admin/api`) and the admin page (`/admin`), at least 16
    /// characters (docs/admin.md). Without it neither exists.
    #[arg(long, env = "FC_HUB_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// File where the control API writes the registrations it changed, read back last at start.
    /// Default: `admin-registrations.toml` in `--registrations`; none without that folder (changes
    /// then last until the hub stops).
    #[arg(long, env = "FC_HUB_ADMIN_REGISTRATIONS")]
    pub admin_registrations: Option<PathBuf>,
    /// How long the `token_slow` scenario holds the token answer, in seconds.
    #[arg(long, env = "FC_HUB_SCENARIO_DELAY_SECS", default_value_t = crate::admin::DEFAULT_SCENARIO_DELAY_SECS)]
    pub scenario_delay_secs: u64,
    /// TEST ONLY: fixed signing keys and sub secret from `fixtures/hub/deterministic/`, so
    /// snapshot tests see the same `kid` and `sub` at every run. They are published in the
    /// repository: never use this mode for anything but tests.
    #[arg(long, env = "FC_HUB_DETERMINISTIC", conflicts_with = "keys_dir")]
    pub deterministic: bool,
    /// Log as JSON lines.
    #[arg(long, env = "FC_HUB_JSON_LOGS")]
    pub json_logs: bool,
    #[command(flatten)]
    pub server: ServerFlags,
}

fc_plumbing::server_flags!("FC_HUB_");

/// The namespace of FranceConnect's keys in Redis when none is configured.
pub const DEFAULT_NAMESPACE: &str = "fc:franceconnect";
/// Where deterministic mode finds its keys and sub secret (test-only values, see its README).
pub const DETERMINISTIC_FIXTURES: &str = "hub/deterministic";
/// The shortest admin token accepted.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

/// Where the hub keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Memory {
        budget_mb: usize,
    },
    /// Shared by every replica: same `url`, same `namespace`.
    Redis {
        url: Secret,
        namespace: String,
    },
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
    /// The control API's token; `None`: no control API.
    pub admin_token: Option<Secret>,
    /// Where the control API writes the registrations it changed.
    pub admin_registrations: Option<PathBuf>,
    pub scenario_delay_secs: u64,
    /// Keys and sub secret are the fixtures' (see [`Config::make_deterministic`]).
    pub deterministic: bool,
    /// Backlog, workers, request and keep-alive timeouts of the HTTP server.
    pub server: ServerSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("invalid internal URL mapping {0:?}: expected PUBLIC=INTERNAL")]
    Rewrite(String),
    #[error("invalid store {0:?}: expected `memory` or `redis://host:port/db`")]
    Store(String),
    #[error("invalid store namespace {0:?}: expected letters, digits, `:`, `-`, `_` or `.`")]
    Namespace(String),
    #[error("the admin token must hold at least {MIN_ADMIN_TOKEN_CHARS} characters")]
    AdminToken,
    #[error("deterministic mode needs {path}: {message}")]
    Deterministic { path: String, message: String },
}

fn namespace(text: &str) -> Result<String, ConfigError> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'));
    ok.then(|| text.to_owned())
        .ok_or_else(|| ConfigError::Namespace(text.to_owned()))
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
            admin_token: None,
            admin_registrations: None,
            scenario_delay_secs: crate::admin::DEFAULT_SCENARIO_DELAY_SECS,
            deterministic: false,
            server: ServerSettings::default(),
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
                    namespace: namespace(
                        cli.store_namespace
                            .as_deref()
                            .unwrap_or(instance.store_namespace()),
                    )?,
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
        let admin_token = cli.admin_token.clone().filter(|t| !t.is_empty());
        if admin_token
            .as_ref()
            .is_some_and(|t| t.expose().chars().count() < MIN_ADMIN_TOKEN_CHARS)
        {
            return Err(ConfigError::AdminToken);
        }
        let admin_registrations = cli.admin_registrations.clone().or_else(|| {
            cli.registrations
                .as_ref()
                .map(|d| d.join("admin-registrations.toml"))
        });
        let mut config = Self {
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
            admin_token,
            admin_registrations,
            scenario_delay_secs: cli.scenario_delay_secs,
            deterministic: false,
            server: cli.server.settings(),
        };
        if cli.deterministic {
            config.make_deterministic()?;
        }
        Ok(config)
    }

    /// Deterministic mode, for CI: the signing keys and the sub secret shipped in
    /// `fixtures/hub/deterministic/` (test-only values), read and never written, so every run
    /// gives the same `kid`s and the same `sub` for a person and an SP.
    pub fn make_deterministic(&mut self) -> Result<(), ConfigError> {
        let dir = fc_plumbing::fixture_path(DETERMINISTIC_FIXTURES);
        let missing = |name: &str, e: &dyn std::fmt::Display| ConfigError::Deterministic {
            path: dir.join(name).display().to_string(),
            message: e.to_string(),
        };
        // Both key files must be there: the key loader would otherwise create one in the fixtures.
        for name in ["hub-es256.hex", "hub-rs256.pem"] {
            if !dir.join(name).is_file() {
                return Err(missing(name, &"file not found"));
            }
        }
        let secret = std::fs::read_to_string(dir.join("sub-secret.txt"))
            .map_err(|e| missing("sub-secret.txt", &e))?;
        self.sub_secret = Secret::new(secret.trim());
        self.keys_dir = Some(dir);
        self.deterministic = true;
        Ok(())
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use super::*;

    fn store(args: &[&str]) -> Result<StoreConfig, ConfigError> {
        let cli = Cli::parse_from([&["hub"], args].concat());
        Config::from_cli(&cli).map(|c| c.store)
    }

    #[test]
    fn a_redis_store_gets_the_platform_namespace_and_a_bad_one_is_refused() {
        assert_eq!(
            store(&["--store", "redis://cache:6379/0"]).unwrap(),
            StoreConfig::Redis {
                url: Secret::new("redis://cache:6379/0"),
                namespace: DEFAULT_NAMESPACE.into(),
            }
        );
        let plus = store(&["--store", "redis://c/0", "--store-namespace", "fc:plus"]).unwrap();
        assert!(matches!(plus, StoreConfig::Redis { namespace, .. } if namespace == "fc:plus"));
        for bad in ["", "with space", "glob*", &"x".repeat(65)] {
            assert!(matches!(
                store(&["--store", "redis://c/0", "--store-namespace", bad]),
                Err(ConfigError::Namespace(_))
            ));
        }
        assert!(matches!(
            store(&["--store", "postgres://x"]),
            Err(ConfigError::Store(_))
        ));
    }
}
