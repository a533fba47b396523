//! Configuration of the example IdP: flags and `FC_IDP_*` environment variables, with defaults
//! for `cargo run` on localhost. The IdP knows exactly one client, the hub; its registration is
//! configuration, with the values FranceConnect's own example IdP used. Secrets (the hub's client
//! secret, the admin token) are [`Secret`]s: printing the configuration never shows them.

use std::path::PathBuf;

use fc_plumbing::{Clock, Jwa, Secret};

pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8001";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8001";
pub const DEFAULT_CLIENT_ID: &str = "myclientidforfip1-low";
pub const DEFAULT_CLIENT_SECRET: &str = "7ae4fef2aab63fb78d777fe657b7536f";
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:8000/api/v2/oidc-callback";
pub const DEFAULT_POST_LOGOUT_REDIRECT_URI: &str =
    "http://localhost:8000/api/v2/client/logout-callback";

pub const DEFAULT_RELOAD_INTERVAL_MS: u64 = 1000;
pub const DEFAULT_SLOW_SECS: u64 = 15;
/// Default bound of the session store: ten times the 10 000 concurrent journeys the demo aims at
/// (abandoned sessions stay until their 30 min idle expiry). An IdP session holds one short id.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;
/// Default bound of each short-lived store (codes, access tokens, used login forms). Access
/// tokens stay 60 s: at 500 journeys/s that is 30 000 live ones. Past the bound the oldest entry
/// is dropped (its journey then fails). Only a checked password or an authenticated hub adds an
/// entry: anonymous requests store nothing (see `crate::login_form`).
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;
/// Default byte budget of the session store (both tiers).
pub const DEFAULT_SESSION_MEGABYTES: usize = 64;
/// Default byte budget of each short-lived store (an access token with its person weighs about
/// 1 KB: 32 MB holds the 30 000 live tokens above).
pub const DEFAULT_STORE_MEGABYTES: usize = 32;

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "identity-provider-example",
    about = "Example OpenID Connect identity provider of the FranceConnect demo (users from CSV files)"
)]
pub struct Config {
    /// Public URL of the IdP, as browsers reach it; the issuer is exactly this string.
    #[arg(long, env = "FC_IDP_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
    pub public_url: String,
    /// Address to listen on (used by the binary only).
    #[arg(long, env = "FC_IDP_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: String,
    /// Folder whose `*.csv` files hold the test people.
    #[arg(long, env = "FC_IDP_USERS_DIR", default_value_os_t = fc_plumbing::fixture_path("idp/users"))]
    pub users_dir: PathBuf,
    /// More folders of `*.csv` people, comma separated, read after `users_dir` (e.g. a copy of
    /// FranceConnect's `data/` folder); on a duplicate login the first one read wins.
    #[arg(long, env = "FC_IDP_EXTRA_USERS_DIRS", value_delimiter = ',')]
    pub extra_users_dirs: Vec<PathBuf>,
    /// How often the users folders are checked for changes, in milliseconds (0: never, the
    /// people are then read once at startup).
    #[arg(long, env = "FC_IDP_RELOAD_INTERVAL_MS", default_value_t = DEFAULT_RELOAD_INTERVAL_MS)]
    pub reload_interval_ms: u64,
    /// Delay of the "slow" failure scenarios (`erreur_token_lent`, `erreur_userinfo_lent`), in
    /// seconds; the hub gives up after 10 s.
    #[arg(long, env = "FC_IDP_SLOW_SECS", default_value_t = DEFAULT_SLOW_SECS)]
    pub slow_secs: u64,
    /// Most browser sessions kept at once; past it the oldest one is dropped.
    #[arg(long, env = "FC_IDP_MAX_SESSIONS", default_value_t = DEFAULT_MAX_SESSIONS)]
    pub max_sessions: usize,
    /// Byte budget of the session store, in megabytes.
    #[arg(long, env = "FC_IDP_SESSION_MEGABYTES", default_value_t = DEFAULT_SESSION_MEGABYTES)]
    pub session_megabytes: usize,
    /// Most entries of each short-lived store (authorization codes, access tokens, used login
    /// forms); past it the oldest one is dropped.
    #[arg(long, env = "FC_IDP_MAX_ENTRIES", default_value_t = DEFAULT_MAX_ENTRIES)]
    pub max_entries: usize,
    /// Byte budget of each short-lived store, in megabytes.
    #[arg(long, env = "FC_IDP_STORE_MEGABYTES", default_value_t = DEFAULT_STORE_MEGABYTES)]
    pub store_megabytes: usize,
    /// client_id of the only client, the hub.
    #[arg(long, env = "FC_IDP_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// client_secret of the hub (also the HS256 key of its ID tokens).
    #[arg(long, env = "FC_IDP_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET, hide_default_value = true, hide_env_values = true)]
    pub client_secret: Secret,
    /// Bearer token of the admin API (`/admin/api/…`); without it the admin API does not exist.
    #[arg(long, env = "FC_IDP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// Registered redirect URIs of the hub, comma separated (compared byte for byte).
    #[arg(long, env = "FC_IDP_REDIRECT_URIS", value_delimiter = ',', default_value = DEFAULT_REDIRECT_URI)]
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs of the hub, comma separated.
    #[arg(long, env = "FC_IDP_POST_LOGOUT_REDIRECT_URIS", value_delimiter = ',', default_value = DEFAULT_POST_LOGOUT_REDIRECT_URI)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Algorithm of the ID tokens: HS256 (keyed by the client secret), RS256 or ES256.
    #[arg(
        long,
        env = "FC_IDP_ID_TOKEN_SIGNED_RESPONSE_ALG",
        default_value = "HS256"
    )]
    pub id_token_signed_response_alg: Jwa,
    /// Mark the session cookie `Secure` (needed when served over https).
    #[arg(long, env = "FC_IDP_COOKIE_SECURE")]
    pub cookie_secure: bool,
    /// Log as JSON lines.
    #[arg(long, env = "FC_IDP_JSON_LOGS")]
    pub json_logs: bool,
    /// Backlog, workers, request and keep-alive timeouts of the HTTP server.
    #[command(flatten)]
    pub server: ServerFlags,
    /// The clock of every expiry (forms, codes, tokens, sessions); tests move a manual one.
    #[arg(skip)]
    pub clock: Clock,
}

