//! Browser sessions of the hub for actix-session, in whichever store the hub uses.
//!
//! Both keep the flood guarantee of `fc_plumbing::session`: a session created by a request
//! without a cookie is *fresh* (small budget, short life, the oldest dropped first); it becomes
//! *active* when its cookie comes back or when it is marked established (a login), and a request
//! without a cookie never touches an active session. In memory that is the shared
//! `MemorySessionStore`; in Redis, fresh sessions live under `sess:fresh:` with a short expiry and
//! an index (a sorted set by creation time) trimmed to the fresh budget, active ones under
//! `sess:active:` with the idle expiry. Creating a fresh session and loading one (which promotes
//! it) are Lua scripts: one round trip each, and atomic, so two requests of one browser arriving
//! at two replicas at once both find the session. Active sessions are bounded by Redis's own
//! memory limit, not by a count: no cookie-less request can add to them.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use fc_plumbing::MemorySessionStore;
use fc_plumbing::session::{ESTABLISHED, SessionLimits};
use redis::AsyncCommands;

use super::RedisStore;
use super::redis::{Script, escape_glob, millis};

type State = HashMap<String, String>;

#[derive(Clone)]
pub enum HubSessions {
    Memory(MemorySessionStore),
    Redis(RedisSessions),
}

impl HubSessions {
    /// The in-memory sessions, when that is the store (tests weigh them).
    pub fn memory(&self) -> Option<&MemorySessionStore> {
        match self {
            HubSessions::Memory(m) => Some(m),
            HubSessions::Redis(_) => None,
        }
    }

    pub fn limits(&self) -> SessionLimits {
        match self {
            HubSessions::Memory(m) => m.limits(),
            HubSessions::Redis(r) => r.limits,
        }
    }

    /// Sessions held: (fresh, active). In Redis this walks the namespace: for tests and
    /// diagnostics, not for a request path.
    pub async fn counts(&self) -> anyhow::Result<(usize, usize)> {
        match self {
            HubSessions::Memory(m) => Ok(m.counts()),
            HubSessions::Redis(r) => Ok((
                r.count("sess:fresh:").await?,
                r.count("sess:active:").await?,
            )),
        }
    }
}

#[derive(Clone)]
pub struct RedisSessions {
    store: RedisStore,
    limits: SessionLimits,
}

/// Loads a session: an active one has its idle time renewed; a fresh one moves to the active
/// tier (its cookie came back). KEYS: active, fresh, index. ARGV: session id, active TTL (ms).
static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local state = redis.call('GET', KEYS[1])
if state then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return state
end
state = redis.call('GET', KEYS[2])
if not state then
  return false
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SET', KEYS[1], state, 'PX', ARGV[2])
return state
",
    )
});

