//! What the hub remembers about a browser between requests (SPEC §4.9), kept in its server-side
//! session: the journey in progress, the finished login that SSO reuses, and a pending logout.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::error::HubError;
use crate::federation::IdpLeg;
use crate::provider::authorize::AuthorizeRequest;
use crate::provider::identity::Identity;

const JOURNEY: &str = "journey";
const SSO: &str = "sso";
const LOGOUT: &str = "logout";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// The mire is shown (or about to be).
    Mire,
    /// The browser was sent to the IdP.
    AtIdp,
    /// Identity known, information/consent page shown.
    Consent,
    /// A code was sent to the SP: every one-shot step is now spent.
    Done,
}

/// The login an IdP confirmed; SSO reuses it for the next SP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Login {
    pub idp_uid: String,
    pub identity: Identity,
    pub idp_acr: String,
    pub amr: Vec<String>,
    pub idp_id_token: String,
    pub auth_time: i64,
}

/// One authorization in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub uid: String,
    pub api_version: String,
    pub request: AuthorizeRequestData,
    pub step: Step,
    /// The single-use CSRF token of the current form (mire or consent).
    pub csrf: Option<String>,
    pub idp: Option<IdpLeg>,
    /// Title of the IdP whose last attempt failed: the mire shows a banner.
    pub idp_error: Option<String>,
    pub login: Option<Login>,
    pub is_sso: bool,
}

/// `AuthorizeRequest` as stored in the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizeRequestData {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub scopes: Vec<String>,
    pub acr: String,
    pub prompt: Option<String>,
    pub amr_requested: bool,
    pub idp_hint: Option<String>,
    pub code_challenge: Option<String>,
}

impl From<AuthorizeRequest> for AuthorizeRequestData {
    fn from(r: AuthorizeRequest) -> Self {
        Self {
            client_id: r.client_id,
            redirect_uri: r.redirect_uri,
            state: r.state,
            nonce: r.nonce,
            scopes: r.scopes,
            acr: r.acr,
            prompt: r.prompt,
            amr_requested: r.amr_requested,
            idp_hint: r.idp_hint,
            code_challenge: r.code_challenge,
        }
    }
}

/// Where the logout chain must end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingLogout {
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

fn get<T: serde::de::DeserializeOwned>(session: &Session, key: &str) -> Option<T> {
    // A session entry that no longer parses (e.g. after an upgrade) is as good as none.
    session.get::<T>(key).ok().flatten()
}

fn set<T: Serialize>(session: &Session, key: &str, value: &T) -> Result<(), HubError> {
    session
        .insert(key, value)
        .map_err(|e| HubError::internal(format!("session write: {e}")))
}

pub fn journey(session: &Session) -> Option<Journey> {
    get(session, JOURNEY)
}

/// The journey whose interaction id is `uid`, or Y190001.
pub fn journey_for(session: &Session, uid: &str) -> Result<Journey, HubError> {
    journey(session)
        .filter(|j| j.uid == uid)
        .ok_or_else(HubError::session_lost)
}

pub fn save_journey(session: &Session, journey: &Journey) -> Result<(), HubError> {
    set(session, JOURNEY, journey)
}

pub fn sso(session: &Session) -> Option<Login> {
    get(session, SSO)
}

pub fn save_sso(session: &Session, login: &Login) -> Result<(), HubError> {
    set(session, SSO, login)
}

pub fn pending_logout(session: &Session) -> Option<PendingLogout> {
    get(session, LOGOUT)
}

pub fn save_pending_logout(session: &Session, logout: &PendingLogout) -> Result<(), HubError> {
    set(session, LOGOUT, logout)
}

/// A new single-use CSRF token.
pub fn new_csrf() -> String {
    fc_plumbing::random::hex64()
}

/// Checks and spends the journey's CSRF token.
pub fn spend_csrf(journey: &mut Journey, presented: Option<&str>) -> Result<(), HubError> {
    match (journey.csrf.take(), presented) {
        (Some(expected), Some(given)) if fc_plumbing::random::secure_eq(&expected, given) => Ok(()),
        (None, _) => Err(HubError::page("Y420001", "form submitted twice")),
        _ => Err(HubError::page("Y470001", "bad CSRF token")),
    }
}
