//! Information / consent page and its form (SPEC §4.5).
//!
//! The page says who the user is about to log in as and, per provider, what will be sent. Data
//! provider scopes, or a private SP with `identity_consent`, require an explicit "J'accepte";
//! refusing sends the SP `access_denied`. The form is CSRF-protected and single use: submitting
//! it twice gives Y420001 rather than a second code.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{redirect_to_sp, render};
use crate::error::HubError;
use crate::journey::{self, Journey, Login, Step};
use crate::provider::scopes::{claim_label, claim_value, claims_of_scopes, data_scope_label};
use crate::provider::sub::pairwise_sub;
use crate::provider::tokens::Grant;
use crate::registry::{ServiceProvider, SpType};
use crate::startup::HubState;

/// Display order of identity claims (FranceConnect's `sortedClaims`).
const CLAIM_ORDER: &[&str] = &[
    "family_name",
    "preferred_username",
    "given_name",
    "gender",
    "birthdate",
    "birthplace",
    "birthcountry",
    "address",
    "email",
    "phone_number",
];

#[derive(Serialize)]
struct Item {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct Group {
    provider: String,
    items: Vec<Item>,
}

fn consent_required(journey: &Journey, sp: &ServiceProvider, state: &HubState) -> bool {
    let registry = &state.config.registry;
    let anonymous = journey.request.scopes == ["openid"];
    journey
        .request
        .scopes
        .iter()
        .any(|s| registry.is_data_scope(s))
        || (sp.sp_type == SpType::Private && sp.identity_consent && !anonymous)
}

pub async fn consent_get(
    path: web::Path<String>,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let mut journey = journey::journey_for(&session, &path)?;
    if journey.step == Step::Done {
        return Err(HubError::page(
            "Y420001",
            "consent page after the journey ended",
        ));
    }
    let login = journey
        .login
        .clone()
        .ok_or_else(|| HubError::page("Y190001", "consent page without identity"))?;
    let registry = &state.config.registry;
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(HubError::session_lost)?;

    if skips_consent(&journey, sp, &state) {
        journey.step = Step::Done;
        journey.csrf = None;
        journey::save_journey(&session, &journey)?;
        return send_code(&session, &state, &journey, &login, sp);
    }

    let identity = &login.identity;
    let claims = claims_of_scopes(&journey.request.scopes);
    let mut groups = Vec::new();
    let items: Vec<Item> = CLAIM_ORDER
        .iter()
        .filter(|c| claims.contains(c))
        .filter_map(|c| {
            let label = claim_label(c)?;
            let value = claim_value(identity, c)?;
            let value = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Object(o) => o
                    .get("formatted")
                    .and_then(|f| f.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                other => other.to_string(),
            };
            Some(Item {
                label: label.to_owned(),
                value,
            })
        })
        .collect();
    if !items.is_empty() {
        groups.push(Group {
            provider: "FranceConnect".into(),
            items,
        });
    }
    for dp in &registry.data_providers {
        let items: Vec<Item> = journey
            .request
            .scopes
            .iter()
            .filter(|s| dp.scopes.contains(s))
            .map(|s| Item {
                label: data_scope_label(s).to_owned(),
                value: String::new(),
            })
            .collect();
        if !items.is_empty() {
            groups.push(Group {
                provider: dp.title.clone(),
                items,
            });
        }
    }

    let csrf = journey::new_csrf();
    journey.csrf = Some(csrf.clone());
    journey.step = Step::Consent;
    journey::save_journey(&session, &journey)?;

    let mut ctx = tera::Context::new();
    ctx.insert("sp_name", &sp.name);
    ctx.insert("given_name", &identity.given_name);
    ctx.insert("family_name", &identity.family_name.to_uppercase());
    ctx.insert("anonymous", &(journey.request.scopes == ["openid"]));
    ctx.insert("groups", &groups);
    ctx.insert("consent_required", &consent_required(&journey, sp, &state));
    ctx.insert("csrf", &csrf);
    ctx.insert("is_sso", &journey.is_sso);
    render(&state.templates, "consent.html", &ctx)
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(rename = "csrfToken")]
    csrf_token: Option<String>,
    consent: Option<String>,
    refuse: Option<String>,
}

pub async fn login_post(
    form: web::Form<ConsentForm>,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let mut journey = journey::journey(&session).ok_or_else(HubError::session_lost)?;
    if journey.step != Step::Consent {
        return Err(HubError::page(
            "Y420001",
            "consent submitted twice or out of order",
        ));
    }
    journey::spend_csrf(&mut journey, form.csrf_token.as_deref())?;
    let login = journey
        .login
        .clone()
        .ok_or_else(|| HubError::page("Y190001", "consent without identity"))?;
    let registry = &state.config.registry;
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(HubError::session_lost)?;
    let r = journey.request.clone();

    journey.step = Step::Done;
    journey::save_journey(&session, &journey)?;
    if form.refuse.is_some() || (consent_required(&journey, sp, &state) && form.consent.is_none()) {
        return Ok(redirect_to_sp(
            &r.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "User refused to share data"),
            ],
            &r.state,
            &state.issuer,
        ));
    }

    send_code(&session, &state, &journey, &login, sp)
}

/// The end of a journey: a single-use code for the SP, and the login kept for SSO.
fn send_code(
    session: &Session,
    state: &HubState,
    journey: &Journey,
    login: &Login,
    sp: &ServiceProvider,
) -> Result<HttpResponse, HubError> {
    let r = &journey.request;
    // The acr given to the SP: the IdP's when the platform knows it, else the one requested.
    let acr = if state.config.acr_values.contains(&login.idp_acr) {
        login.idp_acr.clone()
    } else {
        r.acr.clone()
    };
    let grant = Grant {
        client_id: r.client_id.clone(),
        redirect_uri: r.redirect_uri.clone(),
        scopes: r.scopes.clone(),
        nonce: r.nonce.clone(),
        acr,
        amr: r.amr_requested.then(|| login.amr.clone()),
        auth_time: login.auth_time,
        sub: pairwise_sub(&sp.entity_id, &login.identity, &state.config.sub_secret),
        identity: login.identity.clone(),
        idp_uid: login.idp_uid.clone(),
        api_version: journey.api_version.clone(),
        code_challenge: r.code_challenge.clone(),
    };
    let code = state.tokens.issue_code(grant);
    journey::save_sso(session, login)?;
    tracing::info!(sp = %sp.name, sso = journey.is_sso, "FC_REDIRECTED_TO_SP");
    Ok(redirect_to_sp(
        &r.redirect_uri,
        &[("code", &code)],
        &r.state,
        &state.issuer,
    ))
}

/// FranceConnect skips the information page when the SP asked `prompt=login` without
/// `consent`, may use that prompt, and no consent is legally required.
fn skips_consent(journey: &Journey, sp: &ServiceProvider, state: &HubState) -> bool {
    let Some(prompt) = journey.request.prompt.as_deref() else {
        return false;
    };
    let values: Vec<&str> = prompt.split(' ').collect();
    !values.contains(&"consent")
        && values
            .iter()
            .all(|v| sp.allowed_prompts.iter().any(|a| a == v))
        && !consent_required(journey, sp, state)
}
