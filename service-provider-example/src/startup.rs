//! Wiring: the application state, the routes and the HTTP server.
//!
//! Everything expensive (templates, the back-channel client, the keys of the cookies) is built
//! once here and injected with `web::Data`. Nothing talks to the hub at startup: discovery happens
//! on the first login, so the SP starts even when the hub is not up yet. Time comes from an
//! injected [`Clock`] (tests move it by hand).
//!
//! Middlewares, from the outside in: the request log, the security headers, the session, the
//! French error pages, the journal (inside the session, which saves what it writes).

use std::net::TcpListener;
use std::time::Duration;

use actix_web::cookie::Key;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use fc_plumbing::jwe::DecryptionKeys;
use fc_plumbing::{BackChannel, Clock, MemorySessionStore, SessionLimits, UrlRewrite};

use crate::config::Config;
use crate::error::{SpError, french_error_pages};
use crate::health::PeerHealth;
use crate::hub::Hubs;
use crate::journal::{JournalLimits, JournalStore};
use crate::pages::Pages;
use crate::pending::PendingLogins;
use crate::{
    bench, callback, data, health, home, identity, journal, keys, login, logout, options, pages,
};

/// Name of the SP's session cookie (each program of the demo has its own: cookies ignore ports).
pub const SESSION_COOKIE: &str = "sp_session";
/// Sessions idle for longer than this are forgotten (and their journals with them).
const SESSION_IDLE_SECS: i64 = 30 * 60;

/// What every handler can reach.
pub struct AppState {
    pub config: Config,
    pub clock: Clock,
    /// FranceConnect and FranceConnect+, with our registration at each.
    pub hubs: Hubs,
    /// This SP's encryption keys (FranceConnect+ encrypts to their public half).
    pub own_keys: DecryptionKeys,
    pub back_channel: BackChannel,
    pub pages: Pages,
    /// Every session's journal of exchanges (the session only holds the journal id).
    pub journals: JournalStore,
    /// The logins in progress, in their encrypted cookies.
    pub pending: PendingLogins,
    pub health: PeerHealth,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("templates: {0}")]
    Templates(String),
    #[error("back-channel client: {0}")]
    BackChannel(#[from] fc_plumbing::BackChannelError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// Memory held by the stores, against their budgets (bytes as the entries weigh themselves).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// Sessions held: (fresh, active).
    pub sessions: (usize, usize),
    pub session_bytes: usize,
    pub session_budget: usize,
    /// Journals held: (fresh, established).
    pub journals: (usize, usize),
    pub journal_bytes: usize,
    pub journal_budget: usize,
}

pub struct Application {
    port: u16,
    server: Server,
    stores: Stores,
}

/// The program's in-memory stores, to measure them (tests, benchmarks); cheap to clone.
#[derive(Clone)]
pub struct Stores {
    state: web::Data<AppState>,
    sessions: MemorySessionStore,
}

impl Application {
    pub async fn build(config: Config, listener: TcpListener) -> Result<Application, StartupError> {
        Self::build_with_clock(config, listener, Clock::system()).await
    }

    /// [`Application::build`] with a given clock (tests use `Clock::manual()`).
    pub async fn build_with_clock(
        config: Config,
        listener: TcpListener,
        clock: Clock,
    ) -> Result<Application, StartupError> {
        let port = listener.local_addr()?.port();
        let state = web::Data::new(app_state(config, clock.clone())?);
        state.journals.spawn_sweepers();
        let sessions = MemorySessionStore::new(
            SessionLimits::with_caps(state.config.max_sessions, state.config.session_megabytes),
            clock,
        );
        sessions.spawn_sweepers();
        // One key for every worker: a key generated inside the factory would differ per worker.
        let key = Key::generate();
        let (app_data, store) = (state.clone(), sessions.clone());
        let server_settings = state.config.server.settings();
        tracing::info!(server = %server_settings, "HTTP server");
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(journal::record))
                .wrap(from_fn(french_error_pages))
                .wrap(fc_plumbing::session::middleware(
                    store.clone(),
                    key.clone(),
                    SESSION_COOKIE,
                    app_data.config.cookie_secure,
                    SESSION_IDLE_SECS,
                ))
                .wrap(fc_plumbing::web::security_headers())
                .wrap(from_fn(fc_plumbing::request_log::log))
                .app_data(app_data.clone())
                .app_data(web::QueryConfig::default().error_handler(|_, _| {
                    SpError::BadRequest("paramètres de l'adresse illisibles".into()).into()
                }))
                .configure(routes)
        });
        let server = server_settings
            .apply(server, &listener)?
            .listen(listener)?
            .run();
        Ok(Application {
            port,
            server,
            stores: Stores { state, sessions },
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn stores(&self) -> Stores {
        self.stores.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

impl Stores {
    /// What the session and journal stores hold now.
    pub fn memory(&self) -> Memory {
        let limits = self.sessions.limits();
        Memory {
            sessions: self.sessions.counts(),
            session_bytes: self.sessions.bytes(),
            session_budget: limits.fresh.max_bytes + limits.active.max_bytes,
            journals: self.state.journals.counts(),
            journal_bytes: self.state.journals.bytes(),
            journal_budget: self.state.journals.limits().max_bytes(),
        }
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
        .route("/tester", web::get().to(bench::bench_get))
        .route("/.well-known/jwks.json", web::get().to(keys::jwks_get))
        .route("/health", web::get().to(health::health_get))
        .route(
            "/static/demo.css",
            web::get().to(fc_plumbing::assets::css_get),
        )
        .route("/static/sp.css", web::get().to(pages::sp_css_get))
        .route("/static/sp.js", web::get().to(pages::sp_js_get))
        .route("/static/favicon.svg", web::get().to(pages::favicon_get))
        .route("/favicon.ico", web::get().to(pages::favicon_get));
}

fn app_state(config: Config, clock: Clock) -> Result<AppState, StartupError> {
    url::Url::parse(&config.dp_url).map_err(|e| StartupError::Config(format!("dp_url: {e}")))?;
    let mut rewrites = Vec::new();
    if let Some(internal) = &config.hub_internal_url {
        rewrites.push(UrlRewrite::new(config.hub_url.clone(), internal.clone()));
    }
    if let Some(internal) = &config.hub_plus_internal_url {
        rewrites.push(UrlRewrite::new(
            config.hub_plus_url.clone(),
            internal.clone(),
        ));
    }
    if let Some(internal) = &config.dp_internal_url {
        rewrites.push(UrlRewrite::new(config.dp_url.clone(), internal.clone()));
    }
    let idle = Duration::from_secs(SESSION_IDLE_SECS.unsigned_abs());
    let journals = JournalLimits::with_caps(config.max_journals, config.journal_megabytes, idle);
    let login_timeout = Duration::from_secs(config.login_timeout_secs.max(1));
    let back_channel = BackChannel::new(
        Duration::from_secs(config.back_channel_timeout_secs.max(1)),
        rewrites,
    )?;
    let own_keys = keys::own_keys(&config).map_err(StartupError::Config)?;
    Ok(AppState {
        hubs: Hubs::new(&config, &back_channel, &own_keys, &clock).map_err(StartupError::Config)?,
        own_keys,
        back_channel,
        pages: Pages::new().map_err(StartupError::Templates)?,
        journals: JournalStore::new(journals, clock.clone()),
        pending: PendingLogins::new(login_timeout, config.cookie_secure, clock.clone()),
        health: PeerHealth::new(&config, clock.clone()),
        config,
        clock,
    })
}
