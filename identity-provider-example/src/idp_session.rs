//! What the IdP keeps in a browser's session (the IdP's own single sign-on state, ended by
//! `/session/end`): who logged in, when, and the name shown on the home page. Sessions are opened
//! only after a password matched ([`open`]); they are marked established so they live in the
//! session store's active tier, out of reach of cookie-less floods (`fc_plumbing::session`).

use actix_session::Session;

use crate::error::AppError;
use crate::users::Person;

/// The login of who is logged in.
pub const USER: &str = "identifiant";
/// When they logged in (Unix seconds).
pub const AUTH_TIME: &str = "auth_time";
/// "Prénoms NOM" of who is logged in, for the home page (a custom identity is in no file).
pub const NAME: &str = "display_name";

/// Opens the session of `person` under a new id (against session fixation).
pub fn open(session: &Session, person: &Person, now: i64) -> Result<(), AppError> {
    let error = |e: actix_session::SessionInsertError| AppError::Internal(format!("session: {e}"));
    session.renew();
    fc_plumbing::session::mark_established(session).map_err(error)?;
    session.insert(USER, &person.identifiant).map_err(error)?;
    session.insert(NAME, &person.display_name).map_err(error)?;
    session.insert(AUTH_TIME, now).map_err(error)
}

/// "Prénoms NOM" of who is logged in, if anyone.
pub fn display_name(session: &Session) -> Option<String> {
    session.get::<String>(NAME).ok().flatten()
}
