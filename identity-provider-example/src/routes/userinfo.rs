//! `GET /userinfo` (OIDC Core §5.3, SPEC §5): the person's claims as plain JSON, filtered by
//! the scopes granted (`openid profile email birth` from the hub gives every claim it needs).
//! Any problem with the bearer token is the same 401 `invalid_token` (RFC 6750 §3.1).

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::state::AppState;
use crate::store::unix_now;

pub async fn userinfo_get(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(AppError::InvalidToken)?;
    let grant = state
        .access_tokens
        .get(token, unix_now())
        .ok_or(AppError::InvalidToken)?;
    let user = state
        .users
        .get(&grant.identifiant)
        .ok_or(AppError::InvalidToken)?;
    Ok(HttpResponse::Ok().json(user.claims_for_scope(&grant.scope)))
}
