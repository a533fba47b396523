//! Configuration of the example service provider.
//!
//! Every value comes from a `--flag` or an `FC_SP_*` environment variable, with defaults that work
//! for `cargo run` on localhost. The client credentials and the expected signing algorithms
//! default to the first service provider of `fixtures/hub/service-providers.toml`, so the SP and
//! the hub agree out of the box.
//!
//! Public URLs are what the browser sees and what FranceConnect compares (issuer, redirect URIs);
//! the optional internal URLs are only used for server-to-server calls (docker-compose).
//!
//! Memory is bounded in bytes, with defaults sized for a demo used by thousands of browsers at
//! once: see `docs/service-provider.md` ("Mémoire").

use std::net::SocketAddr;
use std::path::PathBuf;

use fc_plumbing::jwe::KeyAlg;
use fc_plumbing::{Jwa, Secret};

use crate::hub::{ApiVersion, Platform};

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

/// The demo SP registered at FranceConnect+ in `fixtures/hub-plus/service-providers.toml`
/// (registrations at FranceConnect+ are separate: another client id, another secret).
pub const DEFAULT_PLUS_CLIENT_ID: &str =
    "36efc7851ced955a0f632a26de121acc995bddef62548da58af2f2ab7c73e254";
pub const DEFAULT_PLUS_CLIENT_SECRET: &str =
    "072937ee25299b29be7397eb2d9c5358ead6f79e0f6fdebd8183826b2b4d2e47";
/// The one signing algorithm of FranceConnect+ (`docs/franceconnect-plus.md`).
pub const PLUS_SIGNING_ALG: Jwa = Jwa::ES256;

/// Whether FranceConnect+ encrypts a token for this SP, and with which key management
/// algorithm: the one of its registration (`id_token_encrypted_response_alg`,
/// `userinfo_encrypted_response_alg`), pinned here and never read from the token. The content
/// encryption is always A256GCM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenEncryption {
    /// Not encrypted: the token is the signed JWT itself.
    #[value(name = "none")]
    None,
    #[value(name = "ECDH-ES")]
    EcdhEs,
    #[value(name = "RSA-OAEP")]
    RsaOaep,
    #[value(name = "RSA-OAEP-256")]
    RsaOaep256,
}

impl TokenEncryption {
    /// The JWE `alg` tokens must carry, if they are encrypted.
    pub fn key_alg(self) -> Option<KeyAlg> {
        match self {
            TokenEncryption::None => None,
            TokenEncryption::EcdhEs => Some(KeyAlg::EcdhEs),
            TokenEncryption::RsaOaep => Some(KeyAlg::RsaOaep),
            TokenEncryption::RsaOaep256 => Some(KeyAlg::RsaOaep256),
        }
    }
}

/// One hub as this SP is registered there: where it is, who we are, what it signs and encrypts.
#[derive(Debug, Clone)]
pub struct HubSettings {
    pub platform: Platform,
    /// Public URL (the browser's view; the issuer is `{url}/api/v2`).
    pub url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Signing algorithms of the v2 ID token and userinfo (our registration's).
    pub id_token_alg: Jwa,
    pub userinfo_alg: Jwa,
    /// JWE `alg` of the ID token and userinfo, when our registration asks for encryption.
    pub id_token_encryption: Option<KeyAlg>,
    pub userinfo_encryption: Option<KeyAlg>,
    /// eIDAS level asked for by default.
    pub acr_values: String,
}

impl HubSettings {
    /// The hub's v2 issuer, compared byte for byte with the `iss` of every token.
    pub fn issuer(&self) -> String {
        format!("{}/api/v2", self.url.trim_end_matches('/'))
    }
}

/// Default of `max_sessions`: sessions of logged-in users kept at once.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;
/// Default of `session_megabytes`.
pub const DEFAULT_SESSION_MEGABYTES: usize = 64;
/// Default of `max_journals`.
pub const DEFAULT_MAX_JOURNALS: usize = 10_000;
/// Default of `journal_megabytes`: the journal of a login, a data call and a logout weighs about
/// 17 kilobytes by the store's count (more with FranceConnect+'s encrypted tokens or long
/// values), so roughly the last 1 500 journeys stay readable; the budget stays well under the
/// 100 MB a program should peak at with 2 000 journeys in flight (BENCHMARKS.md, "Memory").
pub const DEFAULT_JOURNAL_MEGABYTES: usize = 32;

#[derive(Debug, Clone, clap::Parser)]
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

