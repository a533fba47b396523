//! Configuration of the example IdP: flags and `FC_IDP_*` environment variables (SPEC §8), with
//! defaults for `cargo run` on localhost. The IdP knows exactly one client, the hub (SPEC §5);
//! its registration is configuration, with the values FranceConnect's own example IdP used.

use std::path::PathBuf;

use fc_plumbing::Jwa;

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
/// Default bound of each short-lived store (pending logins, codes, access tokens). Access tokens
/// stay 60 s after use: at 500 journeys/s that is 30 000 live ones, and pending logins stay
/// 10 min when abandoned. Past the bound the oldest entry is dropped (its journey then fails).
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

#[derive(Clone, clap::Parser)]
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
    /// Most entries of each short-lived store (pending logins, authorization codes, access
    /// tokens); past it the oldest one is dropped.
    #[arg(long, env = "FC_IDP_MAX_ENTRIES", default_value_t = DEFAULT_MAX_ENTRIES)]
    pub max_entries: usize,
    /// client_id of the only client, the hub.
    #[arg(long, env = "FC_IDP_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// client_secret of the hub (also the HS256 key of its ID tokens).
    #[arg(long, env = "FC_IDP_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
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
}

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
            max_entries: DEFAULT_MAX_ENTRIES,
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            redirect_uris: vec![DEFAULT_REDIRECT_URI.into()],
            post_logout_redirect_uris: vec![DEFAULT_POST_LOGOUT_REDIRECT_URI.into()],
            id_token_signed_response_alg: Jwa::HS256,
            cookie_secure: false,
            json_logs: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::local()
    }
}

/// Written by hand so that printing the configuration never shows the client secret.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("public_url", &self.public_url)
            .field("listen", &self.listen)
            .field("users_dir", &self.users_dir)
            .field("extra_users_dirs", &self.extra_users_dirs)
            .field("reload_interval_ms", &self.reload_interval_ms)
            .field("slow_secs", &self.slow_secs)
            .field("max_sessions", &self.max_sessions)
            .field("max_entries", &self.max_entries)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_uris", &self.redirect_uris)
            .field("post_logout_redirect_uris", &self.post_logout_redirect_uris)
            .field(
                "id_token_signed_response_alg",
                &self.id_token_signed_response_alg,
            )
            .field("cookie_secure", &self.cookie_secure)
            .field("json_logs", &self.json_logs)
            .finish()
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
    fn debug_output_masks_the_secret() {
        let debug = format!("{:?}", Config::local());
        assert!(!debug.contains(DEFAULT_CLIENT_SECRET));
    }
}
