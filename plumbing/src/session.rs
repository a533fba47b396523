//! Server-side sessions for actix-session, kept in memory, that no flood can take from a real user.
//!
//! The cookie only carries an opaque signed id; the state lives here, so a session can be
//! destroyed on logout and can hold more than a cookie's 4 KB. Sessions live in two tiers, each a
//! bounded [`TtlMap`] with its own byte budget:
//!
//! - **fresh**: a session created by a request that came without a (valid) session cookie. Anyone
//!   can create these at will, so the tier is small, short-lived, and a flood only ever evicts
//!   other fresh sessions — the oldest first.
//! - **active**: a session whose cookie came back at least once (the browser followed through), or
//!   one the program marked as established ([`mark_established`], e.g. after a login, so that
//!   renewing its id cannot drop it back to fresh). Requests without a cookie never write here,
//!   so they can never evict, expire or slow down a journey in progress or a logged-in user.
//!   Active sessions leave by their idle TTL, logout, or their own tier's budget.
//!
//! Every value a client controls that ends up in a session is length-capped by the program that
//! stores it, so one session costs a few KB at most and the budgets bound memory.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_session::{Session, SessionMiddleware, config::PersistentSession};
use actix_web::cookie::{Key, SameSite};

use crate::clock::Clock;
use crate::ttl_map::{Limits, TtlMap, spawn_sweeper};

type State = HashMap<String, String>;

/// The session entry that moves a session straight to the active tier.
pub const ESTABLISHED: &str = "_established";

/// Budgets of both tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub fresh: Limits,
    pub active: Limits,
}

impl Default for SessionLimits {
    /// Fresh: 8 MB, 5 minutes (a first request is followed by the next within seconds). Active:
    /// 64 MB, the idle TTL actix-session passes (30 minutes in every program).
    fn default() -> Self {
        Self {
            fresh: Limits::new(50_000, 8 << 20, Duration::from_secs(5 * 60)),
            active: Limits::new(100_000, 64 << 20, Duration::from_secs(30 * 60)),
        }
    }
}

impl SessionLimits {
    /// The defaults with other caps: `active_entries` sessions in use, `megabytes` in all.
    pub fn with_caps(active_entries: usize, megabytes: usize) -> Self {
        let d = Self::default();
        let bytes = megabytes.max(1) << 20;
        Self {
            fresh: Limits::new(
                (active_entries / 2).max(1),
                (bytes / 8).max(64 << 10),
                d.fresh.ttl,
            ),
            active: Limits::new(active_entries, bytes - bytes / 8, d.active.ttl),
        }
    }
}

// The signature is `TtlMap`'s weight function for `String` keys.
#[allow(clippy::ptr_arg)]
fn weigh(key: &String, state: &State) -> usize {
    key.len()
        + state
            .iter()
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum::<usize>()
}

/// Bounded, two-tier in-memory session store; cheap to clone (shared).
#[derive(Clone)]
pub struct MemorySessionStore {
    fresh: Arc<TtlMap<String, State>>,
    active: Arc<TtlMap<String, State>>,
}

impl MemorySessionStore {
    pub fn new(limits: SessionLimits, clock: Clock) -> Self {
        Self {
            fresh: Arc::new(TtlMap::new(limits.fresh, weigh, clock.clone())),
            active: Arc::new(TtlMap::new(limits.active, weigh, clock)),
        }
    }

    /// Sweeps both tiers every few seconds on the current runtime, so the memory of expired
    /// sessions returns even when no request comes (call once, inside the server's runtime).
    pub fn spawn_sweepers(&self) {
        spawn_sweeper(Arc::downgrade(&self.fresh), Duration::from_secs(5));
        spawn_sweeper(Arc::downgrade(&self.active), Duration::from_secs(5));
    }

    /// Sessions held: (fresh, active).
    pub fn counts(&self) -> (usize, usize) {
        (self.fresh.len(), self.active.len())
    }

    /// Bytes held by both tiers, as the sessions weigh them.
    pub fn bytes(&self) -> usize {
        self.fresh.bytes() + self.active.bytes()
    }

    pub fn limits(&self) -> SessionLimits {
        SessionLimits {
            fresh: self.fresh.limits(),
            active: self.active.limits(),
        }
    }

