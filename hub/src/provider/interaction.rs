//! The mire (`docs/hub.md`, "Mire"): the list of identity providers, the choice of one (CSRF-
//! protected, single use) and the "Revenir sur {SP}" way out, which sends the SP `access_denied`.

use serde::Serialize;

use super::SpRedirect;
use crate::error::{Error, ErrorCode, Result};
use crate::federation::IdpLeg;
use crate::platform::Platform;
use crate::registry::IdentityProvider;
use crate::session::{HubSession, Step};

/// One button of the mire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdpButton {
    pub uid: String,
    pub slug: String,
    pub title: String,
    pub enabled: bool,
    /// Why a disabled button is disabled, in French.
    pub reason: &'static str,
}

/// Everything the mire shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MireView {
    pub sp_name: String,
    pub idps: Vec<IdpButton>,
    pub csrf: String,
    pub anonymous: bool,
    /// The IdP whose last attempt failed: a banner names it.
    pub idp_error: Option<String>,
    /// `/api/v1` or `/api/v2`: where the forms post.
    pub prefix: &'static str,
}

/// `GET /interaction/{uid}`: the mire, with a fresh single-use CSRF token.
pub fn mire(platform: &Platform, session: &mut HubSession, uid: &str) -> Result<MireView> {
    let journey = session.journey_for(uid)?;
    journey.not_done("mire shown")?;
    let registry = platform.registry();
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(Error::session_lost)?;
    let requested = journey.request.acr;
    let idps = registry
        .identity_providers
        .iter()
        .filter(|idp| idp.display)
        .map(|idp| {
            let (enabled, reason) = if !idp.active {
                (false, "Indisponible")
            } else if !sp.allows_idp(&idp.uid) {
                (false, "Non proposé par ce service")
            } else if idp.max_acr().is_none_or(|max| max < requested) {
                (false, "Niveau de sécurité insuffisant pour ce service")
            } else {
                (true, "")
            };
            IdpButton {
                uid: idp.uid.clone(),
                slug: idp.slug.clone(),
                title: idp.title.clone(),
                enabled,
                reason,
            }
        })
        .collect();
    journey.step = Step::Mire;
    Ok(MireView {
        sp_name: sp.name.clone(),
        idps,
        csrf: journey.new_csrf(),
        anonymous: journey.request.is_anonymous(),
        idp_error: journey.idp_error.take(),
        prefix: journey.request.api_version.prefix(),
    })
}

/// `POST /redirect-to-idp`: the person chose an IdP; the URL to send the browser to.
pub async fn choose_idp(
    platform: &Platform,
    session: &mut HubSession,
    idp_uid: &str,
    csrf: Option<&str>,
) -> Result<String> {
    let journey = session.journey_mut()?;
    if journey.step != Step::Mire {
        return Err(Error::replayed("IdP chosen twice"));
    }
    journey.spend_csrf(csrf)?;
    let registry = platform.registry();
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(Error::session_lost)?;
    let idp = registry
        .identity_provider(idp_uid)
        .ok_or_else(|| Error::page(ErrorCode::Y020019, "unknown IdP"))?;
    if !idp.active {
        return Err(Error::page(ErrorCode::Y020017, "IdP is inactive"));
    }
    if !sp.allows_idp(&idp.uid) {
        return Err(Error::page(
            ErrorCode::Y020023,
            "IdP not allowed for this SP",
        ));
    }
    let leg = IdpLeg::new(idp, journey.request.acr, journey.request.api_version);
    journey.idp = Some(leg.clone());
    journey.step = Step::AtIdp;
    let url = leg.authorize_url(&resolved(platform, idp).await?);
    tracing::info!(idp = %idp.slug, "IDP_CHOSEN");
    Ok(url)
}

/// `GET /redirect-to-sp-with-error`: the person gives up; the SP gets `access_denied`.
pub fn give_up(platform: &Platform, session: &mut HubSession) -> Result<SpRedirect> {
    let journey = session.journey()?;
    journey.not_done("gave up")?;
    let redirect = SpRedirect::for_request(platform, &journey.request)
        .error("access_denied", "User auth aborted");
    session.journey = None;
    Ok(redirect)
}

/// The IdP with its endpoints, from its discovery document when it registered only its issuer.
pub async fn resolved(platform: &Platform, idp: &IdentityProvider) -> Result<IdentityProvider> {
    crate::federation::discovery::resolved(platform, idp)
        .await
        .map_err(|e| Error::page(ErrorCode::Y020017, format!("IdP {}: {e}", idp.slug)))
}
