//! What the SP keeps in its server-side session (cookie `sp_session`, SPEC §2, §7).
//!
//! The cookie only carries an opaque id; the values below live in memory on the server
//! (`fc_plumbing::session`). Between the redirect to FranceConnect and the callback we keep the
//! `state` and `nonce` we sent, so the callback can prove that it answers *this* browser's request
//! (state, against CSRF) and that the ID token was minted for it (nonce, against replay).

use actix_session::Session;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SpError;
use crate::hub::ApiVersion;

const PENDING_LOGIN: &str = "pending_login";
const USER: &str = "user";
const DATA_GRANT: &str = "data_grant";
const PENDING_LOGOUT: &str = "pending_logout";

/// Why the user was sent to FranceConnect: to log in, or to authorise a call to the data provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    Identity,
    Data,
}

/// A login sent to FranceConnect and not yet back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub purpose: Purpose,
    /// Which API the login started on: the callback must finish it on the same one.
    #[serde(default)]
    pub api_version: ApiVersion,
    /// The PKCE `code_verifier`, only when the tester asked for PKCE (relaxed hubs only).
    #[serde(default)]
    pub pkce_verifier: Option<String>,
    /// The authorize URL built for this login (the options page shows it before leaving).
    #[serde(default)]
    pub authorize_url: String,
}

/// The person FranceConnect identified, with everything needed to show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The API the user logged in with: logout and "Recharger userinfo" use the same one.
    #[serde(default)]
    pub api_version: ApiVersion,
    pub sub: String,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    /// The raw ID token: shown to the user and sent back as `id_token_hint` at logout.
    pub id_token: String,
    pub id_token_header: Value,
    pub id_token_payload: Value,
    /// The verified userinfo claims.
    pub userinfo: Value,
    pub scope: Option<String>,
    /// The access token, kept for "Recharger userinfo" (it only lives 60 seconds).
    #[serde(default)]
    pub access_token: Option<String>,
    /// When the access token expires (RFC 3339), FranceConnect gives 60 seconds.
    pub access_token_expires_at: Option<String>,
}

/// The access token of the data pass, the one the data provider accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataGrant {
    pub access_token: String,
    pub scope: Option<String>,
    pub expires_at: Option<String>,
}

/// Whether the `state` received is exactly the one we sent, compared in constant time. An empty
/// or missing state never matches.
pub fn state_matches(expected: &str, received: Option<&str>) -> bool {
    match received {
        Some(received) if !expected.is_empty() => {
            fc_plumbing::random::secure_eq(expected, received)
        }
        _ => false,
    }
}

pub fn pending_login(session: &Session) -> Result<Option<PendingLogin>, SpError> {
    Ok(session.get(PENDING_LOGIN)?)
}

pub fn set_pending_login(session: &Session, pending: &PendingLogin) -> Result<(), SpError> {
    Ok(session.insert(PENDING_LOGIN, pending)?)
}

/// A state is single use: the login it belongs to is forgotten once its callback arrived.
pub fn forget_pending_login(session: &Session) {
    session.remove(PENDING_LOGIN);
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

pub fn pending_logout_state(session: &Session) -> Result<Option<String>, SpError> {
    Ok(session.get(PENDING_LOGOUT)?)
}

pub fn set_pending_logout_state(session: &Session, state: &str) -> Result<(), SpError> {
    Ok(session.insert(PENDING_LOGOUT, state)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_state_matches() {
        assert!(state_matches("abc123", Some("abc123")));
        assert!(!state_matches("abc123", Some("abc124")));
        assert!(!state_matches("abc123", Some("abc1234")));
        assert!(!state_matches("abc123", Some("")));
        assert!(!state_matches("abc123", None));
        assert!(!state_matches("", Some("")));
    }
}