fc_plumbing::server_flags!("FC_IDP_");

impl Config {
    /// The localhost defaults, without reading argv or the environment.
    pub fn local() -> Self {
        Self {
            public_url: DEFAULT_PUBLIC_URL.into(),
            listen: DEFAULT_LISTEN.into(),
            users_dir: fc_plumbing::fixture_path("idp/users"),
            extra_users_dirs: Vec::new(),
            reload_interval_ms: DEFAULT_RELOAD_INTERVAL_MS,
            slow_secs: DEFAULT_SLOW_SECS,
            max_sessions: DEFAULT_MAX_SESSIONS,
            session_megabytes: DEFAULT_SESSION_MEGABYTES,
            max_entries: DEFAULT_MAX_ENTRIES,
            store_megabytes: DEFAULT_STORE_MEGABYTES,
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            admin_token: None,
            redirect_uris: vec![DEFAULT_REDIRECT_URI.into()],
            post_logout_redirect_uris: vec![DEFAULT_POST_LOGOUT_REDIRECT_URI.into()],
            id_token_signed_response_alg: Jwa::HS256,
            cookie_secure: false,
            json_logs: false,
            server: ServerFlags::default(),
            clock: Clock::system(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_override_the_defaults_and_lists_are_comma_separated() {
        let config = Config::try_parse_from([
            "idp",
            "--public-url",
            "http://idp.example:9000",
            "--redirect-uris",
            "http://a/cb,http://b/cb",
            "--id-token-signed-response-alg",
            "ES256",
            "--cookie-secure",
            "--extra-users-dirs",
            "a,b",
            "--slow-secs",
            "2",
            "--max-sessions",
            "7",
            "--max-entries",
            "9",
        ])
        .unwrap();
        assert_eq!(config.public_url, "http://idp.example:9000");
        assert_eq!(config.redirect_uris, ["http://a/cb", "http://b/cb"]);
        assert_eq!(config.id_token_signed_response_alg, Jwa::ES256);
        assert!(config.cookie_secure);
        assert_eq!(config.client_id, DEFAULT_CLIENT_ID);
        assert_eq!(
            config.extra_users_dirs,
            [PathBuf::from("a"), PathBuf::from("b")]
        );
        assert_eq!(config.slow_secs, 2);
        assert_eq!((config.max_sessions, config.max_entries), (7, 9));
        assert_eq!(config.reload_interval_ms, DEFAULT_RELOAD_INTERVAL_MS);
    }

    #[test]
    fn the_stores_are_sized_for_ten_thousand_concurrent_journeys_by_default() {
        let config = Config::try_parse_from(["idp"]).unwrap();
        assert_eq!(config.max_sessions, 100_000);
        assert_eq!(config.max_entries, 100_000);
        assert_eq!(config.max_sessions, Config::local().max_sessions);
        assert_eq!(config.max_entries, Config::local().max_entries);
    }

    #[test]
    fn debug_output_masks_the_secrets() {
        let mut config = Config::local();
        config.admin_token = Some(Secret::new("admin-token-value"));
        let debug = format!("{config:?}");
        assert!(!debug.contains(DEFAULT_CLIENT_SECRET), "{debug}");
        assert!(!debug.contains("admin-token-value"), "{debug}");
    }

    #[test]
    fn the_admin_token_comes_from_a_flag() {
        let config = Config::try_parse_from(["idp", "--admin-token", "t0k3n"]).unwrap();
        assert!(config.admin_token.unwrap().matches("t0k3n"));
        assert!(
            Config::try_parse_from(["idp"])
                .unwrap()
                .admin_token
                .is_none()
        );
    }
}
