//! The information / consent page and its form (`docs/hub.md`, "Consent").
//!
//! The page says who the person is about to log in as and, per provider, what will be sent — in
//! words a citizen reads ("Féminin", "27 juillet 1981"), naming the identity provider that
//! vouched for the identity and each data provider. Data provider scopes, or a private SP with
//! `identity_consent`, require an explicit "J'accepte"; refusing sends the SP `access_denied`.
//! The form is CSRF-protected and single use: submitting it twice gives Y420001 rather than a
//! second code. An SP allowed `prompt=login` without `consent`, needing no consent, skips the
//! page (FranceConnect's auto-login).

use serde::Serialize;

use super::SpRedirect;
use super::scopes::{claims_of_scopes, data_scope_label, data_scope_provider};
use super::sub::pairwise_sub;
use super::tokens::{self, Grant};
use crate::domain::Identity;
use crate::error::{Error, ErrorCode, Result};
use crate::instance::Instance;
use crate::platform::Platform;
use crate::registry::{Registry, ServiceProvider, SpType};
use crate::session::{HubSession, Journey, Login, Step};

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// "Informations récupérées depuis {provider}".
    pub provider: String,
    pub items: Vec<Item>,
}

/// Everything the consent page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsentView {
    pub sp_name: String,
    pub given_name: String,
    pub family_name: String,
    pub anonymous: bool,
    pub groups: Vec<Group>,
    pub consent_required: bool,
    pub asks_data: bool,
    pub csrf: String,
    pub is_sso: bool,
    /// `/api/v1` or `/api/v2`: where the form posts.
    pub prefix: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConsentOutcome {
    Show(Box<ConsentView>),
    /// No page to show (auto-login): the code goes to the SP at once.
    Redirect(SpRedirect),
}

fn asks_data(registry: &Registry, journey: &Journey) -> bool {
    journey
        .request
        .scopes
        .iter()
        .any(|s| registry.is_data_scope(s))
}

fn consent_required(registry: &Registry, journey: &Journey, sp: &ServiceProvider) -> bool {
    asks_data(registry, journey)
        || (sp.sp_type == SpType::Private && sp.identity_consent && !journey.request.is_anonymous())
}

/// FranceConnect skips the information page when the SP asked `prompt=login` without
/// `consent`, may use that prompt, and no consent is legally required.
fn skips_page(registry: &Registry, journey: &Journey, sp: &ServiceProvider) -> bool {
    journey.request.prompt.is_some_and(|prompt| {
        !prompt.consent && sp.allows_prompt(prompt) && !consent_required(registry, journey, sp)
    })
}

/// `GET /interaction/{uid}/consent`.
pub async fn show(
    platform: &Platform,
    session: &mut HubSession,
    uid: &str,
) -> Result<ConsentOutcome> {
    let registry = platform.registry();
    let journey = session.journey_for(uid)?;
    journey.not_done("consent page")?;
    let login = journey.login()?.clone();
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(Error::session_lost)?;
    if skips_page(&registry, journey, sp) {
        journey.step = Step::Done;
        journey.csrf = None;
        let journey = journey.clone();
        return send_code(platform, session, &journey, &login, sp)
            .await
            .map(ConsentOutcome::Redirect);
    }
    let idp_title = registry.identity_provider(&login.idp_uid).map_or_else(
        || "votre fournisseur d'identité".to_owned(),
        |i| i.title.clone(),
    );
    let mut groups = Vec::new();
    let identity = identity_items(
        platform.settings.instance,
        &login.identity,
        &journey.request.scopes,
    );
    if !identity.is_empty() {
        groups.push(Group {
            provider: idp_title,
            items: identity,
        });
    }
    groups.extend(data_groups(&registry, &journey.request.scopes));
    journey.step = Step::Consent;
    Ok(ConsentOutcome::Show(Box::new(ConsentView {
        sp_name: sp.name.clone(),
        given_name: login.identity.given_name.clone(),
        family_name: login.identity.family_name.to_uppercase(),
        anonymous: journey.request.is_anonymous(),
        groups,
        consent_required: consent_required(&registry, journey, sp),
        asks_data: asks_data(&registry, journey),
        csrf: journey.new_csrf(),
        is_sso: journey.is_sso,
        prefix: journey.request.api_version.prefix(),
    })))
}