    /// Number of live sessions in both tiers.
    pub fn len(&self) -> usize {
        self.fresh.len() + self.active.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn put_active(&self, key: String, state: State, ttl: Duration) -> Result<(), anyhow::Error> {
        self.fresh.remove(&key);
        self.active
            .insert_for(key, state, ttl)
            .map_err(anyhow::Error::from)
    }
}

fn ttl(ttl: &actix_web::cookie::time::Duration) -> Duration {
    Duration::from_secs(ttl.whole_seconds().max(1).unsigned_abs())
}

fn new_key() -> Result<SessionKey, anyhow::Error> {
    SessionKey::try_from(crate::random::token(32)).map_err(|e| anyhow::anyhow!("{e}"))
}

impl SessionStore for MemorySessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let key: String = session_key.as_ref().to_owned();
        if let Some(state) = self.active.touch(&key) {
            return Ok(Some(state));
        }
        // The browser came back with the cookie of a fresh session: it is in use now.
        let Some(state) = self.fresh.remove(&key) else {
            return Ok(None);
        };
        let ttl = self.active.limits().ttl;
        self.active
            .insert_for(key, state.clone(), ttl)
            .map_err(|e| LoadError::Other(e.into()))?;
        Ok(Some(state))
    }

    async fn save(
        &self,
        session_state: State,
        ttl_: &actix_web::cookie::time::Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = new_key().map_err(SaveError::Other)?;
        let id = key.as_ref().to_owned();
        if session_state.contains_key(ESTABLISHED) {
            self.put_active(id, session_state, ttl(ttl_))
                .map_err(SaveError::Other)?;
        } else {
            let ttl = ttl(ttl_).min(self.fresh.limits().ttl);
            self.fresh
                .insert_for(id, session_state, ttl)
                .map_err(|e| SaveError::Other(e.into()))?;
        }
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl_: &actix_web::cookie::time::Duration,
    ) -> Result<SessionKey, UpdateError> {
        // Only a request that carried this session's cookie updates it: it belongs in active.
        self.put_active(session_key.as_ref().to_owned(), session_state, ttl(ttl_))
            .map_err(UpdateError::Other)?;
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        _ttl: &actix_web::cookie::time::Duration,
    ) -> Result<(), anyhow::Error> {
        self.active
            .touch_with(&session_key.as_ref().to_owned(), |_| ());
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let key = session_key.as_ref().to_owned();
        self.fresh.remove(&key);
        self.active.remove(&key);
        Ok(())
    }
}

/// Marks the session as established (a person logged in): from now on it lives in the active
/// tier even when its id is renewed.
pub fn mark_established(session: &Session) -> Result<(), actix_session::SessionInsertError> {
    session.insert(ESTABLISHED, true)
}

/// Session middleware with the program's own cookie name (cookies ignore ports, so the four
/// programs on localhost must not share one), `HttpOnly`, `SameSite=Lax` (the code flow only
/// needs top-level GET redirects) and an idle TTL.
pub fn middleware<S: SessionStore>(
    store: S,
    key: Key,
    cookie_name: &str,
    secure: bool,
    idle_ttl_secs: i64,
) -> SessionMiddleware<S> {
    SessionMiddleware::builder(store, key)
        .cookie_name(cookie_name.to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .session_lifecycle(
            PersistentSession::default()
                .session_ttl(actix_web::cookie::time::Duration::seconds(idle_ttl_secs)),
        )
        .build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::cookie::time::Duration as CookieDuration;

    fn state(v: &str) -> State {
        HashMap::from([("k".to_owned(), v.to_owned())])
    }

    fn store(fresh: usize, active: usize) -> (MemorySessionStore, crate::clock::ManualClock) {
        let (clock, hand) = Clock::manual();
        let limits = SessionLimits {
            fresh: Limits::new(fresh, 1 << 20, Duration::from_secs(300)),
            active: Limits::new(active, 1 << 20, Duration::from_secs(1800)),
        };
        (MemorySessionStore::new(limits, clock), hand)
    }

    const TTL: CookieDuration = CookieDuration::seconds(1800);

    #[tokio::test]
    async fn a_flood_of_new_sessions_never_evicts_one_in_use() {
        let (store, _) = store(10, 10);
        let in_use = store.save(state("user"), &TTL).await.unwrap();
        // The browser comes back with its cookie: the session moves to the active tier.
        assert_eq!(store.load(&in_use).await.unwrap(), Some(state("user")));
        let mut flood = Vec::new();
        for i in 0..1_000 {
            flood.push(store.save(state(&i.to_string()), &TTL).await.unwrap());
        }
        assert_eq!(store.load(&in_use).await.unwrap(), Some(state("user")));
        assert_eq!(store.counts(), (10, 1));
        assert!(
            store.load(&flood[0]).await.unwrap().is_none(),
            "oldest fresh went first"
        );
        assert!(store.load(&flood[999]).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn an_established_session_survives_renewal_in_the_active_tier() {
        let (store, _) = store(1, 10);
        let mut logged_in = state("person");
        logged_in.insert(ESTABLISHED.into(), "true".into());
        let key = store.save(logged_in.clone(), &TTL).await.unwrap();
        store.save(state("flood"), &TTL).await.unwrap();
        store.save(state("flood"), &TTL).await.unwrap();
        assert_eq!(store.load(&key).await.unwrap(), Some(logged_in));
    }

    #[tokio::test]
    async fn fresh_sessions_expire_sooner_and_active_ones_by_idle_time() {
        let (store, hand) = store(10, 10);
        let fresh = store.save(state("a"), &TTL).await.unwrap();
        let active = store.save(state("b"), &TTL).await.unwrap();
        store.load(&active).await.unwrap();
        hand.advance_secs(301);
        assert!(store.load(&fresh).await.unwrap().is_none());
        assert!(store.load(&active).await.unwrap().is_some());
        hand.advance_secs(1799);
        assert!(
            store.load(&active).await.unwrap().is_some(),
            "load touched it"
        );
        hand.advance_secs(1800);
        assert!(store.load(&active).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn deleted_sessions_are_gone() {
        let (store, _) = store(10, 10);
        let a = store.save(state("a"), &TTL).await.unwrap();
        store.delete(&a).await.unwrap();
        assert!(store.load(&a).await.unwrap().is_none());
        assert!(store.is_empty());
    }
}
