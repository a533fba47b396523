//! Builds the hub's HTTP server: everything expensive (keys, templates, registry, store) is made
//! once here and shared with every worker.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use fc_plumbing::{BackChannel, KeySet, MemorySessionStore};

use crate::config::{Config, StoreConfig};
use crate::error::{Error, ErrorCode};
use crate::platform::{Platform, Settings};
use crate::routes;
use crate::store::sessions::{HubSessions, RedisSessions};
use crate::store::{MemoryStore, RedisStore, Store};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create keys: {0}")]
    Keys(String),
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
}

pub struct Application {
    port: u16,
    server: Server,
    sessions: HubSessions,
    platform: web::Data<Platform>,
    health: crate::health::PeerHealth,
}

async fn stores(config: &Config) -> Result<(Store, HubSessions), StartupError> {
    match &config.store {
        StoreConfig::Memory { budget_mb } => {
            let memory = MemoryStore::new(1_000_000, budget_mb.max(&1) << 20, config.clock.clone());
            memory.spawn_sweeper();
            let sessions = MemorySessionStore::new(config.session_limits(), config.clock.clone());
            sessions.spawn_sweepers();
            Ok((Store::Memory(memory), HubSessions::Memory(sessions)))
        }
        StoreConfig::Redis { url } => {
            // Each instance has its own namespace: both may share one Redis.
            let namespace = config.instance.store_namespace();
            let redis = RedisStore::connect(url.expose(), namespace).await?;
            let sessions = RedisSessions::new(redis.clone(), config.session_limits());
            Ok((Store::Redis(redis), HubSessions::Redis(sessions)))
        }
    }
}

impl Application {
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartupError> {
        let port = listener.local_addr()?.port();
        let instance = config.instance;
        config.registry.check_for(instance)?;
        let keys = match &config.keys_dir {
            Some(dir) => KeySet::load_or_generate(dir, "hub"),
            None => KeySet::generate("hub"),
        }
        .map_err(|e| StartupError::Keys(e.to_string()))?;
        let back_channel = BackChannel::new(
            Duration::from_secs(config.idp_timeout_secs),
            config.rewrites.clone(),
        )?;
        let templates = web::Data::new(routes::templates(instance)?);
        let (store, sessions) = stores(&config).await?;
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
        let platform = web::Data::new(Platform::new(
            settings,
            config.registry.clone(),
            store,
            keys,
            back_channel,
            config.clock.clone(),
        ));
        let health = crate::health::PeerHealth::default();
        health.spawn(std::sync::Arc::downgrade(&platform.clone().into_inner()));
        let peer_health = health.clone();
        let health = web::Data::new(health);
        let session_key = actix_web::cookie::Key::generate();
        let (secure, idle) = (config.cookie_secure, config.session_idle_secs);
        let (app_platform, app_sessions) = (platform.clone(), sessions.clone());
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
                .wrap(actix_web::middleware::from_fn(
                    fc_plumbing::request_log::log,
                ))
                .configure(|cfg| routes::configure(cfg, instance))
        })
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

/// actix's own form errors become the hub's HTML page, never actix's plain-text 400.
fn extractor_errors() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| Error::page(ErrorCode::Y030007, format!("form: {e}")).into())
}
