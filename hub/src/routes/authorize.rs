//! `GET|POST /api/v2/authorize` (SPEC §4.2): validates the request, opens a journey in the hub
//! session and sends the browser on: to the mire, straight to the hinted IdP, or — when an SSO
//! login can serve this SP (SPEC §4.9) — straight to the information page.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{redirect, redirect_to_sp};
use crate::error::{BackLink, HubError};
use crate::federation::IdpLeg;
use crate::journey::{self, Journey, Step};
use crate::provider::authorize::{AuthorizeError, AuthorizeSettings, acr_rank, validate};
use crate::startup::HubState;

pub async fn authorize_get(
    req: HttpRequest,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let params = parse_pairs(req.query_string().as_bytes());
    authorize(params, &session, &state, "v2")
}

/// The v1 entry point: same engine; the SP then uses the v1 token, userinfo and logout.
pub async fn authorize_v1_get(
    req: HttpRequest,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let params = parse_pairs(req.query_string().as_bytes());
    authorize(params, &session, &state, "v1")
}

pub async fn authorize_post(
    body: web::Bytes,
    session: Session,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    authorize(parse_pairs(&body), &session, &state, "v2")
}

fn parse_pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

pub fn authorize(
    params: Vec<(String, String)>,
    session: &Session,
    state: &HubState,
    api_version: &str,
) -> Result<HttpResponse, HubError> {
    let registry = &state.config.registry;
    let settings = AuthorizeSettings {
        acr_supported: &state.config.acr_values,
        api_version,
        relaxed: state.config.relaxed,
    };
    let request = match validate(&params, registry, &settings) {
        Ok(r) => r,
        Err(AuthorizeError::InvalidParameter(detail)) => {
            return Err(HubError::page("Y030007", detail));
        }
        Err(AuthorizeError::UnknownClient) => {
            return Err(HubError::page("Y04EA6EF", "unknown or inactive client_id"));
        }
        Err(AuthorizeError::UnregisteredRedirectUri) => {
            return Err(HubError::page(
                "Y04C013C",
                "redirect_uri is not registered for this client",
            ));
        }
        Err(AuthorizeError::AmrNotAllowed) => {
            return Err(HubError::page(
                "Y100009",
                "amr claim not allowed for this SP",
            ));
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state: sp_state,
            error,
            description,
        }) => {
            return Ok(redirect_to_sp(
                &redirect_uri,
                &[("error", error), ("error_description", &description)],
                &sp_state,
                &state.issuer,
            ));
        }
    };
    let sp = registry
        .service_provider(&request.client_id)
        .ok_or_else(|| HubError::page("Y04EA6EF", "client vanished"))?;
    let back = BackLink {
        sp_name: sp.name.clone(),
        url: fc_plumbing::web::url_with_query(
            &request.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "User auth aborted"),
                ("state", &request.state),
                ("iss", &state.issuer),
            ],
        ),
    };
    let mut journey = Journey {
        uid: fc_plumbing::random::token(16),
        api_version: api_version.to_owned(),
        request: request.clone().into(),
        step: Step::Mire,
        csrf: None,
        idp: None,
        idp_error: None,
        login: None,
        is_sso: false,
    };

    // SSO: a finished login whose acr is enough and whose IdP this SP may use skips mire and IdP.
    if let Some(login) = journey::sso(session)
        && acr_rank(&login.idp_acr) >= acr_rank(&request.acr)
        && registry
            .identity_provider(&login.idp_uid)
            .is_some_and(|idp| idp.active && sp.allows_idp(&idp.uid))
    {
        journey.login = Some(login);
        journey.is_sso = true;
        journey.step = Step::Consent;
        journey::save_journey(session, &journey)?;
        return Ok(see_other(&format!(
            "/api/v2/interaction/{}/consent",
            journey.uid
        )));
    }

    if let Some(hint) = &request.idp_hint {
        let idp = registry
            .identity_provider(hint)
            .filter(|i| i.active && sp.allows_idp(&i.uid))
            .ok_or_else(|| {
                HubError::page(
                    "Y020017",
                    format!("hinted IdP {hint:?} is unknown or inactive"),
                )
                .with_back(Some(back))
            })?;
        let leg = IdpLeg::new(idp, &request.acr, api_version);
        let url = leg.authorize_url(idp);
        journey.idp = Some(leg);
        journey.step = Step::AtIdp;
        journey::save_journey(session, &journey)?;
        return Ok(redirect(&url));
    }

    journey::save_journey(session, &journey)?;
    Ok(see_other(&format!("/api/v2/interaction/{}", journey.uid)))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}
