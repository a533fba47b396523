//! The mire (SPEC §4.3): the list of identity providers, the choice of one (`POST
//! /redirect-to-idp`, CSRF-protected, single use) and the "Revenir sur {SP}" way out, which
//! sends the SP `error=access_denied`.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{redirect, redirect_to_sp, render};
use crate::error::HubError;
use crate::federation::IdpLeg;
use crate::journey::{self, Step};
use crate::provider::authorize::acr_rank;
use crate::startup::HubState;

#[derive(Serialize)]
struct IdpButton<'a> {
    uid: &'a str,
    slug: &'a str,
    title: &'a str,
    enabled: bool,
    reason: &'a str,
}

pub async fn interaction_get(
    path: web::Path<String>,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let mut journey = journey::journey_for(&session, &path)?;
    if journey.step == Step::Done {
        return Err(HubError::page(
            "Y420001",
            "mire shown after the journey ended",
        ));
    }
    let registry = &state.config.registry;
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(HubError::session_lost)?;
    let requested = acr_rank(&journey.request.acr);
    let buttons: Vec<IdpButton<'_>> = registry
        .identity_providers
        .iter()
        .filter(|idp| idp.display)
        .map(|idp| {
            let max_acr = idp.allowed_acr.iter().filter_map(|a| acr_rank(a)).max();
            let (enabled, reason) = if !idp.active {
                (false, "Indisponible")
            } else if !sp.allows_idp(&idp.uid) {
                (false, "Non proposé par ce service")
            } else if max_acr < requested {
                (false, "Niveau de sécurité insuffisant pour ce service")
            } else {
                (true, "")
            };
            IdpButton {
                uid: &idp.uid,
                slug: &idp.slug,
                title: &idp.title,
                enabled,
                reason,
            }
        })
        .collect();
    let csrf = journey::new_csrf();
    journey.csrf = Some(csrf.clone());
    journey.step = Step::Mire;
    let banner = journey.idp_error.take();
    journey::save_journey(&session, &journey)?;

    let mut ctx = tera::Context::new();
    ctx.insert("sp_name", &sp.name);
    ctx.insert("idps", &buttons);
    ctx.insert("csrf", &csrf);
    ctx.insert("anonymous", &(journey.request.scopes == ["openid"]));
    ctx.insert("idp_error", &banner);
    render(&state.templates, "mire.html", &ctx)
}

#[derive(Deserialize)]
pub struct IdpChoice {
    #[serde(rename = "providerUid")]
    provider_uid: String,
    #[serde(rename = "csrfToken")]
    csrf_token: Option<String>,
}

pub async fn redirect_to_idp_post(
    form: web::Form<IdpChoice>,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let mut journey = journey::journey(&session).ok_or_else(HubError::session_lost)?;
    if journey.step != Step::Mire {
        return Err(HubError::page("Y420001", "IdP chosen twice"));
    }
    journey::spend_csrf(&mut journey, form.csrf_token.as_deref())?;
    let registry = &state.config.registry;
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(HubError::session_lost)?;
    let idp = registry
        .identity_provider(&form.provider_uid)
        .ok_or_else(|| HubError::page("Y020019", "unknown IdP"))?;
    if !idp.active {
        return Err(HubError::page("Y020017", "IdP is inactive"));
    }
    if !sp.allows_idp(&idp.uid) {
        return Err(HubError::page("Y020023", "IdP not allowed for this SP"));
    }
    let leg = IdpLeg::new(idp, &journey.request.acr, &journey.api_version);
    let url = leg.authorize_url(idp);
    journey.idp = Some(leg);
    journey.step = Step::AtIdp;
    journey::save_journey(&session, &journey)?;
    tracing::info!(idp = %idp.slug, "IDP_CHOSEN");
    Ok(redirect(&url))
}

/// "Revenir sur {SP}": the user gives up; the SP gets `access_denied` with its state.
pub async fn redirect_to_sp_with_error_get(
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let journey = journey::journey(&session).ok_or_else(HubError::session_lost)?;
    if journey.step == Step::Done {
        return Err(HubError::page("Y420001", "journey already ended"));
    }
    session.remove("journey");
    let r = &journey.request;
    Ok(redirect_to_sp(
        &r.redirect_uri,
        &[
            ("error", "access_denied"),
            ("error_description", "User auth aborted"),
        ],
        &r.state,
        &state.issuer,
    ))
}
