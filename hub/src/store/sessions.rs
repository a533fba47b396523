//! Browser sessions of the hub for actix-session, in whichever store the hub uses.
//!
//! Both keep the flood guarantee of `fc_plumbing::session`: a session created by a request
//! without a cookie is *fresh* (small budget, short life, the oldest dropped first); it becomes
//! *active* when its cookie comes back or when it is marked established (a login), and a request
//! without a cookie never touches an active session. In memory that is the shared
//! `MemorySessionStore`; in Redis, fresh sessions live under `sess:fresh:` with a short expiry and
//! an index (a sorted set by creation time) trimmed to the fresh budget, active ones under
//! `sess:active:` with the idle expiry.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use fc_plumbing::MemorySessionStore;
use fc_plumbing::session::{ESTABLISHED, SessionLimits};
use redis::AsyncCommands;

use super::RedisStore;

type State = HashMap<String, String>;

#[derive(Clone)]
pub enum HubSessions {
    Memory(MemorySessionStore),
    Redis(RedisSessions),
}

impl HubSessions {
    /// The in-memory sessions, when that is the store (tests count them).
    pub fn memory(&self) -> Option<&MemorySessionStore> {
        match self {
            HubSessions::Memory(m) => Some(m),
            HubSessions::Redis(_) => None,
        }
    }
}

#[derive(Clone)]
pub struct RedisSessions {
    store: RedisStore,
    limits: SessionLimits,
}

impl RedisSessions {
    pub fn new(store: RedisStore, limits: SessionLimits) -> Self {
        Self { store, limits }
    }

    fn fresh(&self, key: &str) -> String {
        self.store.key(&format!("sess:fresh:{key}"))
    }

    fn active(&self, key: &str) -> String {
        self.store.key(&format!("sess:active:{key}"))
    }

    fn index(&self) -> String {
        self.store.key("sess:fresh-index")
    }

    async fn put_active(&self, key: &str, state: &State, ttl: Duration) -> anyhow::Result<()> {
        let mut c = self.store.connection();
        let json = serde_json::to_vec(state)?;
        let _: () = c.pset_ex(self.active(key), json, millis(ttl)).await?;
        Ok(())
    }

    async fn put_fresh(&self, key: &str, state: &State) -> anyhow::Result<()> {
        let mut c = self.store.connection();
        let json = serde_json::to_vec(state)?;
        let ttl = millis(self.limits.fresh.ttl);
        let now = fc_plumbing::Clock::system().now_millis();
        let _: () = redis::pipe()
            .pset_ex(self.fresh(key), json, ttl)
            .ignore()
            .zadd(self.index(), key, now)
            .ignore()
            .query_async(&mut c)
            .await?;
        // Keep the fresh tier within its budget: the oldest fresh sessions go first.
        let count: usize = c.zcard(self.index()).await?;
        let cap = self.limits.fresh.max_entries;
        if count > cap {
            let oldest: Vec<(String, f64)> =
                c.zpopmin(self.index(), (count - cap) as isize).await?;
            let keys: Vec<String> = oldest.iter().map(|(k, _)| self.fresh(k)).collect();
            let _: () = c.del(keys).await?;
        }
        Ok(())
    }
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn ttl(ttl: &CookieDuration) -> Duration {
    Duration::from_secs(ttl.whole_seconds().max(1).unsigned_abs())
}

fn new_key() -> Result<SessionKey, anyhow::Error> {
    SessionKey::try_from(fc_plumbing::random::token(32)).map_err(|e| anyhow::anyhow!("{e}"))
}

impl SessionStore for RedisSessions {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let key: &str = session_key.as_ref();
        let mut c = self.store.connection();
        let active: Option<Vec<u8>> = c
            .get(self.active(key))
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        if let Some(json) = active {
            let _: () = c
                .pexpire(self.active(key), millis(self.limits.active.ttl) as i64)
                .await
                .map_err(|e| LoadError::Other(e.into()))?;
            return serde_json::from_slice(&json)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into()));
        }
        // The browser came back with the cookie of a fresh session: it is in use now.
        let fresh: Option<Vec<u8>> = c
            .get_del(self.fresh(key))
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        let Some(json) = fresh else {
            return Ok(None);
        };
        let _: () = c
            .zrem(self.index(), key)
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        let state: State =
            serde_json::from_slice(&json).map_err(|e| LoadError::Deserialization(e.into()))?;
        self.put_active(key, &state, self.limits.active.ttl)
            .await
            .map_err(LoadError::Other)?;
        Ok(Some(state))
    }

    async fn save(&self, state: State, ttl_: &CookieDuration) -> Result<SessionKey, SaveError> {
        let key = new_key().map_err(SaveError::Other)?;
        if state.contains_key(ESTABLISHED) {
            self.put_active(key.as_ref(), &state, ttl(ttl_))
                .await
                .map_err(SaveError::Other)?;
        } else {
            self.put_fresh(key.as_ref(), &state)
                .await
                .map_err(SaveError::Other)?;
        }
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        ttl_: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        self.put_active(session_key.as_ref(), &state, ttl(ttl_))
            .await
            .map_err(UpdateError::Other)?;
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl_: &CookieDuration,
    ) -> anyhow::Result<()> {
        let mut c = self.store.connection();
        let _: () = c
            .pexpire(self.active(session_key.as_ref()), millis(ttl(ttl_)) as i64)
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let key: &str = session_key.as_ref();
        let mut c = self.store.connection();
        let _: () = c.del(&[self.active(key), self.fresh(key)]).await?;
        let _: () = c.zrem(self.index(), key).await?;
        Ok(())
    }
}

impl SessionStore for HubSessions {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        match self {
            HubSessions::Memory(m) => m.load(key).await,
            HubSessions::Redis(r) => r.load(key).await,
        }
    }

    async fn save(&self, state: State, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        match self {
            HubSessions::Memory(m) => m.save(state, ttl).await,
            HubSessions::Redis(r) => r.save(state, ttl).await,
        }
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        match self {
            HubSessions::Memory(m) => m.update(key, state, ttl).await,
            HubSessions::Redis(r) => r.update(key, state, ttl).await,
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &CookieDuration) -> anyhow::Result<()> {
        match self {
            HubSessions::Memory(m) => m.update_ttl(key, ttl).await,
            HubSessions::Redis(r) => r.update_ttl(key, ttl).await,
        }
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        match self {
            HubSessions::Memory(m) => m.delete(key).await,
            HubSessions::Redis(r) => r.delete(key).await,
        }
    }
}
