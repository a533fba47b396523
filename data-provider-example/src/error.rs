//! The one place where the data provider's errors become HTTP answers (RFC 6750 §3 for the
//! protected resource, JSON naming the field for the admin API, a French page for a browser
//! lost on a non-API path).
//!
//! Every API answer is JSON `{"error", "error_description"}`, except a request without any
//! credentials: RFC 6750 §3.1 says it gets a bare `WWW-Authenticate: Bearer` challenge and no
//! error code, so its body only has `error_description`.
//!
//! | case | status | `error` | `WWW-Authenticate` |
//! |---|---|---|---|
//! | no `Authorization` header | 401 | — | `Bearer` |
//! | malformed header or path | 400 | `invalid_request` | `Bearer error="invalid_request"` |
//! | token inactive | 401 | `invalid_token` | `Bearer error="invalid_token"` |
//! | no DP scope in the token | 403 | `insufficient_scope` | `Bearer error="insufficient_scope", scope="…"` |
//! | no record / several records | 404 | `not_found` | — |
//! | hub unreachable | 502 | `hub_unreachable` | — |
//! | hub refused the DP's credentials | 502 | `hub_refused_client` | — |
//! | hub answer unusable (garbage, bad signature, iss, aud, iat) | 502 | `invalid_hub_answer` | — |
//! | admin API off | 404 | `not_found` | — |
//! | admin token missing or wrong | 401 | `unauthorized` | `Bearer realm="admin"` |
//! | admin body invalid | 400 | `invalid_field` (+ `field`) | — |
//!
//! 502 answers carry an `error_id`, also logged with the cause.

use actix_web::http::StatusCode;
use actix_web::http::header::WWW_AUTHENTICATE;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::dgfip::DP_SCOPES;
use crate::hub::HubError;

/// The page of an unknown path, for browsers.
const NOT_FOUND_PAGE: &str = include_str!("../templates/not_found.html");

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("an `Authorization: Bearer <access token>` header is required")]
    MissingToken,
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the access token is unknown, expired or revoked")]
    InvalidToken,
    #[error("the access token grants none of this data provider's scopes")]
    InsufficientScope,
    #[error("{0}")]
    NotFound(String),
    /// An unknown path asked for by a browser: the French page.
    #[error("page not found")]
    NotFoundPage,
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error(
        "no such endpoint: the admin API exists only when an admin token is configured (FC_DP_ADMIN_TOKEN)"
    )]
    AdminDisabled,
    #[error("send the admin token as `Authorization: Bearer <token>`")]
    AdminUnauthorized,
    #[error("{problem}")]
    AdminInvalid { field: String, problem: String },
}

impl AppError {
    fn code(&self) -> Option<&'static str> {
        match self {
            AppError::MissingToken => None,
            AppError::InvalidRequest(_) => Some("invalid_request"),
            AppError::InvalidToken => Some("invalid_token"),
            AppError::InsufficientScope => Some("insufficient_scope"),
            AppError::NotFound(_) | AppError::NotFoundPage | AppError::AdminDisabled => {
                Some("not_found")
            }
            AppError::Hub(HubError::Unreachable(_)) => Some("hub_unreachable"),
            AppError::Hub(HubError::Refused { .. }) => Some("hub_refused_client"),
            AppError::Hub(HubError::InvalidAnswer(_)) => Some("invalid_hub_answer"),
            AppError::AdminUnauthorized => Some("unauthorized"),
            AppError::AdminInvalid { .. } => Some("invalid_field"),
        }
    }

    /// The `WWW-Authenticate` challenge, for the errors about a bearer token.
    fn challenge(&self) -> Option<String> {
        match self {
            AppError::MissingToken => Some("Bearer".to_owned()),
            AppError::InvalidRequest(_) => Some(r#"Bearer error="invalid_request""#.to_owned()),
            AppError::InvalidToken => Some(r#"Bearer error="invalid_token""#.to_owned()),
            AppError::InsufficientScope => Some(format!(
                r#"Bearer error="insufficient_scope", scope="{}""#,
                DP_SCOPES.join(" ")
            )),
            AppError::AdminUnauthorized => Some(r#"Bearer realm="admin""#.to_owned()),
            _ => None,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::MissingToken | AppError::InvalidToken | AppError::AdminUnauthorized => {
                StatusCode::UNAUTHORIZED
            }
            AppError::InvalidRequest(_) | AppError::AdminInvalid { .. } => StatusCode::BAD_REQUEST,
            AppError::InsufficientScope => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::NotFoundPage | AppError::AdminDisabled => {
                StatusCode::NOT_FOUND
            }
            AppError::Hub(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::NotFoundPage = self {
            return HttpResponse::NotFound()
                .content_type("text/html; charset=utf-8")
                .body(NOT_FOUND_PAGE);
        }
        let mut body = json!({ "error_description": self.to_string() });
        if let Some(code) = self.code() {
            body["error"] = json!(code);
        }
        if let AppError::AdminInvalid { field, .. } = self {
            body["field"] = json!(field);
        }
        if let AppError::Hub(cause) = self {
            let error_id = fc_plumbing::web::error_id();
            tracing::warn!(%error_id, error = %cause, "token check failed");
            body["error_id"] = json!(error_id);
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Some(challenge) = self.challenge() {
            response.insert_header((WWW_AUTHENTICATE, challenge));
        }
        response.json(body)
    }
}
