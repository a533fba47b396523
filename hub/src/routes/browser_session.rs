//! The hub's state for one browser, loaded from the session store before a domain call and
//! written back after it — only the parts the call changed, so a request that fails early or
//! changes nothing creates no session and sets no cookie.

use actix_session::Session;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::session::{HubSession, keys};

pub struct BrowserSession {
    session: Session,
    before: HubSession,
    pub state: HubSession,
}

fn get<T: DeserializeOwned>(session: &Session, key: &str) -> Option<T> {
    // A session entry that no longer parses (e.g. after an upgrade) is as good as none.
    session.get::<T>(key).ok().flatten()
}

fn put<T: Serialize + PartialEq>(
    session: &Session,
    key: &str,
    before: &Option<T>,
    now: &Option<T>,
) -> Result<()> {
    if before == now {
        return Ok(());
    }
    match now {
        Some(value) => session
            .insert(key, value)
            .map_err(|e| Error::internal(format!("session write: {e}"))),
        None => {
            session.remove(key);
            Ok(())
        }
    }
}

impl BrowserSession {
    pub fn load(session: Session) -> Self {
        let state = HubSession {
            journey: get(&session, keys::JOURNEY),
            sso: get(&session, keys::SSO),
            logout: get(&session, keys::LOGOUT),
        };
        Self {
            session,
            before: state.clone(),
            state,
        }
    }

    /// Writes back what changed.
    pub fn commit(self) -> Result<()> {
        let (s, before, now) = (&self.session, &self.before, &self.state);
        put(s, keys::JOURNEY, &before.journey, &now.journey)?;
        put(s, keys::SSO, &before.sso, &now.sso)?;
        put(s, keys::LOGOUT, &before.logout, &now.logout)
    }

    /// Writes back what changed, then gives the session a new id and keeps it in the tier of
    /// established sessions (a person just logged in).
    pub fn commit_renewed(self) -> Result<()> {
        fc_plumbing::session::mark_established(&self.session)
            .map_err(|e| Error::internal(format!("session write: {e}")))?;
        self.session.renew();
        self.commit()
    }

    /// Ends the session: its state is deleted and its cookie removed.
    pub fn purge(self) {
        self.session.purge();
    }

    /// Commits, then returns `result`: what the domain changed is kept even when it failed (a
    /// spent IdP leg must stay spent).
    pub fn finish<T>(self, result: Result<T>) -> Result<T> {
        self.commit()?;
        result
    }
}
