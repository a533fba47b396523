//! Builds the IdP server on a given listener (the shape every program of the demo shares):
//! users, keys and templates are loaded here; a bad users file or configuration is a startup
//! error, never a panic. The users folders are then watched for changes ([`crate::reload`]).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use fc_plumbing::{KeySet, MemorySessionStore, SessionLimits};
use serde::Serialize;

use crate::config::Config;
use crate::login_form::{FORM_TTL_SECS, FormSigner};
use crate::reload::{ReloadStatus, UserStore, watch_folders};
use crate::routes;
use crate::routes::LoginLists;
use crate::state::{AppState, RegisteredClient, templates};
use crate::store::{Stores, Usage};
use crate::users::UsersError;

/// Name of the IdP's session cookie (distinct from the other programs on localhost).
pub const SESSION_COOKIE: &str = "idp_session";
/// Idle lifetime of an IdP session.
const SESSION_IDLE_SECS: i64 = 30 * 60;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot load the users: {0}")]
    Users(#[from] UsersError),
    #[error("cannot create the signing keys: {0}")]
    Keys(#[from] fc_plumbing::jose::JoseError),
    #[error("invalid template: {0}")]
    Templates(#[from] tera::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub struct Application {
    port: u16,
    server: Server,
    reload_events: tokio::sync::watch::Receiver<ReloadStatus>,
    memory: Memory,
}

/// What the IdP's stores hold against their budgets, for tests and benchmarks.
#[derive(Clone)]
pub struct Memory {
    state: web::Data<AppState>,
    sessions: MemorySessionStore,
}

/// One reading of [`Memory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemoryReport {
    pub sessions: Usage,
    pub codes: Usage,
    pub access_tokens: Usage,
    pub used_forms: Usage,
}

impl Memory {
    pub fn report(&self) -> MemoryReport {
        let (codes, access_tokens, used_forms) = self.state.stores.usage();
        let limits = self.sessions.limits();
        let (fresh, active) = self.sessions.counts();
        MemoryReport {
            sessions: Usage {
                entries: fresh + active,
                bytes: self.sessions.bytes(),
                max_entries: limits.fresh.max_entries + limits.active.max_entries,
                max_bytes: limits.fresh.max_bytes + limits.active.max_bytes,
            },
            codes,
            access_tokens,
            used_forms,
        }
    }
}

/// The test people of every folder, watched for changes every `reload_interval_ms` when set.
fn load_people(config: &Config) -> Result<Arc<UserStore>, StartupError> {
    let mut dirs = vec![config.users_dir.clone()];
    dirs.extend(config.extra_users_dirs.iter().cloned());
    let users = Arc::new(UserStore::load(dirs)?);
    tracing::info!(
        users = users.current().len(),
        dir = %config.users_dir.display(),
        "test people loaded"
    );
    if config.reload_interval_ms > 0 {
        // Holds a weak reference: the task ends once the server (and its state) is gone.
        tokio::spawn(watch_folders(
            Arc::downgrade(&users),
            Duration::from_millis(config.reload_interval_ms),
        ));
    }
    Ok(users)
}

/// What every request shares: the registered client, the people, the keys, the stores.
fn app_state(config: &Config, users: Arc<UserStore>) -> Result<AppState, StartupError> {
    // Both keys exist whatever the algorithm, so the published JWKS is usable if the hub's
    // registration switches; the RSA key is generated in the background (startup does not
    // wait for it, nothing here reads it).
    let keys = KeySet::generate("identity-provider-example")?;
    let clock = config.clock.clone();
    let stores = Stores::new(
        config.max_entries,
        config.store_megabytes,
        Duration::from_secs(FORM_TTL_SECS.unsigned_abs()),
        &clock,
    );
    stores.spawn_sweepers();
    Ok(AppState {
        issuer: config.public_url.clone(),
        base_url: config.public_url.trim_end_matches('/').to_owned(),
        client: RegisteredClient {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            redirect_uris: config.redirect_uris.clone(),
            post_logout_redirect_uris: config.post_logout_redirect_uris.clone(),
            id_token_signed_response_alg: config.id_token_signed_response_alg,
        },
        users,
        slow: Duration::from_secs(config.slow_secs),
        keys,
        verification_keys: std::sync::OnceLock::new(),
        templates: templates()?,
        login_lists: LoginLists::default(),
        forms: FormSigner::generate(),
        stores,
        clock,
        admin_token: config.admin_token.clone().filter(|t| !t.is_empty()),
        cookie_secure: config.cookie_secure,
    })
}

impl Application {
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartupError> {
        check(&config)?;
        let users = load_people(&config)?;
        let reload_events = users.subscribe();
        let state = web::Data::new(app_state(&config, users)?);
        let clock = config.clock.clone();
        // One key and one store for every worker, or sessions would only work on one of them.
        let session_key = actix_web::cookie::Key::generate();
        let session_store = MemorySessionStore::new(
            SessionLimits::with_caps(config.max_sessions, config.session_megabytes),
            clock,
        );
        session_store.spawn_sweepers();
        let memory = Memory {
            state: state.clone(),
            sessions: session_store.clone(),
        };
        let cookie_secure = config.cookie_secure;

        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let server_settings = config.server.settings();
        tracing::info!(server = %server_settings, "HTTP server");
        let server = HttpServer::new(move || {
            App::new()
                .wrap(fc_plumbing::session::middleware(
                    session_store.clone(),
                    session_key.clone(),
                    SESSION_COOKIE,
                    cookie_secure,
                    SESSION_IDLE_SECS,
                ))
                .wrap(fc_plumbing::web::security_headers())
                .wrap(actix_web::middleware::from_fn(
                    fc_plumbing::request_log::log,
                ))
                .app_data(state.clone())
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
            reload_events,
            memory,
        })
    }

    /// A handle on the stores' usage, valid while the server runs.
    pub fn memory(&self) -> Memory {
        self.memory.clone()
    }

    /// Notified at each reload of the users folders, good or refused.
    pub fn reload_events(&self) -> tokio::sync::watch::Receiver<ReloadStatus> {
        self.reload_events.clone()
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

fn check(config: &Config) -> Result<(), StartupError> {
    let bad = |m: String| Err(StartupError::Config(m));
    match url::Url::parse(&config.public_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            return bad(format!(
                "public_url {:?} is not an http(s) URL",
                config.public_url
            ));
        }
    }
    if config.client_id.is_empty() || config.client_secret.is_empty() {
        return bad("client_id and client_secret must not be empty".into());
    }
    if config.redirect_uris.is_empty() {
        return bad("at least one redirect URI must be registered".into());
    }
    for uri in config
        .redirect_uris
        .iter()
        .chain(&config.post_logout_redirect_uris)
    {
        if url::Url::parse(uri).is_err() {
            return bad(format!("{uri:?} is not an absolute URL"));
        }
    }
    Ok(())
}