    /// Public URL of the FranceConnect+ hub (eidas2, eidas3); its issuer is
    /// `{hub_plus_url}/api/v2`.
    #[arg(
        long,
        env = "FC_SP_HUB_PLUS_URL",
        default_value = "http://localhost:8003"
    )]
    pub hub_plus_url: String,

    /// URL this SP uses to reach FranceConnect+ server-to-server, when it differs.
    #[arg(long, env = "FC_SP_HUB_PLUS_INTERNAL_URL")]
    pub hub_plus_internal_url: Option<String>,

    /// Public URL of the data provider.
    #[arg(long, env = "FC_SP_DP_URL", default_value = "http://localhost:8002")]
    pub dp_url: String,

    /// URL this SP uses to reach the data provider, when it differs from the public one.
    #[arg(long, env = "FC_SP_DP_INTERNAL_URL")]
    pub dp_internal_url: Option<String>,

    /// client_id registered at the hub.
    #[arg(long, env = "FC_SP_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,

    /// client_secret registered at the hub (never logged: `Secret` prints `***`).
    #[arg(long, env = "FC_SP_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET, hide_default_value = true)]
    pub client_secret: Secret,

    /// Algorithm of the v2 ID tokens, as registered at the hub (`id_token_signed_response_alg`).
    /// Any other is refused, whatever discovery lists.
    #[arg(long, env = "FC_SP_ID_TOKEN_ALG", default_value = "ES256")]
    pub id_token_alg: Jwa,

    /// Algorithm of the v2 userinfo JWTs, as registered at the hub
    /// (`userinfo_signed_response_alg`). Any other is refused.
    #[arg(long, env = "FC_SP_USERINFO_ALG", default_value = "ES256")]
    pub userinfo_alg: Jwa,

    /// eIDAS level asked for (`eidas1`, `eidas2`, `eidas3`).
    #[arg(long, env = "FC_SP_ACR_VALUES", default_value = "eidas1")]
    pub acr_values: String,

    /// client_id registered at FranceConnect+.
    #[arg(long, env = "FC_SP_PLUS_CLIENT_ID", default_value = DEFAULT_PLUS_CLIENT_ID)]
    pub plus_client_id: String,

    /// client_secret registered at FranceConnect+ (never logged).
    #[arg(long, env = "FC_SP_PLUS_CLIENT_SECRET", default_value = DEFAULT_PLUS_CLIENT_SECRET, hide_default_value = true)]
    pub plus_client_secret: Secret,

    /// JWE `alg` of the ID token at FranceConnect+, as registered
    /// (`id_token_encrypted_response_alg`): ECDH-ES, RSA-OAEP, RSA-OAEP-256 or none. Any other
    /// is refused, and so is a clear token when encryption is registered.
    #[arg(
        long,
        env = "FC_SP_PLUS_ID_TOKEN_ENCRYPTION_ALG",
        value_enum,
        default_value = "ECDH-ES"
    )]
    pub plus_id_token_encryption_alg: TokenEncryption,

    /// JWE `alg` of userinfo at FranceConnect+ (`userinfo_encrypted_response_alg`).
    #[arg(
        long,
        env = "FC_SP_PLUS_USERINFO_ENCRYPTION_ALG",
        value_enum,
        default_value = "ECDH-ES"
    )]
    pub plus_userinfo_encryption_alg: TokenEncryption,

    /// eIDAS level asked of FranceConnect+ by default (`eidas2` or `eidas3`).
    #[arg(long, env = "FC_SP_PLUS_ACR_VALUES", default_value = "eidas2")]
    pub plus_acr_values: String,

    /// Folder where this SP keeps its encryption keys (created on first start), so tokens
    /// encrypted to its published keys still decrypt after a restart. Without it, fresh keys are
    /// made at each start. The public keys are served at `/.well-known/jwks.json`.
    #[arg(long, env = "FC_SP_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,

    /// Scopes of the identity login (space separated).
    #[arg(long, env = "FC_SP_SCOPES", default_value = DEFAULT_SCOPES)]
    pub scopes: String,

    /// Scopes of the data login (space separated).
    #[arg(long, env = "FC_SP_DATA_SCOPES", default_value = DEFAULT_DATA_SCOPES)]
    pub data_scopes: String,

    /// Mark the cookies `Secure` (set it when the public URL is https).
    #[arg(long, env = "FC_SP_COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,

    /// Log as JSON lines.
    #[arg(long, env = "FC_SP_JSON_LOGS", default_value_t = false)]
    pub json_logs: bool,
    /// Backlog, workers, request and keep-alive timeouts of the HTTP server.
    #[command(flatten)]
    pub server: ServerFlags,

    /// Sessions of logged-in users kept in memory at most (the least recently used goes first).
    /// A login in progress costs no session: it travels in an encrypted cookie.
    #[arg(long, env = "FC_SP_MAX_SESSIONS", default_value_t = DEFAULT_MAX_SESSIONS)]
    pub max_sessions: usize,

    /// Memory of all sessions, in megabytes.
    #[arg(long, env = "FC_SP_SESSION_MEGABYTES", default_value_t = DEFAULT_SESSION_MEGABYTES)]
    pub session_megabytes: usize,

    /// Journals of exchanges kept in memory at most (the least recently used goes first).
    #[arg(long, env = "FC_SP_MAX_JOURNALS", default_value_t = DEFAULT_MAX_JOURNALS)]
    pub max_journals: usize,

    /// Memory of all journals, in megabytes.
    #[arg(long, env = "FC_SP_JOURNAL_MEGABYTES", default_value_t = DEFAULT_JOURNAL_MEGABYTES)]
    pub journal_megabytes: usize,

    /// Seconds a login may take between the redirect to FranceConnect and the callback.
    #[arg(long, env = "FC_SP_LOGIN_TIMEOUT_SECS", default_value_t = 600)]
    pub login_timeout_secs: u64,

    /// Timeout of every call to the hub and the data provider, in seconds: a slow peer cannot
    /// hold a page forever.
    #[arg(long, env = "FC_SP_BACK_CHANNEL_TIMEOUT_SECS", default_value_t = 10)]
    pub back_channel_timeout_secs: u64,

    /// Seconds between two checks of the peers (hub, data provider) reported by `/health`.
    #[arg(long, env = "FC_SP_HEALTH_INTERVAL_SECS", default_value_t = 10)]
    pub health_interval_secs: u64,
}

