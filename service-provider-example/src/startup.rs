//! Wiring: the application state, the routes and the HTTP server (SPEC §7, §8).
//!
//! Everything expensive (templates, the back-channel client, the session key) is built once here
//! and injected with `web::Data`. Nothing talks to the hub at startup: discovery happens on the
//! first login, so the SP starts even when the hub is not up yet.

use std::future::Future;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::cookie::Key;
use actix_web::dev::{Server, ServerHandle, Service, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use fc_plumbing::{BackChannel, MemorySessionStore, UrlRewrite};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl};

use crate::config::Config;
use crate::error::SpError;
use crate::hub::Hub;
use crate::journal::JournalStore;
use crate::pages::Pages;
use crate::{callback, data, home, identity, journal, login, logout, options, pages};

/// Name of the SP's session cookie (each program of the demo has its own: cookies ignore ports).
pub const SESSION_COOKIE: &str = "sp_session";
/// Sessions idle for longer than this are forgotten (and their journals with them).
const SESSION_IDLE_SECS: i64 = 30 * 60;
/// Back-channel calls give up after this long, so a slow peer cannot hold a page forever.
const BACK_CHANNEL_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler can reach.
pub struct AppState {
    pub config: Config,
    pub hub: Hub,
    pub back_channel: BackChannel,
    pub pages: Pages,
    /// Every session's journal of exchanges (the session only holds the journal id).
    pub journals: JournalStore,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("templates: {0}")]
    Templates(#[from] tera::Error),
    #[error("back-channel client: {0}")]
    BackChannel(#[from] fc_plumbing::BackChannelError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(config: Config, listener: TcpListener) -> Result<Application, StartupError> {
        let port = listener.local_addr()?.port();
        let state = web::Data::new(app_state(config)?);
        // At most `max_sessions` sessions are kept (the oldest are evicted): sized for every
        // browser in flight, or journeys would lose their state between authorize and callback.
        let store = {
            let store = MemorySessionStore::new(
                fc_plumbing::SessionLimits::with_caps(state.config.max_sessions, 64),
                fc_plumbing::Clock::system(),
            );
            store.spawn_sweepers();
            store
        };
        // One key for every worker: a key generated inside the factory would differ per worker.
        let key = Key::generate();
        let secure = state.config.cookie_secure;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(fc_plumbing::session::middleware(
                    store.clone(),
                    key.clone(),
                    SESSION_COOKIE,
                    secure,
                    SESSION_IDLE_SECS,
                ))
                .wrap(fc_plumbing::web::security_headers())
                .wrap_fn(log_request)
                .app_data(state.clone())
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|e, _| SpError::BadRequest(e.to_string()).into()),
                )
                .configure(routes)
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
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

/// The routes, one group per step of the flow.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home_get))
        .route("/login", web::get().to(login::login_get))
        .route("/data/login", web::get().to(login::data_login_get))
        .route("/options", web::get().to(options::options_get))
        .route(
            "/options/preview",
            web::get().to(options::options_preview_get),
        )
        .route("/options/go", web::get().to(login::options_go_get))
        .route("/oidc-callback", web::get().to(callback::oidc_callback_get))
        .route("/me", web::get().to(identity::me_get))
        .route("/me/userinfo", web::post().to(identity::me_userinfo_post))
        .route("/data", web::get().to(data::data_get))
        .route("/logout", web::get().to(logout::logout_get))
        .route(
            "/logout-callback",
            web::get().to(logout::logout_callback_get),
        )
        .route("/journal", web::get().to(journal::journal_get))
        .route("/journal.json", web::get().to(journal::journal_json_get))
        .route(
            "/static/demo.css",
            web::get().to(fc_plumbing::assets::css_get),
        )
        .route("/static/sp.css", web::get().to(pages::sp_css_get))
        .route("/static/sp.js", web::get().to(pages::sp_js_get));
}

/// One log line per request: method, path, status, duration. Never the query string: it carries
/// authorization codes, states and, at logout, a whole ID token.
fn log_request<S>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse, actix_web::Error>> + use<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = actix_web::Error>,
{
    let method = request.method().to_string();
    let path = request.path().to_owned();
    let started = Instant::now();
    let response = service.call(request);
    async move {
        let response = response.await?;
        let status = response.status().as_u16();
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(method, path, status, ms, "request");
        Ok(response)
    }
}

fn app_state(config: Config) -> Result<AppState, StartupError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| StartupError::Config(format!("{what}: {e}"));
    let issuer = IssuerUrl::new(config.issuer()).map_err(|e| bad("hub_url", &e))?;
    let redirect_uri =
        RedirectUrl::new(config.redirect_uri()).map_err(|e| bad("public_url", &e))?;
    url::Url::parse(&config.dp_url).map_err(|e| bad("dp_url", &e))?;

    let mut rewrites = Vec::new();
    if let Some(internal) = &config.hub_internal_url {
        rewrites.push(UrlRewrite::new(config.hub_url.clone(), internal.clone()));
    }
    if let Some(internal) = &config.dp_internal_url {
        rewrites.push(UrlRewrite::new(config.dp_url.clone(), internal.clone()));
    }
    let back_channel = BackChannel::new(BACK_CHANNEL_TIMEOUT, rewrites)?;

    let hub = Hub::new(
        issuer,
        config.hub_url.clone(),
        ClientId::new(config.client_id.clone()),
        ClientSecret::new(config.client_secret.clone()),
        redirect_uri,
        back_channel.clone(),
    );
    let journals = JournalStore::new(
        config.max_journals,
        Duration::from_secs(SESSION_IDLE_SECS.unsigned_abs()),
    );
    Ok(AppState {
        config,
        hub,
        back_channel,
        pages: Pages::new()?,
        journals,
    })
}
