//! Configuration of the example service provider (SPEC §2, §7, §8).
//!
//! Every value comes from a `--flag` or an `FC_SP_*` environment variable, with defaults that work
//! for `cargo run` on localhost. The client credentials default to the first service provider of
//! `fixtures/hub/service-providers.toml`, so the SP and the hub agree out of the box.
//!
//! Public URLs are what the browser sees and what FranceConnect compares (issuer, redirect URIs);
//! the optional internal URLs are only used for server-to-server calls (docker-compose).

use std::net::SocketAddr;

/// Scopes of the "S'identifier avec FranceConnect" button: the identité pivot plus e-mail and
/// usage name.
pub const DEFAULT_SCOPES: &str = "openid given_name family_name birthdate gender birthplace birthcountry email preferred_username";

/// Scopes of the "Récupérer mes données" button: the identité pivot plus the data provider's scopes
/// (they release no claim, they authorise the call to the data provider).
pub const DEFAULT_DATA_SCOPES: &str = "openid given_name family_name birthdate gender birthplace birthcountry \
     dgfip_rfr dgfip_nbpart dgfip_sitfam dgfip_pac dgfip_aft cnam_paiements_ij";

/// The demo SP registered in `fixtures/hub/service-providers.toml`.
pub const DEFAULT_CLIENT_ID: &str =
    "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950";
pub const DEFAULT_CLIENT_SECRET: &str =
    "a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5";

#[derive(Clone, clap::Parser)]
#[command(
    name = "service-provider-example",
    about = "Example FranceConnect service provider (fournisseur de service)"
)]
pub struct Config {
    /// Public URL of this SP (the browser's view; redirect URIs are built from it).
    #[arg(
        long,
        env = "FC_SP_PUBLIC_URL",
        default_value = "http://localhost:3000"
    )]
    pub public_url: String,

    /// Address to listen on.
    #[arg(long, env = "FC_SP_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Public URL of the FranceConnect hub; the issuer is `{hub_url}/api/v2`.
    #[arg(long, env = "FC_SP_HUB_URL", default_value = "http://localhost:8000")]
    pub hub_url: String,

    /// URL this SP uses to reach the hub server-to-server, when it differs from the public one.
    #[arg(long, env = "FC_SP_HUB_INTERNAL_URL")]
    pub hub_internal_url: Option<String>,

    /// Public URL of the data provider.
    #[arg(long, env = "FC_SP_DP_URL", default_value = "http://localhost:8002")]
    pub dp_url: String,

    /// URL this SP uses to reach the data provider, when it differs from the public one.
    #[arg(long, env = "FC_SP_DP_INTERNAL_URL")]
    pub dp_internal_url: Option<String>,

    /// client_id registered at the hub.
    #[arg(long, env = "FC_SP_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,

    /// client_secret registered at the hub.
    #[arg(long, env = "FC_SP_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET, hide_default_value = true)]
    pub client_secret: String,

    /// eIDAS level asked for (`eidas1`, `eidas2`, `eidas3`).
    #[arg(long, env = "FC_SP_ACR_VALUES", default_value = "eidas1")]
    pub acr_values: String,

    /// Scopes of the identity login (space separated).
    #[arg(long, env = "FC_SP_SCOPES", default_value = DEFAULT_SCOPES)]
    pub scopes: String,

    /// Scopes of the data login (space separated).
    #[arg(long, env = "FC_SP_DATA_SCOPES", default_value = DEFAULT_DATA_SCOPES)]
    pub data_scopes: String,

    /// Mark the session cookie `Secure` (set it when the public URL is https).
    #[arg(long, env = "FC_SP_COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,

    /// Log as JSON lines.
    #[arg(long, env = "FC_SP_JSON_LOGS", default_value_t = false)]
    pub json_logs: bool,

    /// At most this many sessions are kept in memory (the least recently used is evicted): size
    /// it above the number of browsers in the middle of a login at once.
    #[arg(long, env = "FC_SP_MAX_SESSIONS", default_value_t = DEFAULT_MAX_SESSIONS)]
    pub max_sessions: usize,

    /// At most this many journals of exchanges are kept in memory (the least recently used is
    /// dropped); each holds up to 100 exchanges with their bodies, so tens of kilobytes.
    #[arg(long, env = "FC_SP_MAX_JOURNALS", default_value_t = DEFAULT_MAX_JOURNALS)]
    pub max_journals: usize,
}

