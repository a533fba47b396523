//! What every handler shares, built once in `Application::build` and injected with `web::Data`:
//! the client registration, the users, the signing keys, the templates, the clock and the
//! short-lived protocol state.

use actix_web::HttpResponse;
use fc_plumbing::{Clock, Jwa, KeySet, Secret};

use crate::error::AppError;
use crate::login_form::FormSigner;
use crate::reload::UserStore;
use crate::store::Stores;

/// The only client of the IdP: the hub.
#[derive(Clone)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub id_token_signed_response_alg: Jwa,
}

impl RegisteredClient {
    /// Redirect URIs are compared byte for byte: no normalisation, no prefix match.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|r| r == uri)
    }
}

pub struct AppState {
    /// Exactly the configured public URL (issuers are compared byte for byte).
    pub issuer: String,
    /// The public URL without a trailing slash, to build endpoint URLs.
    pub base_url: String,
    pub client: RegisteredClient,
    /// The test people, reloaded when their files change.
    pub users: std::sync::Arc<UserStore>,
    /// Delay of the "slow" failure scenarios.
    pub slow: std::time::Duration,
    /// ES256 and RS256 keys. The RSA key is generated in the background by `fc_plumbing`: only
    /// RS256 signing, `/jwks` and RS256 hint checks wait for it, never the startup.
    pub keys: KeySet,
    /// The public key of the configured algorithm as parsed by `openidconnect`, to check
    /// `id_token_hint`s; built at the first check (see [`AppState::verification_keys`]).
    pub verification_keys: std::sync::OnceLock<openidconnect::core::CoreJsonWebKeySet>,
    pub templates: tera::Tera,
    /// The login form's lists of test accounts, rendered once per set of people.
    pub login_lists: crate::routes::LoginLists,
    /// Seals the pending authorization into the login form.
    pub forms: FormSigner,
    pub stores: Stores,
    pub clock: Clock,
    /// The admin API's bearer token; `None`: no admin API.
    pub admin_token: Option<Secret>,
    /// Whether cookies set by the IdP are `Secure`.
    pub cookie_secure: bool,
}

impl AppState {
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The keys `id_token_hint`s are checked with: only the key of the configured algorithm
    /// (none for HS256, which uses the client secret), so that with HS256 or ES256 nothing waits
    /// for the RSA key. With RS256 the key exists by then: a hint is a token this IdP signed.
    pub fn verification_keys(&self) -> &openidconnect::core::CoreJsonWebKeySet {
        self.verification_keys.get_or_init(|| {
            let jwks = match self.client.id_token_signed_response_alg {
                Jwa::HS256 => serde_json::json!({"keys": []}),
                Jwa::ES256 => serde_json::json!({"keys": [self.keys.ec.public_jwk()]}),
                Jwa::RS256 => self.keys.jwks(),
            };
            fc_plumbing::jose::parse_jwks(&jwks).unwrap_or_else(|e| {
                // Our own keys always parse; if not, every hint is refused rather than a panic.
                tracing::error!("cannot parse the IdP's own public keys: {e}");
                openidconnect::core::CoreJsonWebKeySet::new(Vec::new())
            })
        })
    }

    /// Renders a page of the template set.
    pub fn render(
        &self,
        template: &str,
        context: &tera::Context,
    ) -> Result<HttpResponse, AppError> {
        let body = self
            .templates
            .render(template, context)
            .map_err(|e| AppError::Internal(format!("template {template}: {e}")))?;
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body))
    }
}

/// The page templates, embedded in the binary.
pub fn templates() -> Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(vec![
        ("base.html", include_str!("../templates/base.html")),
        ("home.html", include_str!("../templates/home.html")),
        ("users.html", include_str!("../templates/users.html")),
        ("login.html", include_str!("../templates/login.html")),
        (
            "login_accounts.html",
            include_str!("../templates/login_accounts.html"),
        ),
        (
            "scenario_table.html",
            include_str!("../templates/scenario_table.html"),
        ),
        (
            "logged_out.html",
            include_str!("../templates/logged_out.html"),
        ),
    ])?;
    Ok(tera)
}