fc_plumbing::server_flags!("FC_SP_");

impl Default for Config {
    fn default() -> Self {
        Self::local()
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
            hub_plus_url: "http://localhost:8003".into(),
            hub_plus_internal_url: None,
            dp_url: "http://localhost:8002".into(),
            dp_internal_url: None,
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: Secret::new(DEFAULT_CLIENT_SECRET),
            id_token_alg: Jwa::ES256,
            userinfo_alg: Jwa::ES256,
            acr_values: "eidas1".into(),
            plus_client_id: DEFAULT_PLUS_CLIENT_ID.into(),
            plus_client_secret: Secret::new(DEFAULT_PLUS_CLIENT_SECRET),
            plus_id_token_encryption_alg: TokenEncryption::EcdhEs,
            plus_userinfo_encryption_alg: TokenEncryption::EcdhEs,
            plus_acr_values: "eidas2".into(),
            keys_dir: None,
            scopes: DEFAULT_SCOPES.into(),
            data_scopes: DEFAULT_DATA_SCOPES.into(),
            cookie_secure: false,
            json_logs: false,
            server: ServerFlags::default(),
            max_sessions: DEFAULT_MAX_SESSIONS,
            session_megabytes: DEFAULT_SESSION_MEGABYTES,
            max_journals: DEFAULT_MAX_JOURNALS,
            journal_megabytes: DEFAULT_JOURNAL_MEGABYTES,
            login_timeout_secs: 600,
            back_channel_timeout_secs: 10,
            health_interval_secs: 10,
        }
    }

    /// The hub's issuer, compared byte for byte with the `iss` of every token.
    pub fn issuer(&self) -> String {
        format!("{}/api/v2", self.hub_url.trim_end_matches('/'))
    }

    /// Our registration at `platform`: FranceConnect from the `hub_url`, `client_*`,
    /// `*_alg` options, FranceConnect+ from the `hub_plus_url`, `plus_*` ones (ES256 only).
    pub fn hub_settings(&self, platform: Platform) -> HubSettings {
        match platform {
            Platform::FranceConnect => HubSettings {
                platform,
                url: self.hub_url.clone(),
                client_id: self.client_id.clone(),
                client_secret: self.client_secret.clone(),
                id_token_alg: self.id_token_alg,
                userinfo_alg: self.userinfo_alg,
                id_token_encryption: None,
                userinfo_encryption: None,
                acr_values: self.acr_values.clone(),
            },
            Platform::FranceConnectPlus => HubSettings {
                platform,
                url: self.hub_plus_url.clone(),
                client_id: self.plus_client_id.clone(),
                client_secret: self.plus_client_secret.clone(),
                id_token_alg: PLUS_SIGNING_ALG,
                userinfo_alg: PLUS_SIGNING_ALG,
                id_token_encryption: self.plus_id_token_encryption_alg.key_alg(),
                userinfo_encryption: self.plus_userinfo_encryption_alg.key_alg(),
                acr_values: self.plus_acr_values.clone(),
            },
        }
    }

    /// Where the hub sends the browser back after a login (registered at the hub).
    pub fn redirect_uri(&self) -> String {
        format!("{}/oidc-callback", self.public_url.trim_end_matches('/'))
    }

    /// Where the hub sends the browser back after a logout (registered at the hub).
    pub fn post_logout_redirect_uri(&self) -> String {
        format!("{}/logout-callback", self.public_url.trim_end_matches('/'))
    }

    /// The algorithms this SP accepts from the hub for `version`: `(ID token, userinfo)`.
    ///
    /// Pinned, never read from discovery nor from the token's header: FranceConnect signs with the
    /// algorithm of the SP's registration. Accepting every algorithm discovery lists would let
    /// anybody who knows our client secret (HS256 is keyed by it) forge an ID token for an SP
    /// registered ES256 — "algorithm confusion" (RFC 8725 §2.1, §3.1). v1 has one algorithm by
    /// contract: HS256 keyed by the client secret, and a plain JSON userinfo (no JWT).
    pub fn expected_algs(&self, version: ApiVersion) -> (Jwa, Jwa) {
        match version {
            ApiVersion::V1 => (Jwa::HS256, Jwa::HS256),
            ApiVersion::V2 => (self.id_token_alg, self.userinfo_alg),
        }
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
        assert_eq!(parsed.client_secret, local.client_secret);
        assert_eq!(parsed.scopes, local.scopes);
        assert_eq!(parsed.data_scopes, local.data_scopes);
        assert_eq!(
            (parsed.id_token_alg, parsed.userinfo_alg),
            (Jwa::ES256, Jwa::ES256)
        );
        assert_eq!(parsed.max_sessions, local.max_sessions);
        assert_eq!(parsed.session_megabytes, local.session_megabytes);
        assert_eq!(parsed.max_journals, local.max_journals);
        assert_eq!(parsed.journal_megabytes, local.journal_megabytes);
        assert_eq!(parsed.login_timeout_secs, local.login_timeout_secs);
        assert_eq!(parsed.health_interval_secs, local.health_interval_secs);
        assert_eq!(parsed.hub_plus_url, local.hub_plus_url);
        assert_eq!(parsed.plus_client_id, local.plus_client_id);
        assert_eq!(parsed.plus_client_secret, local.plus_client_secret);
        assert_eq!(
            parsed.plus_id_token_encryption_alg,
            local.plus_id_token_encryption_alg
        );
        assert_eq!(parsed.plus_acr_values, local.plus_acr_values);
        let plus = local.hub_settings(Platform::FranceConnectPlus);
        assert_eq!(plus.issuer(), "http://localhost:8003/api/v2");
        assert_eq!(plus.id_token_encryption, Some(KeyAlg::EcdhEs));
        assert_eq!(plus.id_token_alg, Jwa::ES256);
        let fc = local.hub_settings(Platform::FranceConnect);
        assert_eq!(fc.issuer(), local.issuer());
        assert_eq!(fc.id_token_encryption, None);
        assert_eq!(parsed.back_channel_timeout_secs, 10);
        assert_eq!(parsed.server, local.server);
        assert_eq!(local.issuer(), "http://localhost:8000/api/v2");
        assert_eq!(local.redirect_uri(), "http://localhost:3000/oidc-callback");
        assert_eq!(
            local.post_logout_redirect_uri(),
            "http://localhost:3000/logout-callback"
        );
    }

    #[test]
    fn a_burst_sets_the_server_limits_and_back_channel_timeout_by_flag() {
        let parsed = Config::try_parse_from([
            "service-provider-example",
            "--listen-backlog",
            "4096",
            "--workers",
            "3",
            "--request-timeout-secs",
            "60",
            "--keep-alive-secs",
            "0",
            "--max-connections",
            "3000",
            "--back-channel-timeout-secs",
            "60",
        ])
        .unwrap();
        let server = parsed.server.settings();
        assert_eq!((server.backlog, server.workers), (4096, Some(3)));
        assert_eq!(server.request_timeout, std::time::Duration::from_secs(60));
        assert!(server.keep_alive.is_zero());
        assert_eq!(server.max_connections, 3000);
        assert_eq!(parsed.back_channel_timeout_secs, 60);
    }

    #[test]
    fn capacities_and_algorithms_can_be_set_by_flag() {
        let parsed = Config::try_parse_from([
            "service-provider-example",
            "--max-sessions",
            "7",
            "--max-journals",
            "3",
            "--journal-megabytes",
            "2",
            "--id-token-alg",
            "RS256",
        ])
        .unwrap();
        assert_eq!((parsed.max_sessions, parsed.max_journals), (7, 3));
        assert_eq!(parsed.journal_megabytes, 2);
        assert_eq!(
            parsed.expected_algs(ApiVersion::V2),
            (Jwa::RS256, Jwa::ES256)
        );
        assert_eq!(
            parsed.expected_algs(ApiVersion::V1),
            (Jwa::HS256, Jwa::HS256)
        );
        assert!(Config::try_parse_from(["sp", "--id-token-alg", "none"]).is_err());
        let plain = Config::try_parse_from(["sp", "--plus-userinfo-encryption-alg", "none"])
            .unwrap()
            .hub_settings(Platform::FranceConnectPlus);
        assert_eq!(plain.userinfo_encryption, None);
        assert!(
            Config::try_parse_from(["sp", "--plus-id-token-encryption-alg", "A128KW"]).is_err()
        );
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let shown = format!("{:?}", Config::local());
        assert!(!shown.contains(DEFAULT_CLIENT_SECRET), "{shown}");
        assert!(!shown.contains(DEFAULT_PLUS_CLIENT_SECRET), "{shown}");
    }
}
