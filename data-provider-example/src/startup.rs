//! Building and running the data provider's HTTP server (the shape shared by the four programs):
//! records, hub client, journal and health cache are set up here; a bad records file or
//! configuration is a startup error, never a panic.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use fc_plumbing::{BackChannel, BackChannelError, UrlRewrite};

use crate::config::Config;
use crate::exchanges::Journal;
use crate::health::HubHealth;
use crate::hub::{self, HubClient, HubSettings};
use crate::records::{Records, RecordsError};
use crate::routes::{self, AppState};
use crate::store::RecordStore;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("records: {0}")]
    Records(#[from] RecordsError),
    #[error("back-channel client: {0}")]
    BackChannel(#[from] BackChannelError),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// The running data provider.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Loads the records, prepares the hub client and starts serving on `listener`.
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartupError> {
        let records = Records::load_all(&config.records)?;
        tracing::info!(files = ?config.records, count = records.len(), "records loaded");

        let rewrites = config
            .hub_internal_url
            .iter()
            .map(|internal| UrlRewrite::new(config.hub_url.as_str(), internal.as_str()))
            .collect();
        let back_channel = BackChannel::new(hub::timeout(config.hub_timeout_secs), rewrites)?;
        let pinned = config.checktoken_encryption_alg.key_alg();
        let own_keys = crate::jwks::own_keys(config.keys_dir.as_deref(), pinned)
            .map_err(StartupError::Config)?;
        let settings = HubSettings {
            hub_url: &config.hub_url,
            client_id: &config.client_id,
            client_secret: config.client_secret.clone(),
            version: config.checktoken_version,
            alg: config.checktoken_alg,
            encryption: pinned.map(|alg| (alg, config.checktoken_encryption_enc)),
            own_keys,
        };
        let hub = HubClient::new(back_channel.clone(), settings, config.clock.clone())
            .map_err(StartupError::Config)?;
        let health = Arc::new(HubHealth::new(
            back_channel,
            &config.hub_url,
            Duration::from_secs(config.health_ttl_secs),
            config.clock.clone(),
        ));
        health.look_in_background();
        let journal = Journal::new(config.journal_ids, config.journal_megabytes, &config.clock);
        journal.spawn_sweepers();
        let state = web::Data::new(AppState {
            records: RecordStore::new(records),
            hub,
            journal,
            health,
            public_url: config.public_url.clone(),
            admin_token: config.admin_token.filter(|t| !t.is_empty()),
        });

        let port = listener.local_addr()?.port();
        let data = state.clone();
        let server_settings = config.server.settings();
        tracing::info!(server = %server_settings, "HTTP server");
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(fc_plumbing::web::security_headers())
                .wrap(routes::cors_headers())
                .wrap(actix_web::middleware::from_fn(
                    fc_plumbing::request_log::log,
                ))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        });
        let server = server_settings
            .apply(server, &listener)?
            .listen(listener)?
            .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// What the handlers share (records, journal, hub health…), for tests and benchmarks.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
