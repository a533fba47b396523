//! `GET /.well-known/openid-configuration` (OIDC Discovery §4) and `GET /jwks`.
//! The issuer is exactly the configured public URL; the hub compares it byte for byte.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use serde_json::json;

use super::ACR_LEVELS;
use crate::error::AppError;
use crate::state::AppState;
use crate::users::supported_scopes;

/// Both documents change only at restart; a short cache keeps a restarted IdP usable.
const CACHE: &str = "public, max-age=300";

pub async fn discovery_get(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, CACHE))
        .json(json!({
            "issuer": state.issuer,
            "authorization_endpoint": state.endpoint("/authorize"),
            "token_endpoint": state.endpoint("/token"),
            "userinfo_endpoint": state.endpoint("/userinfo"),
            "jwks_uri": state.endpoint("/jwks"),
            "end_session_endpoint": state.endpoint("/session/end"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256", "RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": supported_scopes(),
            "claims_supported": [
                "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr",
                "given_name", "family_name", "preferred_username", "birthdate", "gender",
                "birthplace", "birthcountry", "email", "phone_number", "address"
            ],
            "claims_parameter_supported": true,
            "acr_values_supported": ACR_LEVELS,
            "prompt_values_supported": ["login", "consent", "none"],
            "ui_locales_supported": ["fr"],
        }))
}

pub async fn jwks_get(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    // The first call may wait for the RSA key still being generated in the background: on the
    // blocking pool, so that the worker keeps serving logins meanwhile.
    let jwks = web::block(move || state.keys.jwks())
        .await
        .map_err(|e| AppError::Internal(format!("jwks: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, CACHE))
        .json(jwks))
}
