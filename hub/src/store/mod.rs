//! One interface for all the hub's shared state (`docs/hub.md`, "State"): authorization codes,
//! access tokens, single-use claims (client-assertion `jti`s), cached IdP key sets, the session
//! cookie key replicas share — and, through [`sessions`], the browser sessions (journeys, SSO,
//! CSRF).
//!
//! It is a small key-value interface with expiry and the one atomic operation the protocol needs
//! ([`Store::put_new`]: "set if absent", which makes a code redeemable once across replicas);
//! the protocol itself lives in the domain, so both implementations pass the same contract tests.
//! In memory (the default, embedded, bounded in bytes) or in Redis (`--store redis://…`), keys
//! namespaced per platform instance (`--store-namespace`) so FranceConnect and FranceConnect+
//! can share one Redis. With the feature `redis-tests`, `testing` starts a throwaway
//! redis-server for the Redis suites.

pub mod memory;
pub mod redis;
pub mod sessions;
#[cfg(feature = "redis-tests")]
pub mod testing;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use memory::MemoryStore;
pub use redis::RedisStore;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("a value of {0} bytes is too large for the store")]
    TooLarge(usize),
    #[error("the value under {key} does not read back: {message}")]
    Corrupt { key: String, message: String },
}

/// Where the hub keeps its state.
pub enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Store {
    /// What the store is, for `/admin/api/config` and the start-up log (never a password).
    pub fn describe(&self) -> String {
        match self {
            Store::Memory(_) => "memory".into(),
            Store::Redis(r) => r.describe(),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Store::Memory(m) => Ok(m.get(key)),
            Store::Redis(r) => r.get(key).await,
        }
    }

    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    pub async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        match self {
            Store::Memory(m) => m.put(key, value, ttl),
            Store::Redis(r) => r.put(key, value, ttl).await,
        }
    }

    /// Stores `value` under `key` for `ttl` only if nothing is there; `false` when something
    /// was. Atomic across every process sharing the store.
    pub async fn put_new(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Memory(m) => m.put_new(key, value, ttl),
            Store::Redis(r) => r.put_new(key, value, ttl).await,
        }
    }

    /// Removes `key` and returns what it held, atomically.
    pub async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Store::Memory(m) => Ok(m.take(key)),
            Store::Redis(r) => r.take(key).await,
        }
    }

    /// Adds `delta` to the counter under `key` (0 when absent) and returns the new value; a new
    /// counter lives `ttl`. Atomic across every process sharing the store.
    pub async fn incr(&self, key: &str, delta: i64, ttl: Duration) -> Result<i64, StoreError> {
        match self {
            Store::Memory(m) => m.incr(key, delta, ttl),
            Store::Redis(r) => r.incr(key, delta, ttl).await,
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.take(key).await.map(|_| ())
    }

    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.get(key).await? {
            None => Ok(None),
            Some(bytes) => decode(key, &bytes).map(Some),
        }
    }

    pub async fn put_json<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.put(key, encode(value)?, ttl).await
    }
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        key: String::new(),
        message: e.to_string(),
    })
}

pub fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// The key under which a secret value (a code, a token) is stored: its SHA-256, so a dump of the
/// store reveals no live credential.
pub fn hashed(kind: &str, secret: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{kind}:{}", hex::encode(Sha256::digest(secret.as_bytes())))
}

impl From<StoreError> for crate::error::Error {
    fn from(e: StoreError) -> Self {
        crate::error::Error::internal(e.to_string())
    }
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour both implementations must have: each implementation's tests call these.
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `advance` lets `secs` seconds pass for the store.
    pub async fn values_round_trip_and_expire(store: &Store, advance: impl AsyncFn(u64)) {
        store
            .put("k", b"v".to_vec(), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(store.get("k").await.unwrap(), Some(b"v".to_vec()));
        store
            .put("k", b"w".to_vec(), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(store.get("k").await.unwrap(), Some(b"w".to_vec()));
        advance(9).await;
        assert_eq!(store.get("k").await.unwrap(), Some(b"w".to_vec()));
        advance(2).await;
        assert_eq!(store.get("k").await.unwrap(), None);
        assert!(
            store
                .put_new("k", b"x".to_vec(), Duration::from_secs(1))
                .await
                .unwrap(),
            "expired means absent"
        );
    }

    pub async fn put_new_claims_once(store: &Store) {
        let ttl = Duration::from_secs(30);
        assert!(store.put_new("once", b"1".to_vec(), ttl).await.unwrap());
        assert!(!store.put_new("once", b"2".to_vec(), ttl).await.unwrap());
        assert_eq!(store.take("once").await.unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.take("once").await.unwrap(), None);
        assert!(store.put_new("once", b"3".to_vec(), ttl).await.unwrap());
    }

    pub async fn parallel_claims_have_exactly_one_winner(store: std::sync::Arc<Store>) {
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .put_new("race", vec![i], Duration::from_secs(30))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            winners += usize::from(t.await.unwrap());
        }
        assert_eq!(winners, 1);
    }

    pub async fn counters_add_up_atomically(store: std::sync::Arc<Store>) {
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(
                    async move { store.incr("n", 1, Duration::from_secs(30)).await.unwrap() },
                )
            })
            .collect();
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap());
        }
        seen.sort_unstable();
        assert_eq!(
            seen,
            (1..=20).collect::<Vec<i64>>(),
            "each caller saw its own value"
        );
        assert_eq!(
            store.incr("n", -5, Duration::from_secs(30)).await.unwrap(),
            15
        );
    }

    pub async fn json_values_round_trip(store: &Store) {
        store
            .put_json(
                "j",
                &serde_json::json!({"a": [1, 2]}),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        let back: serde_json::Value = store.get_json("j").await.unwrap().unwrap();
        assert_eq!(back["a"][1], 2);
        store
            .put("bad", b"{".to_vec(), Duration::from_secs(5))
            .await
            .unwrap();
        assert!(matches!(
            store.get_json::<serde_json::Value>("bad").await,
            Err(StoreError::Corrupt { .. })
        ));
    }
}
