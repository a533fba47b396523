//! What the SP keeps in its server-side session (cookie `sp_session`) once a person logged in.
//!
//! The cookie only carries an opaque id; the values below live in memory on the server
//! (`fc_plumbing::session`). A login in progress is *not* here: it travels in its own encrypted
//! cookie ([`crate::pending`]), so a session exists only for a browser that logged in (or read
//! its journal). A logged-in session is marked established, which keeps it in the session store's
//! active tier, out of reach of floods of new sessions.

use actix_session::Session;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SpError;
use crate::hub::{ApiVersion, Platform};

const USER: &str = "user";
const DATA_GRANT: &str = "data_grant";
const PENDING_LOGOUT: &str = "pending_logout";

/// Why the user was sent to FranceConnect: to log in, or to authorise a call to the data provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    Identity,
    Data,
}

/// The person FranceConnect identified, with everything needed to show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The hub the user logged in through: logout and "Recharger userinfo" go to the same one.
    #[serde(default)]
    pub hub: Platform,
    /// The API the user logged in with: logout and "Recharger userinfo" use the same one.
    pub api_version: ApiVersion,
    pub sub: String,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    /// The signed ID token (the JWS, decrypted first on FranceConnect+): shown to the user and
    /// sent back as `id_token_hint` at logout (OpenID Connect RP-Initiated Logout 1.0 §2).
    pub id_token: String,
    /// The protected header of the encrypted ID token, when the hub encrypted it (FranceConnect+).
    #[serde(default)]
    pub id_token_jwe_header: Option<Value>,
    pub id_token_header: Value,
    pub id_token_payload: Value,
    /// The verified userinfo claims.
    pub userinfo: Value,
    pub scope: Option<String>,
    /// The access token, kept for "Recharger userinfo" (it only lives 60 seconds).
    pub access_token: Option<String>,
    /// When the access token expires (Unix time); FranceConnect gives 60 seconds.
    pub access_token_expires_at: Option<i64>,
}

/// The access token of the data pass, the one the data provider accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataGrant {
    pub access_token: String,
    pub scope: Option<String>,
    /// Unix time.
    pub expires_at: Option<i64>,
}

pub fn user(session: &Session) -> Result<Option<User>, SpError> {
    Ok(session.get(USER)?)
}

pub fn set_user(session: &Session, user: &User) -> Result<(), SpError> {
    Ok(session.insert(USER, user)?)
}

pub fn data_grant(session: &Session) -> Result<Option<DataGrant>, SpError> {
    Ok(session.get(DATA_GRANT)?)
}

pub fn set_data_grant(session: &Session, grant: &DataGrant) -> Result<(), SpError> {
    Ok(session.insert(DATA_GRANT, grant)?)
}

/// Marks the session established: a person logged in, the session store keeps it in its active
/// tier whatever floods of new sessions come.
pub fn establish(session: &Session) -> Result<(), SpError> {
    Ok(fc_plumbing::session::mark_established(session)?)
}

pub fn pending_logout_state(session: &Session) -> Result<Option<String>, SpError> {
    Ok(session.get(PENDING_LOGOUT)?)
}

pub fn set_pending_logout_state(session: &Session, state: &str) -> Result<(), SpError> {
    Ok(session.insert(PENDING_LOGOUT, state)?)
}
