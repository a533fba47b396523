//! Building and running the data provider's HTTP server (the shape shared by the four programs).

use std::net::TcpListener;
use std::time::Instant;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::{App, HttpServer, web};
use fc_plumbing::{BackChannel, BackChannelError, UrlRewrite};

use crate::config::Config;
use crate::exchanges::Journal;
use crate::hub::{self, HubClient};
use crate::records::{Records, RecordsError};
use crate::routes::{self, AppState};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("records: {0}")]
    Records(#[from] RecordsError),
    #[error("back-channel client: {0}")]
    BackChannel(#[from] BackChannelError),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// The running data provider.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Loads the records, prepares the hub client and starts serving on `listener`.
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartupError> {
        let records = Records::load(&config.records)?;
        tracing::info!(path = %config.records.display(), count = records.len(), "records loaded");

        let rewrites = config
            .hub_internal_url
            .iter()
            .map(|internal| UrlRewrite::new(config.hub_url.as_str(), internal.as_str()))
            .collect();
        let back_channel = BackChannel::new(hub::timeout(config.hub_timeout_secs), rewrites)?;
        let hub = HubClient::new(
            back_channel,
            &config.hub_url,
            &config.client_id,
            &config.client_secret,
            config.checktoken_version,
            config.checktoken_alg,
        );
        let state = web::Data::new(AppState {
            records,
            hub,
            journal: Journal::default(),
            public_url: config.public_url.clone(),
        });

        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(fc_plumbing::web::security_headers())
                .wrap(routes::cors_headers())
                .wrap_fn(|req, srv| {
                    let method = req.method().clone();
                    let path = req.path().to_owned();
                    let started = Instant::now();
                    let response = srv.call(req);
                    async move {
                        let response = response.await?;
                        tracing::info!(
                            %method,
                            %path,
                            status = response.status().as_u16(),
                            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                            "request"
                        );
                        Ok(response)
                    }
                })
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