/// Creates a fresh session and keeps the fresh tier within its count: members older than the
/// fresh TTL leave the index, then the oldest go until `cap` remain. KEYS: fresh, index.
/// ARGV: state, fresh TTL (ms), session id, cap, prefix of fresh keys.
static SAVE_FRESH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local now = redis.call('TIME')
local micros = tonumber(now[1]) * 1000000 + tonumber(now[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (micros - tonumber(ARGV[2]) * 1000))
redis.call('ZADD', KEYS[2], micros, ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do
    redis.call('DEL', ARGV[5] .. oldest[i])
  end
end
return 0
",
    )
});

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
        let json = serde_json::to_vec(state)?;
        let args = (
            json,
            millis(self.limits.fresh.ttl),
            key,
            self.limits.fresh.max_entries.max(1),
            self.fresh(""),
        );
        let _: i64 = self
            .store
            .run(&SAVE_FRESH, &[&self.fresh(key), &self.index()], args)
            .await?;
        Ok(())
    }

    async fn count(&self, tier: &str) -> anyhow::Result<usize> {
        let mut c = self.store.connection();
        let pattern = format!("{}*", escape_glob(&self.store.key(tier)));
        let mut keys: redis::AsyncIter<'_, String> = c.scan_match(pattern).await?;
        let mut n = 0;
        while let Some(key) = keys.next_item().await {
            key?;
            n += 1;
        }
        Ok(n)
    }
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
        let keys = [&self.active(key), &self.fresh(key), &self.index()];
        let json: Option<Vec<u8>> = self
            .store
            .run(
                &LOAD,
                &keys.map(String::as_str),
                (key, millis(self.limits.active.ttl)),
            )
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        json.map(|j| serde_json::from_slice(&j))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
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
        // Only a request that carried this session's cookie updates it, and loading it moved it
        // to the active tier already.
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
        let _: () = redis::pipe()
            .del(&[self.active(key), self.fresh(key)])
            .ignore()
            .zrem(self.index(), key)
            .ignore()
            .query_async(&mut c)
            .await?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod contract {
    //! What both session stores must do; each implementation's tests call these.

    use fc_plumbing::ttl_map::Limits;

    use super::*;

    pub fn limits() -> SessionLimits {
        SessionLimits {
            fresh: Limits::new(10, 1 << 20, Duration::from_secs(300)),
            active: Limits::new(10, 1 << 20, Duration::from_secs(1800)),
        }
    }

    fn state(v: &str) -> State {
        HashMap::from([("k".to_owned(), v.to_owned())])
    }

    const TTL: CookieDuration = CookieDuration::seconds(1800);

    pub async fn a_flood_of_new_sessions_never_evicts_one_in_use(store: &HubSessions) {
        let in_use = store.save(state("user"), &TTL).await.unwrap();
        // The browser comes back with its cookie: the session moves to the active tier.
        assert_eq!(store.load(&in_use).await.unwrap(), Some(state("user")));
        let mut flood = Vec::new();
        for i in 0..200 {
            flood.push(store.save(state(&i.to_string()), &TTL).await.unwrap());
        }
        assert_eq!(store.load(&in_use).await.unwrap(), Some(state("user")));
        assert_eq!(store.counts().await.unwrap(), (10, 1));
        assert!(
            store.load(&flood[0]).await.unwrap().is_none(),
            "oldest fresh went first"
        );
        assert!(store.load(&flood[199]).await.unwrap().is_some());
        assert_eq!(store.counts().await.unwrap(), (9, 2), "promoted");
    }

    pub async fn an_established_session_survives_renewal_in_the_active_tier(store: &HubSessions) {
        let mut logged_in = state("person");
        logged_in.insert(ESTABLISHED.into(), "true".into());
        let key = store.save(logged_in.clone(), &TTL).await.unwrap();
        for _ in 0..20 {
            store.save(state("flood"), &TTL).await.unwrap();
        }
        assert_eq!(store.load(&key).await.unwrap(), Some(logged_in));
    }

    pub async fn updates_are_kept_and_deleted_sessions_are_gone(store: &HubSessions) {
        let a = store.save(state("a"), &TTL).await.unwrap();
        assert!(store.load(&a).await.unwrap().is_some());
        let a = store.update(a, state("b"), &TTL).await.unwrap();
        assert_eq!(store.load(&a).await.unwrap(), Some(state("b")));
        let fresh = store.save(state("c"), &TTL).await.unwrap();
        store.delete(&a).await.unwrap();
        store.delete(&fresh).await.unwrap();
        assert!(store.load(&a).await.unwrap().is_none());
        assert!(store.load(&fresh).await.unwrap().is_none());
        assert_eq!(store.counts().await.unwrap(), (0, 0));
    }

    pub async fn fresh_sessions_expire_sooner_and_active_ones_by_idle_time(
        store: &HubSessions,
        advance: impl AsyncFn(u64),
    ) {
        let fresh = store.save(state("a"), &TTL).await.unwrap();
        let active = store.save(state("b"), &TTL).await.unwrap();
        store.load(&active).await.unwrap();
        advance(301).await;
        assert!(store.load(&fresh).await.unwrap().is_none());
        assert!(store.load(&active).await.unwrap().is_some());
        advance(1799).await;
        assert!(
            store.load(&active).await.unwrap().is_some(),
            "load touched it"
        );
        advance(1800).await;
        assert!(store.load(&active).await.unwrap().is_none());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn memory() -> (HubSessions, fc_plumbing::ManualClock) {
        let (clock, hand) = fc_plumbing::Clock::manual();
        let store = MemorySessionStore::new(contract::limits(), clock);
        (HubSessions::Memory(store), hand)
    }

    #[tokio::test]
    async fn memory_sessions_contract() {
        contract::a_flood_of_new_sessions_never_evicts_one_in_use(&memory().0).await;
        contract::an_established_session_survives_renewal_in_the_active_tier(&memory().0).await;
        contract::updates_are_kept_and_deleted_sessions_are_gone(&memory().0).await;
        let (s, hand) = memory();
        contract::fresh_sessions_expire_sooner_and_active_ones_by_idle_time(&s, async |secs| {
            hand.advance_secs(secs as i64)
        })
        .await;
    }

    #[cfg(feature = "redis-tests")]
    async fn redis() -> (HubSessions, RedisStore) {
        let store = super::super::testing::RedisServer::shared().store().await;
        let sessions = RedisSessions::new(store.clone(), contract::limits());
        (HubSessions::Redis(sessions), store)
    }

    #[cfg(feature = "redis-tests")]
    #[tokio::test]
    async fn redis_sessions_contract() {
        use super::super::testing::shift_expiry;
        contract::a_flood_of_new_sessions_never_evicts_one_in_use(&redis().await.0).await;
        contract::an_established_session_survives_renewal_in_the_active_tier(&redis().await.0)
            .await;
        contract::updates_are_kept_and_deleted_sessions_are_gone(&redis().await.0).await;
        let (s, store) = redis().await;
        contract::fresh_sessions_expire_sooner_and_active_ones_by_idle_time(&s, async |secs| {
            shift_expiry(&store, secs).await
        })
        .await;
    }

    #[cfg(feature = "redis-tests")]
    #[tokio::test]
    async fn the_fresh_index_follows_the_fresh_sessions() {
        let (s, store) = redis().await;
        let HubSessions::Redis(r) = &s else {
            unreachable!()
        };
        for _ in 0..25 {
            s.save(HashMap::new(), &CookieDuration::seconds(60))
                .await
                .unwrap();
        }
        let members: usize = store.connection().zcard(r.index()).await.unwrap();
        assert_eq!(members, 10, "trimmed with the sessions");
        let ttl: i64 = store.connection().pttl(r.index()).await.unwrap();
        assert!((1..=300_000).contains(&ttl), "the index expires: {ttl}");
    }

    /// Two requests of one browser, each at its own replica, load a session that was fresh: the
    /// promotion is one script, so neither finds it missing.
    #[cfg(feature = "redis-tests")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_loads_of_a_fresh_session_all_find_it() {
        let store = std::sync::Arc::new(redis().await.0);
        let one = HashMap::from([("k".to_owned(), "racing".to_owned())]);
        let key = store
            .save(one.clone(), &CookieDuration::seconds(60))
            .await
            .unwrap();
        let id: String = key.into();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (store, key) = (store.clone(), SessionKey::try_from(id.clone()).unwrap());
                tokio::spawn(async move { store.load(&key).await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Some(one.clone()));
        }
        assert_eq!(store.counts().await.unwrap(), (0, 1));
    }
}
