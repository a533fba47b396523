//! What the hub remembers about one browser between requests (`docs/hub.md`, "Sessions and SSO"):
//! the journey in progress, the finished login that SSO reuses, and a pending logout.
//!
//! Plain data: routes load it from the session store before calling the domain and write back
//! only what the domain changed, so a request that fails or changes nothing creates no session.

use serde::{Deserialize, Serialize};

use crate::domain::{Acr, Identity};
use crate::error::{Error, ErrorCode, Result};
use crate::federation::IdpLeg;
use crate::provider::authorize::AuthorizeRequest;

/// Where a journey stands; every one-shot step checks it, so a reload gives Y420001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// The mire is shown (or about to be).
    Mire,
    /// The browser was sent to the IdP.
    AtIdp,
    /// Identity known, information/consent page shown.
    Consent,
    /// A code (or an error) was sent to the SP: every one-shot step is now spent.
    Done,
}

/// The login an IdP confirmed; SSO reuses it for the next SP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Login {
    pub idp_uid: String,
    pub identity: Identity,
    pub idp_acr: Acr,
    pub amr: Vec<String>,
    /// The IdP's ID token, sent back to it as `id_token_hint` at logout.
    pub idp_id_token: String,
    pub auth_time: i64,
}

/// One authorization in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub uid: String,
    pub request: AuthorizeRequest,
    pub step: Step,
    /// The single-use CSRF token of the current form (mire or consent).
    pub csrf: Option<String>,
    pub idp: Option<IdpLeg>,
    /// Title of the IdP whose last attempt failed: the mire shows a banner.
    pub idp_error: Option<String>,
    pub login: Option<Login>,
    pub is_sso: bool,
}

impl Journey {
    pub fn new(request: AuthorizeRequest) -> Self {
        Self {
            uid: fc_plumbing::random::token(16),
            request,
            step: Step::Mire,
            csrf: None,
            idp: None,
            idp_error: None,
            login: None,
            is_sso: false,
        }
    }

    /// A fresh single-use CSRF token for the form about to be shown.
    pub fn new_csrf(&mut self) -> String {
        let csrf = fc_plumbing::random::hex64();
        self.csrf = Some(csrf.clone());
        csrf
    }

    /// Checks and spends the journey's CSRF token.
    pub fn spend_csrf(&mut self, presented: Option<&str>) -> Result<()> {
        match (self.csrf.take(), presented) {
            (Some(expected), Some(given)) if fc_plumbing::random::secure_eq(&expected, given) => {
                Ok(())
            }
            (None, _) => Err(Error::replayed("form submitted twice")),
            _ => Err(Error::page(ErrorCode::Y470001, "bad CSRF token")),
        }
    }

    /// Refuses a step shown after the journey ended (a reload or the back button).
    pub fn not_done(&self, what: &str) -> Result<()> {
        if self.step == Step::Done {
            return Err(Error::replayed(format!("{what} after the journey ended")));
        }
        Ok(())
    }

    pub fn login(&self) -> Result<&Login> {
        self.login
            .as_ref()
            .ok_or_else(|| Error::page(ErrorCode::Y190001, "no identity in the journey"))
    }
}

/// Where the logout chain must end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingLogout {
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub api_version: crate::domain::ApiVersion,
}

/// Everything the hub keeps for one browser.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HubSession {
    pub journey: Option<Journey>,
    pub sso: Option<Login>,
    pub logout: Option<PendingLogout>,
}

impl HubSession {
    pub fn journey(&self) -> Result<&Journey> {
        self.journey.as_ref().ok_or_else(Error::session_lost)
    }

    pub fn journey_mut(&mut self) -> Result<&mut Journey> {
        self.journey.as_mut().ok_or_else(Error::session_lost)
    }

    /// The journey whose interaction id is `uid`, or Y190001.
    pub fn journey_for(&mut self, uid: &str) -> Result<&mut Journey> {
        self.journey
            .as_mut()
            .filter(|j| j.uid == uid)
            .ok_or_else(Error::session_lost)
    }
}

/// Session keys of each part (the session store keeps one JSON value per key).
pub mod keys {
    pub const JOURNEY: &str = "journey";
    pub const SSO: &str = "sso";
    pub const LOGOUT: &str = "logout";
}
