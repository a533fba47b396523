//! The browser comes back from the IdP (`docs/hub.md`, "Identity providers").
//!
//! Before any back-channel call: the `state` must be the one sent (Y020021 missing, Y020022
//! wrong) and an RFC 9207 `iss`, when the IdP sends one, must be the IdP's issuer byte for byte
//! (Y020031) — a mix-up attack would otherwise have the hub redeem a code at the wrong IdP. An IdP
//! error sends the person back to the mire with a banner naming the IdP, as FranceConnect does.
//! Otherwise the leg is spent (a reload cannot redeem the IdP's code twice), the code exchanged
//! and the identity checked; the route then renews the session id, so a session fixed before
//! login is worthless after it.

use super::IdpLeg;
use super::client::complete_login;
use crate::error::{BackLink, Error, ErrorCode, Result};
use crate::platform::Platform;
use crate::provider::SpRedirect;
use crate::session::{HubSession, Login, Step};

/// The callback's query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The IdP said no: back to the mire, with a banner.
    BackToMire { uid: String },
    /// The person is identified: renew the session id, go to the information page.
    Identified { uid: String },
}

pub async fn callback(
    platform: &Platform,
    session: &mut HubSession,
    query: &CallbackQuery,
) -> Result<CallbackOutcome> {
    let registry = platform.registry();
    let journey = session.journey_mut()?;
    let leg: IdpLeg = journey
        .idp
        .clone()
        .ok_or_else(|| Error::replayed("no IdP redirect pending"))?;
    let given_state = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::page(ErrorCode::Y020021, "IdP callback without state"))?;
    if !fc_plumbing::random::secure_eq(given_state, &leg.state) {
        return Err(Error::page(
            ErrorCode::Y020022,
            "IdP callback with a wrong state",
        ));
    }
    if journey.step != Step::AtIdp {
        return Err(Error::replayed("IdP callback replayed"));
    }
    let registered = registry
        .identity_provider(&leg.idp_uid)
        .ok_or_else(|| Error::page(ErrorCode::Y020019, "IdP vanished"))?;
    let idp = &super::discovery::resolved(platform, registered)
        .await
        .map_err(|e| Error::page(ErrorCode::Y020026, format!("IdP {}: {e}", registered.slug)))?;
    if let Some(iss) = &query.iss
        && iss != &idp.issuer
    {
        return Err(Error::page(
            ErrorCode::Y020031,
            format!(
                "IdP callback iss {:?} is not {}'s issuer",
                fc_plumbing::request_log::capped(iss),
                idp.slug
            ),
        ));
    }
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(Error::session_lost)?;
    let back = Some(BackLink {
        sp_name: sp.name.clone(),
        url: SpRedirect::for_request(platform, &journey.request)
            .error(
                "server_error",
                "authentication aborted due to a technical error on the authorization server",
            )
            .location(),
    });

    if let Some(error) = &query.error {
        tracing::info!(idp = %idp.slug, error = %fc_plumbing::request_log::capped(error), "IDP_CALLEDBACK_WITH_ERROR");
        journey.idp_error = Some(idp.title.clone());
        journey.idp = None;
        journey.step = Step::Mire;
        return Ok(CallbackOutcome::BackToMire {
            uid: journey.uid.clone(),
        });
    }
    let code = query
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::page(ErrorCode::Y020025, "IdP callback without code"))?;

    // The leg is spent whatever happens next: a reload cannot redeem the IdP's code twice.
    journey.step = Step::Consent;
    journey.idp = None;
    let uid = journey.uid.clone();
    let login = complete_login(platform, idp, &leg, code)
        .await
        .map_err(|e| Error::page(e.code(), format!("IdP {}: {e}", idp.slug)).with_back(back))?;

    let journey = session.journey_mut()?;
    journey.login = Some(Login {
        idp_uid: idp.uid.clone(),
        identity: login.identity,
        idp_acr: login.acr,
        amr: idp.amr.clone(),
        idp_id_token: login.id_token,
        auth_time: platform.clock.now(),
    });
    tracing::info!(idp = %idp.slug, "IDP_CALLEDBACK");
    Ok(CallbackOutcome::Identified { uid })
}
