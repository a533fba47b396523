//! `GET /session/end` (OpenID Connect RP-Initiated Logout 1.0).
//!
//! Everything is checked before the session is destroyed, so a refused request changes
//! nothing: the `post_logout_redirect_uri` must be registered byte for byte (else an error page
//! and no redirect), and an `id_token_hint`, when given, must be an ID token this IdP signed for
//! its client (its expiry is ignored: logging out with an old token is normal).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fc_plumbing::Jwa;
use serde_json::Value;

use super::params::Params;
use super::redirect;
use crate::error::AppError;
use crate::state::AppState;

pub async fn session_end_get(
    request: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let params = Params::from_query(request.query_string())
        .ok_or_else(|| AppError::BadRequest("unreadable query string".into()))?;
    let get = |name: &str| {
        params
            .single(name)
            .map_err(|r| AppError::BadRequest(format!("{} is repeated", r.0)))
    };
    let post_logout_redirect_uri = get("post_logout_redirect_uri")?;
    if let Some(uri) = post_logout_redirect_uri
        && !state.client.has_post_logout_redirect_uri(uri)
    {
        return Err(AppError::UnregisteredPostLogoutRedirectUri);
    }
    if let Some(client_id) = get("client_id")?
        && client_id != state.client.client_id
    {
        return Err(AppError::UnknownClient);
    }
    if let Some(hint) = get("id_token_hint")? {
        check_id_token_hint(&state, hint)?;
    }

    session.purge();
    match post_logout_redirect_uri {
        Some(uri) => {
            let query: Vec<(&str, &str)> =
                get("state")?.map(|s| ("state", s)).into_iter().collect();
            Ok(redirect(
                StatusCode::FOUND,
                &fc_plumbing::web::url_with_query(uri, &query),
            ))
        }
        None => state.render("logged_out.html", &tera::Context::new()),
    }
}

fn check_id_token_hint(state: &AppState, hint: &str) -> Result<(), AppError> {
    // `openidconnect`'s HMAC check (behind `verify_jwt`) panics on a signature that is not
    // 32 bytes long; refuse such a hint before it gets there.
    if state.client.id_token_signed_response_alg == Jwa::HS256 {
        let signature = hint.rsplit_once('.').map(|(_, s)| s).unwrap_or_default();
        let length = URL_SAFE_NO_PAD.decode(signature).map(|s| s.len());
        if length.ok() != Some(32) {
            return Err(AppError::InvalidIdTokenHint);
        }
    }
    let claims = fc_plumbing::jose::verify_jwt(
        hint,
        state.client.id_token_signed_response_alg,
        state.verification_keys(),
        Some(state.client.client_secret.expose()),
    )
    .map_err(|_| AppError::InvalidIdTokenHint)?;
    let issued_here = claims.get("iss").and_then(Value::as_str) == Some(state.issuer.as_str());
    let for_our_client = match claims.get("aud") {
        Some(Value::String(aud)) => *aud == state.client.client_id,
        Some(Value::Array(auds)) => auds
            .iter()
            .any(|a| a.as_str() == Some(&state.client.client_id)),
        _ => false,
    };
    if issued_here && for_our_client {
        Ok(())
    } else {
        Err(AppError::InvalidIdTokenHint)
    }
}
