//! Builds the hub's HTTP server: everything expensive (keys, templates, registry, stores) is made
//! once here and shared with every worker.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use fc_plumbing::{BackChannel, KeySet, MemorySessionStore};

use crate::config::Config;
use crate::error::HubError;
use crate::provider::tokens::TokenStore;
use crate::routes;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create keys: {0}")]
    Keys(String),
    #[error("cannot load templates: {0}")]
    Templates(#[from] tera::Error),
    #[error("back-channel client: {0}")]
    BackChannel(#[from] fc_plumbing::BackChannelError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// State shared by every request.
pub struct HubState {
    pub config: Config,
    pub issuer: String,
    pub keys: KeySet,
    pub tokens: TokenStore,
    pub back_channel: BackChannel,
    pub templates: tera::Tera,
}

pub struct Application {
    port: u16,
    server: Server,
    sessions: MemorySessionStore,
}

impl Application {
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartupError> {
        let port = listener.local_addr()?.port();
        let keys = match &config.keys_dir {
            Some(dir) => KeySet::load_or_generate(dir, "hub"),
            None => KeySet::generate("hub"),
        }
        .map_err(|e| StartupError::Keys(e.to_string()))?;
        let back_channel = BackChannel::new(
            Duration::from_secs(config.idp_timeout_secs),
            config.rewrites.clone(),
        )?;
        let templates = routes::templates()?;
        let sessions = {
            let store = MemorySessionStore::new(
                fc_plumbing::SessionLimits::with_caps(config.max_sessions, 64),
                fc_plumbing::Clock::system(),
            );
            store.spawn_sweepers();
            store
        };
        let session_key = actix_web::cookie::Key::generate();
        let state = web::Data::new(HubState {
            issuer: config.issuer(),
            tokens: TokenStore::new(config.clock.clone()),
            config,
            keys,
            back_channel,
            templates,
        });
        let store = sessions.clone();
        let server =
            HttpServer::new(move || {
                let (secure, idle) = (state.config.cookie_secure, state.config.session_idle_secs);
                App::new()
                    .app_data(state.clone())
                    // actix's own extractor errors become the hub's: an HTML page for browsers,
                    // OAuth JSON for the v1 checktoken, never actix's plain-text 400.
                    .app_data(
                        web::FormConfig::default()
                            .limit(64 * 1024)
                            .error_handler(|e, _| {
                                HubError::page("Y030007", format!("form: {e}")).into()
                            }),
                    )
                    .app_data(web::QueryConfig::default().error_handler(|e, _| {
                        HubError::page("Y030007", format!("query: {e}")).into()
                    }))
                    .app_data(web::PayloadConfig::default().limit(64 * 1024))
                    .app_data(
                        web::JsonConfig::default()
                            .limit(16 * 1024)
                            .error_handler(|e, _| {
                                HubError::oauth(
                                    actix_web::http::StatusCode::BAD_REQUEST,
                                    "invalid_request",
                                    format!("JSON: {e}"),
                                )
                                .into()
                            }),
                    )
                    .wrap(fc_plumbing::session::middleware(
                        store.clone(),
                        session_key.clone(),
                        "fc_hub_session",
                        secure,
                        idle,
                    ))
                    .wrap(fc_plumbing::web::security_headers())
                    .wrap(
                        actix_web::middleware::Logger::new("%U %s %Dms")
                            .exclude("/static/demo.css")
                            .exclude("/health"),
                    )
                    .configure(routes::configure)
            })
            .listen(listener)?
            .run();
        Ok(Self {
            port,
            server,
            sessions,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The session store, so tests can check it stays bounded.
    pub fn sessions(&self) -> MemorySessionStore {
        self.sessions.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
