//! What every handler shares, built once in `Application::build` and injected with `web::Data`:
//! the client registration, the users, the signing keys, the templates and the short-lived
//! protocol state (SPEC §5).

use actix_web::HttpResponse;
use fc_plumbing::{Jwa, KeySet};

use crate::error::AppError;
use crate::reload::UserStore;
use crate::store::{AccessGrant, CodeGrant, ExpiringMap, Interaction};

/// The only client of the IdP: the hub.
#[derive(Clone)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: String,
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
    pub keys: KeySet,
    /// The public keys as parsed by `openidconnect`, to check `id_token_hint`s.
    pub verification_keys: openidconnect::core::CoreJsonWebKeySet,
    pub templates: tera::Tera,
    pub interactions: ExpiringMap<Interaction>,
    pub codes: ExpiringMap<CodeGrant>,
    pub access_tokens: ExpiringMap<AccessGrant>,
}

impl AppState {
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
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
            "logged_out.html",
            include_str!("../templates/logged_out.html"),
        ),
    ])?;
    Ok(tera)
}
