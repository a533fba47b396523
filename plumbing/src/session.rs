//! Server-side sessions for actix-session, kept in memory (SPEC §4.9).
//!
//! The cookie only carries an opaque signed id; the state lives here, so a session can be
//! destroyed on logout and can hold more than a cookie's 4 KB. The store is bounded: past
//! `capacity` sessions the oldest is evicted, so a flood of `/authorize` calls cannot exhaust
//! memory. Entries also expire after their TTL (idle: every request that changes the session
//! pushes its expiry).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_session::{SessionMiddleware, config::PersistentSession};
use actix_web::cookie::{Key, SameSite, time::Duration};

type State = HashMap<String, String>;

struct Entry {
    state: State,
    expires: Instant,
    generation: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Keys in the order they were last written, with the generation written then; stale
    /// generations are skipped when evicting.
    order: VecDeque<(String, u64)>,
    next_generation: u64,
}

/// Bounded in-memory session store; cheap to clone (shared).
#[derive(Clone)]
pub struct MemorySessionStore {
    inner: Arc<Mutex<Inner>>,
    capacity: usize,
}

impl MemorySessionStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner::default())),
            capacity: capacity.max(1),
        }
    }

    /// Number of live sessions (expired ones may still be counted until the next write).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the maps inconsistent (each write is one
        // insert), so a poisoned lock is safe to reuse.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, key: String, state: State, ttl: &Duration) {
        let expires =
            Instant::now() + std::time::Duration::from_secs(ttl.whole_seconds().max(1) as u64);
        let mut inner = self.lock();
        inner.next_generation += 1;
        let generation = inner.next_generation;
        inner.entries.insert(
            key.clone(),
            Entry {
                state,
                expires,
                generation,
            },
        );
        inner.order.push_back((key, generation));
        let now = Instant::now();
        // Evict expired entries at the front, then the oldest while over capacity.
        while let Some((k, g)) = inner.order.front().cloned() {
            let live = inner
                .entries
                .get(&k)
                .map(|e| (e.generation == g, e.expires <= now));
            match live {
                Some((false, _)) | None => {
                    inner.order.pop_front();
                }
                Some((true, expired)) if expired || inner.entries.len() > self.capacity => {
                    inner.order.pop_front();
                    inner.entries.remove(&k);
                }
                Some(_) => break,
            }
        }
        // Rewrites of long-lived sessions leave stale queue items behind; keep the queue small.
        if inner.order.len() > 2 * self.capacity + 64 {
            let Inner { entries, order, .. } = &mut *inner;
            order.retain(|(k, g)| entries.get(k).is_some_and(|e| e.generation == *g));
        }
    }
}

fn new_key() -> Result<SessionKey, anyhow::Error> {
    SessionKey::try_from(crate::random::token(32)).map_err(|e| anyhow::anyhow!("{e}"))
}

impl SessionStore for MemorySessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let mut inner = self.lock();
        let key: &str = session_key.as_ref();
        match inner.entries.get(key) {
            Some(e) if e.expires > Instant::now() => Ok(Some(e.state.clone())),
            Some(_) => {
                inner.entries.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn save(&self, session_state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = new_key().map_err(SaveError::Other)?;
        self.write(key.as_ref().to_owned(), session_state, ttl);
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        self.write(session_key.as_ref().to_owned(), session_state, ttl);
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        let mut inner = self.lock();
        if let Some(e) = inner.entries.get_mut(session_key.as_ref()) {
            e.expires =
                Instant::now() + std::time::Duration::from_secs(ttl.whole_seconds().max(1) as u64);
        }
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        self.lock().entries.remove(session_key.as_ref());
        Ok(())
    }
}

/// Session middleware with the program's own cookie name (cookies ignore ports, so the four
/// programs on localhost must not share one), `HttpOnly`, `SameSite=Lax` (the code flow only
/// needs top-level GET redirects) and an idle TTL.
pub fn middleware(
    store: MemorySessionStore,
    key: Key,
    cookie_name: &str,
    secure: bool,
    idle_ttl_secs: i64,
) -> SessionMiddleware<MemorySessionStore> {
    SessionMiddleware::builder(store, key)
        .cookie_name(cookie_name.to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .session_lifecycle(
            PersistentSession::default().session_ttl(Duration::seconds(idle_ttl_secs)),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(v: &str) -> State {
        HashMap::from([("k".to_owned(), v.to_owned())])
    }

    #[tokio::test]
    async fn store_is_bounded_and_evicts_the_oldest() {
        let store = MemorySessionStore::new(3);
        let ttl = Duration::seconds(60);
        let mut keys = Vec::new();
        for i in 0..5 {
            keys.push(store.save(state(&i.to_string()), &ttl).await.unwrap());
        }
        assert_eq!(store.len(), 3);
        assert!(store.load(&keys[0]).await.unwrap().is_none());
        assert!(store.load(&keys[1]).await.unwrap().is_none());
        assert_eq!(store.load(&keys[4]).await.unwrap(), Some(state("4")));
    }

    #[tokio::test]
    async fn updating_a_session_keeps_it_young() {
        let store = MemorySessionStore::new(2);
        let ttl = Duration::seconds(60);
        let a = store.save(state("a"), &ttl).await.unwrap();
        let _b = store.save(state("b"), &ttl).await.unwrap();
        let a = store.update(a, state("a2"), &ttl).await.unwrap();
        let _c = store.save(state("c"), &ttl).await.unwrap();
        assert_eq!(store.load(&a).await.unwrap(), Some(state("a2")));
        assert_eq!(store.len(), 2);
    }

    #[tokio::test]
    async fn deleted_sessions_are_gone() {
        let store = MemorySessionStore::new(10);
        let a = store
            .save(state("a"), &Duration::seconds(60))
            .await
            .unwrap();
        store.delete(&a).await.unwrap();
        assert!(store.load(&a).await.unwrap().is_none());
        assert!(store.is_empty());
    }
}
