//! The logout chain (`docs/hub.md`, "Logout"): SP → `/session/end` → the IdP's end-session
//! endpoint → `/client/logout-callback` → the SP's `post_logout_redirect_uri?state=…`.
//!
//! The `id_token_hint` must be an ID token this hub issued for a registered SP: its signature is
//! checked with the algorithm that SP registered, its expiry is not (people log out long after
//! the 60 s of an ID token). One exception, on purpose: a hint signed with a key the hub no longer
//! has (it restarted without `--keys-dir`, or its keys rotated) still ends the session when its
//! `iss` is this hub and its `aud` a registered SP — refusing would strand every person logged in
//! before the restart, and forcing a logout is harmless. The post-logout URI must be registered
//! for the SP the hint names, byte for byte; otherwise an error page and no redirect.

use fc_plumbing::jose::{self, JoseError};
use serde_json::Value;

use super::claims::id_token_alg;
use crate::domain::ApiVersion;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::Platform;
use crate::session::{HubSession, PendingLogout};

/// The query of `/session/end` (v2) and `/logout` (v1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub state: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Log out at the IdP first (with the ID token it gave the hub).
    ToIdp { url: String },
    /// No IdP to tell: finish at once.
    Finish,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishOutcome {
    /// Back to the SP's `post_logout_redirect_uri`.
    RedirectToSp { url: String },
    /// "Vous êtes déconnecté(e)": no post-logout URI was given.
    LoggedOut,
}

fn refuse(detail: impl Into<String>) -> Error {
    Error::page(ErrorCode::Y030007, detail)
}

/// `GET /session/end`: checks the request, remembers where to end, and says where to go.
pub async fn end_session(
    platform: &Platform,
    session: &mut HubSession,
    request: &LogoutRequest,
    version: ApiVersion,
) -> Result<LogoutOutcome> {
    let hint = request
        .id_token_hint
        .as_deref()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| refuse("id_token_hint is required"))?;
    if hint.split('.').count() == 5 {
        // OpenID Connect RP-Initiated Logout 1.0 §2: the hint is the signed ID token.
        return Err(refuse(
            "id_token_hint is encrypted: send the signed ID token it contains (decrypt it first)",
        ));
    }
    let unverified =
        jose::decode_unverified(hint).map_err(|e| refuse(format!("id_token_hint: {e}")))?;
    let registry = platform.registry();
    let client_id = unverified
        .payload
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let sp = registry
        .service_provider(client_id)
        .ok_or_else(|| refuse("id_token_hint names no known client"))?;
    let issuer = platform.issuer_for(version);
    if unverified.payload.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(refuse("id_token_hint was not issued by this hub"));
    }
    let jwks =
        jose::parse_jwks(&platform.keys.jwks()).map_err(|e| Error::internal(e.to_string()))?;
    match jose::verify_jwt(
        hint,
        id_token_alg(sp, version),
        &jwks,
        Some(sp.client_secret.expose()),
    ) {
        Ok(_) => {}
        Err(JoseError::UnknownKey(kid)) => tracing::info!(
            sp = %sp.name,
            kid = ?kid,
            "id_token_hint signed with a key this hub no longer has: ending the session anyway"
        ),
        Err(e) => return Err(refuse(format!("id_token_hint: {e}"))),
    }
    if let Some(uri) = &request.post_logout_redirect_uri
        && !sp.post_logout_redirect_uris.iter().any(|u| u == uri)
    {
        return Err(Error::page(
            ErrorCode::Y04CFAEF,
            "post_logout_redirect_uri not registered",
        ));
    }
    session.logout = Some(PendingLogout {
        post_logout_redirect_uri: request.post_logout_redirect_uri.clone(),
        state: request.state.clone(),
        api_version: version,
    });
    tracing::info!(sp = %sp.name, "SP_REQUESTED_LOGOUT");

    let login = session
        .sso
        .as_ref()
        .or_else(|| session.journey.as_ref().and_then(|j| j.login.as_ref()));
    let idp = match login.and_then(|l| registry.identity_provider(&l.idp_uid)) {
        // An IdP whose discovery fails now is not told; the hub session still ends.
        Some(idp) => crate::federation::discovery::resolved(platform, idp)
            .await
            .ok(),
        None => None,
    };
    if let Some(login) = login
        && let Some(idp) = idp
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
        return Ok(LogoutOutcome::ToIdp { url });
    }
    Ok(LogoutOutcome::Finish)
}

/// `GET /client/logout-callback`: the session ends here; the route destroys it.
pub fn finish(session: &HubSession) -> FinishOutcome {
    tracing::info!("FC_SESSION_TERMINATED");
    match &session.logout {
        Some(PendingLogout {
            post_logout_redirect_uri: Some(uri),
            state,
            ..
        }) => {
            let params: Vec<(&str, &str)> = state
                .as_deref()
                .map(|s| vec![("state", s)])
                .unwrap_or_default();
            FinishOutcome::RedirectToSp {
                url: fc_plumbing::web::url_with_query(uri, &params),
            }
        }
        _ => FinishOutcome::LoggedOut,
    }
}
