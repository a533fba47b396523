//! Step 5 — log out, at FranceConnect too (OIDC RP-Initiated Logout 1.0).
//!
//! Logging out of the SP alone would leave the FranceConnect session open: the next "S'identifier
//! avec FranceConnect" would log the user in without asking. FranceConnect expects the SP to send
//! the browser to its `end_session_endpoint` with `id_token_hint` (the ID token it issued),
//! `state` and `post_logout_redirect_uri` (registered byte for byte). The hub logs the user out of
//! the identity provider, then comes back to `post_logout_redirect_uri?state=…`, where the SP checks
//! the state and forgets the user. Partner documentation:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.
//!
//! A v1 login logs out through `/api/v1/logout`, with the same three parameters. A login through
//! FranceConnect+ logs out at FranceConnect+, with the signed ID token inside the JWE it received
//! as the hint; the logged-out page names the FranceConnect the person left.

use std::str::FromStr;

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use openidconnect::core::CoreIdToken;
use openidconnect::{CsrfToken, LogoutRequest, PostLogoutRedirectUrl};
use serde::Deserialize;

use crate::error::SpError;
use crate::journal::Http;
use crate::pending::state_matches;
use crate::session;
use crate::startup::AppState;

/// `GET /logout`
pub async fn logout_get(
    app: web::Data<AppState>,
    session: Session,
    http: Http,
) -> Result<HttpResponse, SpError> {
    let Some(user) = session::user(&session)? else {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, "/"))
            .finish());
    };
    // The hub the person logged in through; the hint is the *signed* ID token (decrypted on
    // FranceConnect+), as OpenID Connect RP-Initiated Logout 1.0 §2 asks.
    let metadata = app
        .hubs
        .get(user.hub)
        .metadata_for(&http, user.api_version)
        .await?;
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .ok_or_else(|| {
            SpError::HubUnreachable("FranceConnect ne publie pas d'end_session_endpoint".into())
        })?;
    let id_token = CoreIdToken::from_str(&user.id_token)
        .map_err(|_| SpError::IdToken("jeton illisible".into()))?;
    let post_logout_redirect_uri =
        PostLogoutRedirectUrl::new(app.config.post_logout_redirect_uri())
            .map_err(|e| SpError::Session(e.to_string()))?;
    let state = fc_plumbing::random::token(32);

    let logout_url = LogoutRequest::from(end_session)
        .set_id_token_hint(&id_token)
        .set_state(CsrfToken::new(state.clone()))
        .set_post_logout_redirect_uri(post_logout_redirect_uri)
        .http_get_url();

    session::set_pending_logout_state(&session, &state)?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, logout_url.as_str()))
        .finish())
}

#[derive(Debug, Deserialize)]
pub struct LogoutCallback {
    pub state: Option<String>,
}

/// `GET /logout-callback`
pub async fn logout_callback_get(
    app: web::Data<AppState>,
    session: Session,
    query: web::Query<LogoutCallback>,
) -> Result<HttpResponse, SpError> {
    let expected = session::pending_logout_state(&session)?.unwrap_or_default();
    if !state_matches(&expected, query.state.as_deref()) {
        return Err(SpError::LogoutStateMismatch);
    }
    // The page names the FranceConnect the person just left.
    let hub = session::user(&session)?.map(|u| u.hub).unwrap_or_default();
    // Everything about the user goes, under a new session id.
    session.clear();
    session.renew();
    tracing::info!("user logged out");

    let mut context = app.pages.context(&session)?;
    context.insert("hub_name", hub.name());
    app.pages.render("logged_out.html", &context)
}