/// Default of `max_sessions`: a session without journal is a few kilobytes at most.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;
/// Default of `max_journals`: bounds the journals' memory to a few hundred megabytes at worst.
pub const DEFAULT_MAX_JOURNALS: usize = 10_000;

impl Default for Config {
    fn default() -> Self {
        Self::local()
    }
}

impl std::fmt::Debug for Config {
    // Hand-written so the client secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("public_url", &self.public_url)
            .field("listen", &self.listen)
            .field("hub_url", &self.hub_url)
            .field("hub_internal_url", &self.hub_internal_url)
            .field("dp_url", &self.dp_url)
            .field("dp_internal_url", &self.dp_internal_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"********")
            .field("acr_values", &self.acr_values)
            .field("scopes", &self.scopes)
            .field("data_scopes", &self.data_scopes)
            .field("cookie_secure", &self.cookie_secure)
            .field("json_logs", &self.json_logs)
            .field("max_sessions", &self.max_sessions)
            .field("max_journals", &self.max_journals)
            .finish()
    }
}

impl Config {
    /// The localhost defaults, without reading argv or the environment.
    pub fn local() -> Self {
        Self {
            public_url: "http://localhost:3000".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            hub_url: "http://localhost:8000".into(),
            hub_internal_url: None,
            dp_url: "http://localhost:8002".into(),
            dp_internal_url: None,
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            acr_values: "eidas1".into(),
            scopes: DEFAULT_SCOPES.into(),
            data_scopes: DEFAULT_DATA_SCOPES.into(),
            cookie_secure: false,
            json_logs: false,
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_journals: DEFAULT_MAX_JOURNALS,
        }
    }

    /// The hub's issuer, compared byte for byte with the `iss` of every token.
    pub fn issuer(&self) -> String {
        format!("{}/api/v2", self.hub_url.trim_end_matches('/'))
    }

    /// Where the hub sends the browser back after a login (registered at the hub).
    pub fn redirect_uri(&self) -> String {
        format!("{}/oidc-callback", self.public_url.trim_end_matches('/'))
    }

    /// Where the hub sends the browser back after a logout (registered at the hub).
    pub fn post_logout_redirect_uri(&self) -> String {
        format!("{}/logout-callback", self.public_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn parsed_defaults_match_local() {
        let parsed = Config::try_parse_from(["service-provider-example"]).unwrap();
        let local = Config::local();
        assert_eq!(parsed.public_url, local.public_url);
        assert_eq!(parsed.listen, local.listen);
        assert_eq!(parsed.client_id, local.client_id);
        assert_eq!(parsed.scopes, local.scopes);
        assert_eq!(parsed.data_scopes, local.data_scopes);
        assert_eq!(parsed.max_sessions, 100_000);
        assert_eq!(local.max_sessions, 100_000);
        assert_eq!(parsed.max_journals, local.max_journals);
        assert_eq!(local.issuer(), "http://localhost:8000/api/v2");
        assert_eq!(local.redirect_uri(), "http://localhost:3000/oidc-callback");
        assert_eq!(
            local.post_logout_redirect_uri(),
            "http://localhost:3000/logout-callback"
        );
    }

    #[test]
    fn capacities_can_be_set_by_flag() {
        let parsed = Config::try_parse_from([
            "service-provider-example",
            "--max-sessions",
            "7",
            "--max-journals",
            "3",
        ])
        .unwrap();
        assert_eq!((parsed.max_sessions, parsed.max_journals), (7, 3));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let shown = format!("{:?}", Config::local());
        assert!(!shown.contains(DEFAULT_CLIENT_SECRET));
    }
}
