//! Builds the hub's HTTP server: everything expensive (keys, templates, registry, store) is made
//! once here and shared with every worker.
//!
//! Replicas (several hubs on one Redis store, any of them answering any request) must agree on
//! two secrets besides the store's content: the key that signs the session cookie, kept in the
//! store itself (the first hub to start creates it, the others read it back), and the signing
//! keys, kept in the keys folder they share (`--keys-dir`, required with Redis).

use std::net::TcpListener;
use std::time::Duration;

use actix_web::cookie::Key;
use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use fc_plumbing::{BackChannel, KeySet, MemorySessionStore};

use crate::admin::{self, AdminSettings};
use crate::config::{Config, StoreConfig};
use crate::error::{Error, ErrorCode};
use crate::platform::{Platform, Settings};
use crate::registry::Overrides;
use crate::routes;
use crate::store::sessions::{HubSessions, RedisSessions};
use crate::store::{MemoryStore, RedisStore, Store};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create keys: {0}")]
    Keys(String),
    #[error("session cookie key: {0}")]
    CookieKey(String),
    #[error("cannot load templates: {0}")]
    Templates(#[from] tera::Error),
    #[error("back-channel client: {0}")]
    BackChannel(#[from] fc_plumbing::BackChannelError),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("registrations: {0}")]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("control API: {0}")]
    Admin(String),
}

pub struct Application {
    port: u16,
    server: Server,
    sessions: HubSessions,
    platform: web::Data<Platform>,
    health: crate::health::PeerHealth,
}

/// Where the session cookie key lives in the store.
const COOKIE_KEY: &str = "session-cookie-key";
/// Its lifetime in the store: for good, in practice.
const COOKIE_KEY_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

async fn stores(config: &Config) -> Result<(Store, HubSessions), StartupError> {
    match &config.store {
        StoreConfig::Memory { budget_mb } => {
            let memory = MemoryStore::new(1_000_000, budget_mb.max(&1) << 20, config.clock.clone());
            memory.spawn_sweeper();
            let sessions = MemorySessionStore::new(config.session_limits(), config.clock.clone());
            sessions.spawn_sweepers();
            Ok((Store::Memory(memory), HubSessions::Memory(sessions)))
        }
        StoreConfig::Redis { url, namespace } => {
            let redis = RedisStore::connect(url.expose(), namespace).await?;
            let sessions = RedisSessions::new(redis.clone(), config.session_limits());
            Ok((Store::Redis(redis), HubSessions::Redis(sessions)))
        }
    }
}

/// The session cookie key every hub sharing `store` uses: created once, read back by all.
async fn cookie_key(store: &Store) -> Result<Key, StartupError> {
    let mine = Key::generate();
    store
        .put_new(COOKIE_KEY, mine.master().to_vec(), COOKIE_KEY_TTL)
        .await?;
    let kept = store.get(COOKIE_KEY).await?.ok_or_else(|| {
        StartupError::CookieKey("gone from the store right after creation".into())
    })?;
    Key::try_from(kept.as_slice()).map_err(|e| StartupError::CookieKey(e.to_string()))
}

/// The hub's signing keys: generated for this process alone, or those of the keys folder.
async fn signing_keys(config: &Config) -> Result<KeySet, StartupError> {
    let keys_error = |e: String| StartupError::Keys(e);
    match (&config.keys_dir, &config.store) {
        (Some(dir), _) => folder_keys(dir.clone()).await,
        (None, StoreConfig::Redis { .. }) => Err(keys_error(
            "a Redis store is shared by replicas, which must sign with the same keys: \
             give them one keys folder (--keys-dir, FC_HUB_KEYS_DIR)"
                .into(),
        )),
        (None, StoreConfig::Memory { .. }) => {
            KeySet::generate("hub").map_err(|e| keys_error(e.to_string()))
        }
    }
}

/// The keys of `dir`, written there first if it has none. Hubs starting together on one folder
/// may both generate: the first to write a key wins, the others read it back, so every hub
/// serves exactly the keys of the folder (which is why this waits for the RSA key, a second at
/// most and only on the folder's first start).
async fn folder_keys(dir: std::path::PathBuf) -> Result<KeySet, StartupError> {
    let mut last = String::new();
    for _ in 0..20 {
        let attempt = dir.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let keys = KeySet::load_or_generate(&attempt, "hub")?;
            keys.rsa()?;
            Ok::<_, fc_plumbing::jose::JoseError>(keys)
        })
        .await
        .map_err(|e| StartupError::Keys(e.to_string()))?;
        match loaded {
            Ok(keys) => return Ok(keys),
            // Another hub is writing the same key right now: read it once it is there.
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(StartupError::Keys(last))
}

impl Application {
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartupError> {
        let port = listener.local_addr()?.port();
        let instance = config.instance;
        config.registry.check_for(instance)?;
        let keys = signing_keys(&config).await?;
        let back_channel = BackChannel::new(
            Duration::from_secs(config.idp_timeout_secs),
            config.rewrites.clone(),
        )?;
        let templates = web::Data::new(routes::templates(instance)?);
        let (store, sessions) = stores(&config).await?;
        let session_key = cookie_key(&store).await?;
        tracing::info!(store = %store.describe(), "hub state store");
        let settings = Settings {
            instance,
            issuer: config.issuer(),
            public_url: config.public_url.clone(),
            acr_supported: config.acr_values.clone(),
            default_acr: instance.default_acr(&config.acr_values),
            relaxed: config.relaxed,
            sub_secret: config.sub_secret.clone(),
            lifetimes: config.lifetimes,
        };
        let platform = Platform::new(
            settings,
            config.registry.clone(),
            store,
            keys,
            back_channel,
            config.clock.clone(),
        )
        .with_admin(admin_settings(&config));
        let saved = match &config.admin_registrations {
            Some(path) => {
                let saved = Overrides::load(path)?;
                saved
                    .apply(&config.registry)
                    .map_err(|e| StartupError::Admin(format!("{}: {e}", path.display())))?;
                saved
            }
            None => Overrides::default(),
        };
        admin::start(&platform, saved)
            .await
            .map_err(|e| StartupError::Admin(e.to_string()))?;
        if config.deterministic {
            tracing::warn!(
                "deterministic mode: signing keys and sub secret are the TEST values of fixtures/hub/deterministic"
            );
        }
        let (admin_enabled, shared) = (platform.admin.enabled(), platform.admin.is_shared());
        let platform = web::Data::new(platform);
        let health = crate::health::PeerHealth::default();
        health.spawn(std::sync::Arc::downgrade(&platform.clone().into_inner()));
        let peer_health = health.clone();
        let health = web::Data::new(health);
        let (secure, idle) = (config.cookie_secure, config.session_idle_secs);
        let (app_platform, app_sessions) = (platform.clone(), sessions.clone());
        let server_settings = config.server;
        tracing::info!(server = %server_settings, "HTTP server");
        let server = HttpServer::new(move || {
            // Each worker thread serves this hub only: its error pages carry its name.
            routes::errors::set_product(instance);
            App::new()
                .app_data(app_platform.clone())
                .app_data(templates.clone())
                .app_data(health.clone())
                .app_data(extractor_errors())
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    Error::page(ErrorCode::Y030007, format!("query: {e}")).into()
                }))
                .app_data(web::PayloadConfig::default().limit(64 * 1024))
                .app_data(
                    web::JsonConfig::default()
                        .limit(16 * 1024)
                        .error_handler(|e, _| Error::invalid_request(format!("JSON: {e}")).into()),
                )
                .wrap(fc_plumbing::session::middleware(
                    app_sessions.clone(),
                    session_key.clone(),
                    instance.session_cookie(),
                    secure,
                    idle,
                ))
                .wrap(fc_plumbing::web::security_headers())
                .wrap(actix_web::middleware::Condition::new(
                    shared,
                    actix_web::middleware::from_fn(routes::admin::refresh),
                ))
                .wrap(actix_web::middleware::from_fn(
                    fc_plumbing::request_log::log,
                ))
                .configure(|cfg| {
                    if admin_enabled {
                        routes::admin::configure(cfg);
                    }
                })
                .configure(|cfg| routes::configure(cfg, instance))
        });
        let server = server_settings
            .apply(server, &listener)?
            .listen(listener)?
            .run();
        Ok(Self {
            port,
            server,
            sessions,
            platform,
            health: peer_health,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// FranceConnect or FranceConnect+.
    pub fn instance(&self) -> crate::Instance {
        self.platform.settings.instance
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The browser sessions, so tests can check they stay bounded.
    pub fn sessions(&self) -> HubSessions {
        self.sessions.clone()
    }

    /// The platform (registrations, store, keys), for tests and the admin API.
    pub fn platform(&self) -> web::Data<Platform> {
        self.platform.clone()
    }

    /// The peers' health as `/health` reports it.
    pub fn health(&self) -> crate::health::PeerHealth {
        self.health.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn admin_settings(config: &Config) -> AdminSettings {
    AdminSettings {
        token: config.admin_token.clone(),
        file: config.admin_registrations.clone(),
        scenario_delay_secs: config.scenario_delay_secs,
        deterministic: config.deterministic,
        cookie_secure: config.cookie_secure,
    }
}

/// actix's own form errors become the hub's HTML page, never actix's plain-text 400.
fn extractor_errors() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| Error::page(ErrorCode::Y030007, format!("form: {e}")).into())
}