/// The identity claims the scopes release, as a person reads them.
fn identity_items(instance: Instance, identity: &Identity, scopes: &[String]) -> Vec<Item> {
    use fc_plumbing::french;
    let claims = claims_of_scopes(instance, scopes);
    CLAIM_ORDER
        .iter()
        .filter(|c| claims.contains(c))
        .filter_map(|claim| {
            let value = match *claim {
                "family_name" => identity.family_name.clone(),
                "preferred_username" => identity.preferred_username.clone()?,
                "given_name" => identity.given_name.clone(),
                "gender" => french::gender(&identity.gender),
                "birthdate" => french::date(&identity.birthdate),
                "birthplace" if identity.birthplace.is_empty() => return None,
                "birthplace" => french::commune(&identity.birthplace),
                "birthcountry" => french::country(&identity.birthcountry),
                "email" => identity.email.clone(),
                "phone_number" => identity.phone_number.clone()?,
                "address" => identity
                    .address
                    .as_ref()?
                    .get("formatted")?
                    .as_str()?
                    .to_owned(),
                _ => return None,
            };
            Some(Item {
                label: super::scopes::claim_label(claim)?.to_owned(),
                value,
            })
        })
        .collect()
}

/// Data scopes grouped by the provider that serves them, in registration order.
fn data_groups(registry: &Registry, scopes: &[String]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for dp in &registry.data_providers {
        for scope in scopes.iter().filter(|s| dp.scopes.contains(s)) {
            let provider = data_scope_provider(scope).unwrap_or(&dp.title).to_owned();
            let item = Item {
                label: data_scope_label(scope).to_owned(),
                value: String::new(),
            };
            match groups.iter_mut().find(|g| g.provider == provider) {
                Some(group) => group.items.push(item),
                None => groups.push(Group {
                    provider,
                    items: vec![item],
                }),
            }
        }
    }
    groups
}

/// `POST /login`: the person accepted (or refused) on the consent page.
pub async fn submit(
    platform: &Platform,
    session: &mut HubSession,
    csrf: Option<&str>,
    consented: bool,
    refused: bool,
) -> Result<SpRedirect> {
    let registry = platform.registry();
    let journey = session.journey_mut()?;
    if journey.step != Step::Consent {
        return Err(Error::replayed("consent submitted twice or out of order"));
    }
    journey.spend_csrf(csrf)?;
    let login = journey.login()?.clone();
    let sp = registry
        .service_provider(&journey.request.client_id)
        .ok_or_else(Error::session_lost)?;
    journey.step = Step::Done;
    let journey = journey.clone();
    if refused || (consent_required(&registry, &journey, sp) && !consented) {
        tracing::info!(sp = %sp.name, "FC_REFUSED_CONSENT");
        return Ok(SpRedirect::for_request(platform, &journey.request)
            .error("access_denied", "User refused to share data"));
    }
    send_code(platform, session, &journey, &login, sp).await
}

/// The end of a journey: a single-use code for the SP, and the login kept for SSO.
async fn send_code(
    platform: &Platform,
    session: &mut HubSession,
    journey: &Journey,
    login: &Login,
    sp: &ServiceProvider,
) -> Result<SpRedirect> {
    let r = &journey.request;
    // The acr given to the SP: the IdP's when the platform knows it, else the one requested;
    // in SSO, FranceConnect+ steps it down to a level SSO may vouch for.
    let settings = &platform.settings;
    let acr = settings
        .instance
        .acr_for_sp(
            login.idp_acr,
            r.acr,
            &settings.acr_supported,
            journey.is_sso,
        )
        .ok_or_else(|| {
            Error::page(
                ErrorCode::Y520001,
                format!("no level SSO may vouch for below {}", login.idp_acr),
            )
        })?;
    super::encryption::check_sp_keys(platform, sp)
        .await
        .map_err(|e| e.with_back(Some(super::authorize::give_up_link(platform, journey, sp))))?;
    let grant = Grant {
        request: r.clone(),
        acr,
        amr: r.amr_requested.then(|| login.amr.clone()),
        auth_time: login.auth_time,
        identity: login.identity.clone(),
        sub: pairwise_sub(
            &sp.entity_id,
            &login.identity,
            platform.settings.sub_secret.expose(),
        ),
        idp_uid: login.idp_uid.clone(),
    };
    let code = tokens::issue_code(platform, grant).await?;
    session.sso = Some(login.clone());
    tracing::info!(sp = %sp.name, sso = journey.is_sso, "FC_REDIRECTED_TO_SP");
    let redirect = SpRedirect::for_request(platform, r).code(&code);
    super::scenario::shape_callback(platform, sp, r.api_version, redirect).await
}
