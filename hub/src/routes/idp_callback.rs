//! `GET /api/v2/oidc-callback` (SPEC §4.4): the browser comes back from the IdP.
//!
//! The state must be the one sent (Y020021 missing, Y020022 wrong). An IdP error sends the user
//! back to the mire with a banner naming the IdP, as FranceConnect does. Otherwise the code is
//! exchanged and the identity checked in `federation`; the session id is then rotated so a
//! session fixed before login is worthless after it.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::redirect;
use crate::error::{BackLink, HubError};
use crate::federation::{self, FederationError};
use crate::journey::{self, Login, Step};
use crate::startup::HubState;

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn oidc_callback_get(
    query: web::Query<CallbackQuery>,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let mut journey = journey::journey(&session).ok_or_else(HubError::session_lost)?;
    let leg = journey
        .idp
        .clone()
        .ok_or_else(|| HubError::page("Y420001", "no IdP redirect pending"))?;
    let given_state = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| HubError::page("Y020021", "IdP callback without state"))?;
    if !fc_plumbing::random::secure_eq(given_state, &leg.state) {
        return Err(HubError::page("Y020022", "IdP callback with a wrong state"));
    }
    if journey.step != Step::AtIdp {
        return Err(HubError::page("Y420001", "IdP callback replayed"));
    }
    let registry = &state.config.registry;
    let idp = registry
        .identity_provider(&leg.idp_uid)
        .ok_or_else(|| HubError::page("Y020019", "IdP vanished"))?;
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(HubError::session_lost)?;
    let back = Some(BackLink {
        sp_name: sp.name.clone(),
        url: fc_plumbing::web::url_with_query(
            &journey.request.redirect_uri,
            &[
                ("error", "server_error"),
                (
                    "error_description",
                    "authentication aborted due to a technical error on the authorization server",
                ),
                ("state", &journey.request.state),
                ("iss", &state.issuer),
            ],
        ),
    });

    if let Some(error) = &query.error {
        tracing::info!(idp = %idp.slug, error = %error.chars().take(64).collect::<String>(), "IDP_CALLEDBACK_WITH_ERROR");
        journey.idp_error = Some(idp.title.clone());
        journey.idp = None;
        journey.step = Step::Mire;
        journey::save_journey(&session, &journey)?;
        return Ok(redirect(&format!("/api/v2/interaction/{}", journey.uid)));
    }
    let code = query
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| HubError::page("Y020025", "IdP callback without code"))?;

    // The leg is spent whatever happens next: a reload cannot redeem the IdP code twice.
    journey.step = Step::Consent;
    journey.idp = None;
    journey::save_journey(&session, &journey)?;

    let now = state.config.clock.now();
    let login = federation::complete_login(&state.back_channel, idp, &leg, code, now)
        .await
        .map_err(|e| {
            let code = match e {
                FederationError::TokenCall(_) => "Y020026",
                FederationError::IdToken(_) => "Y020030",
                FederationError::Userinfo(_) => "Y020027",
                FederationError::UserinfoSub => "Y020029",
                FederationError::InvalidIdentity(_) => "Y600006",
                FederationError::AcrTooLow { .. } => "Y100001",
                FederationError::AcrNotAllowed(_) => "Y100018",
            };
            HubError::page(code, format!("IdP {}: {e}", idp.slug)).with_back(back.clone())
        })?;

    session.renew();
    journey.login = Some(Login {
        idp_uid: idp.uid.clone(),
        identity: login.identity,
        idp_acr: login.acr,
        amr: idp.amr.clone(),
        idp_id_token: login.id_token,
        auth_time: now,
    });
    journey::save_journey(&session, &journey)?;
    tracing::info!(idp = %idp.slug, "IDP_CALLEDBACK");
    Ok(redirect(&format!(
        "/api/v2/interaction/{}/consent",
        journey.uid
    )))
}
