//! The one place where errors become responses: a French HTML page for browser endpoints, OAuth
//! JSON (`{"error", "error_description"}`) for protocol endpoints, and JSON naming the faulty
//! field (`{"error", "error_description", "field"}`) for the admin API.
//!
//! Errors that happen once the `redirect_uri` is trusted are not here: `/authorize` and
//! `/login` send those back to the client as `redirect_uri?error=…` (successful redirects).
//! Every error gets an id, shown on the page and logged with the cause.

use actix_web::http::StatusCode;
use actix_web::http::header::WWW_AUTHENTICATE;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// The page template, rendered with `Tera::one_off` because `ResponseError` has no access to
/// the application's template set; it is self-contained (no `extends`) for that reason.
const ERROR_TEMPLATE: &str = include_str!("../templates/error.html");

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    // Browser endpoints: HTML page, never a redirect.
    #[error("unknown or missing client_id")]
    UnknownClient,
    #[error("missing or unregistered redirect_uri")]
    UnregisteredRedirectUri,
    #[error("unregistered post_logout_redirect_uri")]
    UnregisteredPostLogoutRedirectUri,
    #[error("invalid id_token_hint")]
    InvalidIdTokenHint,
    #[error("login form refused: expired, already used, altered or shown to another browser")]
    InteractionExpired,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("page not found")]
    NotFound,

    // Protocol endpoints: OAuth JSON.
    #[error("OAuth error {error}: {description}")]
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: String,
        /// Answer `WWW-Authenticate: Basic` (failed `client_secret_basic`, RFC 6749 §5.2).
        basic_challenge: bool,
    },
    #[error("missing, unknown or expired access token")]
    InvalidToken,

    // Admin API: JSON.
    #[error("the admin API is disabled")]
    AdminDisabled,
    #[error("admin API: missing or wrong bearer token")]
    AdminUnauthorized,
    #[error("admin API: invalid {field:?}: {problem}")]
    AdminInvalid { field: String, problem: String },
    #[error("admin API: conflict on {field:?}: {problem}")]
    AdminConflict { field: String, problem: String },
    #[error("admin API: {0}")]
    AdminNotFound(String),

    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::oauth(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::oauth(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn invalid_client(description: impl Into<String>, basic_challenge: bool) -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
            basic_challenge,
        }
    }

    pub fn unsupported_grant_type() -> Self {
        Self::oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code is supported",
        )
    }

    fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self::OAuth {
            status,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }

    /// Code, message and advice of the HTML page.
    fn page(&self) -> (&'static str, &'static str, &'static str) {
        const BACK: &str = "Revenez sur le site d'où vous venez et recommencez la connexion.";
        match self {
            Self::UnknownClient => (
                "invalid_client",
                "Le service qui vous a envoyé ici n'est pas connu de ce fournisseur d'identité.",
                BACK,
            ),
            Self::UnregisteredRedirectUri => (
                "invalid_redirect_uri",
                "L'adresse de retour demandée n'est pas enregistrée pour ce service.",
                "Par sécurité, vous n'avez pas été redirigé(e). Signalez ce problème au service.",
            ),
            Self::UnregisteredPostLogoutRedirectUri => (
                "invalid_post_logout_redirect_uri",
                "L'adresse de retour après déconnexion n'est pas enregistrée pour ce service.",
                "Par sécurité, vous n'avez pas été redirigé(e). Vous êtes bien déconnecté(e) de ce fournisseur d'identité seulement si vous fermez votre navigateur.",
            ),
            Self::InvalidIdTokenHint => (
                "invalid_id_token_hint",
                "La demande de déconnexion n'a pas été émise par ce fournisseur d'identité.",
                BACK,
            ),
            Self::InteractionExpired => (
                "interaction_expired",
                "Ce formulaire de connexion a expiré ou a déjà été envoyé.",
                BACK,
            ),
            Self::BadRequest(_) => ("invalid_request", "La demande est invalide.", BACK),
            Self::NotFound => (
                "not_found",
                "Cette page n'existe pas.",
                "Vérifiez l'adresse ou repartez de l'accueil.",
            ),
            Self::OAuth { .. }
            | Self::InvalidToken
            | Self::AdminDisabled
            | Self::AdminUnauthorized
            | Self::AdminInvalid { .. }
            | Self::AdminConflict { .. }
            | Self::AdminNotFound(_)
            | Self::Internal(_) => (
                "server_error",
                "Le fournisseur d'identité a rencontré un problème.",
                "Réessayez dans quelques instants.",
            ),
        }
    }

    fn html_page(&self, error_id: &str) -> HttpResponse {
        let (code, message, advice) = self.page();
        let mut context = tera::Context::new();
        context.insert("code", code);
        context.insert("message", message);
        context.insert("advice", advice);
        context.insert("error_id", error_id);
        let body = tera::Tera::one_off(ERROR_TEMPLATE, &context, true)
            .unwrap_or_else(|_| format!("Une erreur s'est produite ({code}, {error_id})."));
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::UnknownClient
            | Self::UnregisteredRedirectUri
            | Self::UnregisteredPostLogoutRedirectUri
            | Self::InvalidIdTokenHint
            | Self::InteractionExpired
            | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound | Self::AdminDisabled | Self::AdminNotFound(_) => StatusCode::NOT_FOUND,
            Self::OAuth { status, .. } => *status,
            Self::InvalidToken | Self::AdminUnauthorized => StatusCode::UNAUTHORIZED,
            Self::AdminInvalid { .. } => StatusCode::BAD_REQUEST,
            Self::AdminConflict { .. } => StatusCode::CONFLICT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error_id = fc_plumbing::web::error_id();
        match self {
            Self::Internal(_) => tracing::error!(error_id, cause = %self, "request failed"),
            _ => tracing::info!(error_id, cause = %self, "request refused"),
        }
        match self {
            Self::OAuth {
                error,
                description,
                basic_challenge,
                ..
            } => {
                let mut response = HttpResponse::build(self.status_code());
                if *basic_challenge {
                    response.insert_header((
                        WWW_AUTHENTICATE,
                        r#"Basic realm="identity-provider-example""#,
                    ));
                }
                response.json(json!({"error": error, "error_description": description}))
            }
            Self::InvalidToken => HttpResponse::Unauthorized()
                .insert_header((
                    WWW_AUTHENTICATE,
                    r#"Bearer error="invalid_token", error_description="missing, unknown or expired access token""#,
                ))
                .json(json!({
                    "error": "invalid_token",
                    "error_description": "missing, unknown or expired access token"
                })),
            Self::AdminDisabled
            | Self::AdminUnauthorized
            | Self::AdminInvalid { .. }
            | Self::AdminConflict { .. }
            | Self::AdminNotFound(_) => self.admin_json(),
            _ => self.html_page(&error_id),
        }
    }
}

impl AppError {
    /// The admin API's JSON error.
    fn admin_json(&self) -> HttpResponse {
        let (error, description, field) = match self {
            Self::AdminDisabled => (
                "not_found",
                "no such endpoint: the admin API exists only when an admin token is configured \
                 (--admin-token or FC_IDP_ADMIN_TOKEN)"
                    .to_owned(),
                None,
            ),
            Self::AdminUnauthorized => (
                "unauthorized",
                "send the admin token as `Authorization: Bearer <token>`".to_owned(),
                None,
            ),
            Self::AdminInvalid { field, problem } => {
                ("invalid_field", problem.clone(), Some(field.as_str()))
            }
            Self::AdminConflict { field, problem } => {
                ("conflict", problem.clone(), Some(field.as_str()))
            }
            Self::AdminNotFound(what) => ("not_found", what.clone(), None),
            _ => ("server_error", self.to_string(), None),
        };
        let mut body = json!({"error": error, "error_description": description});
        if let Some(field) = field {
            body["field"] = json!(field);
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::AdminUnauthorized) {
            response.insert_header((WWW_AUTHENTICATE, r#"Bearer realm="admin""#));
        }
        response.json(body)
    }
}
