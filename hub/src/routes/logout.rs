//! The logout chain (SPEC §4.7): SP → `/session/end` → the IdP's end-session endpoint →
//! `/client/logout-callback` → the SP's `post_logout_redirect_uri?state=…`.
//!
//! The `id_token_hint` must be an ID token this hub issued (its signature is checked, its expiry
//! is not: people log out long after the 60 s of an ID token), and the post-logout URI must be
//! registered for the SP it names, byte for byte; otherwise an error page and no redirect.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::{redirect, render};
use crate::error::HubError;
use crate::journey::{self, PendingLogout};
use crate::startup::HubState;

#[derive(Deserialize)]
pub struct SessionEndQuery {
    id_token_hint: Option<String>,
    state: Option<String>,
    post_logout_redirect_uri: Option<String>,
}

pub async fn session_end_get(
    query: web::Query<SessionEndQuery>,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    end_session(&query, &session, &state, "v2")
}

/// v1 logout: the hint is a v1 ID token (HS256, issuer without path).
pub async fn logout_v1_get(
    query: web::Query<SessionEndQuery>,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    end_session(&query, &session, &state, "v1")
}

fn end_session(
    query: &SessionEndQuery,
    session: &Session,
    state: &HubState,
    api: &str,
) -> Result<HttpResponse, HubError> {
    let (alg_v1, issuer) = if api == "v1" {
        (true, state.config.public_url.as_str())
    } else {
        (false, state.issuer.as_str())
    };
    let hint = query
        .id_token_hint
        .as_deref()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| HubError::page("Y030007", "id_token_hint is required"))?;
    let unverified = fc_plumbing::jose::decode_unverified(hint)
        .map_err(|e| HubError::page("Y030007", format!("id_token_hint: {e}")))?;
    let client_id = unverified
        .payload
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let sp = state
        .config
        .registry
        .service_provider(client_id)
        .ok_or_else(|| HubError::page("Y030007", "id_token_hint names no known client"))?;
    let jwks = fc_plumbing::jose::parse_jwks(&state.keys.jwks())
        .map_err(|e| HubError::internal(e.to_string()))?;
    let claims = fc_plumbing::jose::verify_jwt(
        hint,
        if alg_v1 {
            fc_plumbing::Jwa::HS256
        } else {
            sp.id_token_signed_response_alg
        },
        &jwks,
        Some(&sp.client_secret),
    )
    .map_err(|e| HubError::page("Y030007", format!("id_token_hint: {e}")))?;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(HubError::page(
            "Y030007",
            "id_token_hint was not issued by this hub",
        ));
    }
    if let Some(uri) = &query.post_logout_redirect_uri
        && !sp.post_logout_redirect_uris.iter().any(|u| u == uri)
    {
        return Err(HubError::page(
            "Y04CFAEF",
            "post_logout_redirect_uri not registered",
        ));
    }
    journey::save_pending_logout(
        session,
        &PendingLogout {
            post_logout_redirect_uri: query.post_logout_redirect_uri.clone(),
            state: query.state.clone(),
        },
    )?;
    tracing::info!(sp = %sp.name, "SP_REQUESTED_LOGOUT");

    // Log out at the IdP too, with the ID token it gave us, when it has an end-session endpoint.
    let login = journey::sso(session).or_else(|| journey::journey(session).and_then(|j| j.login));
    if let Some(login) = login
        && let Some(idp) = state.config.registry.identity_provider(&login.idp_uid)
        && !idp.end_session_endpoint.is_empty()
    {
        let url = fc_plumbing::web::url_with_query(
            &idp.end_session_endpoint,
            &[
                ("id_token_hint", &login.idp_id_token),
                ("state", &fc_plumbing::random::hex64()),
                ("post_logout_redirect_uri", &idp.post_logout_redirect_uri),
            ],
        );
        tracing::info!(idp = %idp.slug, "FC_REQUESTED_LOGOUT_FROM_IDP");
        return Ok(redirect(&url));
    }
    Ok(redirect("/api/v2/client/logout-callback"))
}

pub async fn logout_callback_get(
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let pending = journey::pending_logout(&session);
    session.purge();
    tracing::info!("FC_SESSION_TERMINATED");
    match pending {
        Some(PendingLogout {
            post_logout_redirect_uri: Some(uri),
            state: sp_state,
        }) => {
            let params: Vec<(&str, &str)> = sp_state
                .as_deref()
                .map(|s| vec![("state", s)])
                .unwrap_or_default();
            Ok(redirect(&fc_plumbing::web::url_with_query(&uri, &params)))
        }
        _ => render(&state.templates, "logged_out.html", &tera::Context::new()),
    }
}
