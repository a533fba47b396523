//! The Redis store (`--store redis://host:port/db`): what lets several hub replicas share one
//! state, and a hub restart lose nothing. Expiry is Redis's own (`PX`), "set if absent" is
//! `SET … NX`, "take" is `GETDEL`: single commands, so atomic without Lua. Every key is prefixed
//! with the platform's namespace.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::StoreError;

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    namespace: String,
    shown: String,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:port/db`); keys get `namespace` as prefix.
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let connection = ConnectionManager::new(client).await.map_err(unavailable)?;
        let info = url::Url::parse(url).ok();
        let shown = info
            .map(|u| {
                format!(
                    "redis://{}:{}{}",
                    u.host_str().unwrap_or("?"),
                    u.port().unwrap_or(6379),
                    u.path()
                )
            })
            .unwrap_or_else(|| "redis".into());
        Ok(Self {
            connection,
            namespace: format!("{namespace}:"),
            shown,
        })
    }

    pub fn describe(&self) -> String {
        self.shown.clone()
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }

    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut c = self.connection.clone();
        c.get(self.key(key)).await.map_err(unavailable)
    }

    pub async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let mut c = self.connection.clone();
        c.pset_ex(self.key(key), value, millis(ttl))
            .await
            .map_err(unavailable)
    }

    pub async fn put_new(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut c = self.connection.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }

    pub async fn incr(&self, key: &str, delta: i64, ttl: Duration) -> Result<i64, StoreError> {
        let mut c = self.connection.clone();
        let key = self.key(key);
        // INCRBY then PEXPIRE NX (Redis 7): the first increment sets the lifetime, later ones
        // keep it; MULTI makes the pair atomic.
        let (value,): (i64,) = redis::pipe()
            .atomic()
            .incr(&key, delta)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(millis(ttl))
            .arg("NX")
            .ignore()
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(value)
    }

    pub async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut c = self.connection.clone();
        c.get_del(self.key(key)).await.map_err(unavailable)
    }
}
