//! The Redis store (`--store redis://host:port/db`): what lets several hub replicas share one
//! state, and a hub restart lose nothing. Expiry is Redis's own (`PX`), "set if absent" is
//! `SET … NX`, "take" is `GETDEL`: single commands, so atomic; what needs several commands at
//! once (a counter and its lifetime, the two session tiers) runs in one `MULTI` or one Lua
//! script. Every key is prefixed with the platform's namespace. Needs Redis 7 (`GETEX`,
//! `GETDEL`, `PEXPIRE … NX`) run without eviction of keys that have no room (`maxmemory-policy
//! noeviction`, Redis's default): the session cookie key lives here too.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, FromRedisValue, ToRedisArgs};

use super::StoreError;

/// The oldest Redis this store runs on.
const MIN_MAJOR_VERSION: u32 = 7;

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    namespace: String,
    shown: String,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A Lua script run by its SHA-1 (`EVALSHA`), sent again only when the server has not got it
/// (after a Redis restart or on first use): one round trip however many commands it holds.
pub(crate) struct Script {
    source: &'static str,
    sha1: String,
}

impl Script {
    pub(crate) fn new(source: &'static str) -> Self {
        use sha1::{Digest, Sha1};
        Self {
            source,
            sha1: hex::encode(Sha1::digest(source.as_bytes())),
        }
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:port/db`); keys get `namespace` as prefix.
    /// Fails when the server is unreachable or older than Redis 7.
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let mut connection = ConnectionManager::new(client).await.map_err(unavailable)?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        check_version(&info)?;
        Ok(Self {
            connection,
            namespace: format!("{namespace}:"),
            shown: shown(url),
        })
    }

    pub fn describe(&self) -> String {
        self.shown.clone()
    }

    /// The namespaced Redis key of `key`.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
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
        // INCRBY then PEXPIRE NX: the first increment sets the lifetime, later ones keep it;
        // MULTI makes the pair atomic.
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

    /// Runs `script` over `keys` (already namespaced) and `args` (a tuple: one argument each).
    pub(crate) async fn run<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: impl ToRedisArgs,
    ) -> Result<T, redis::RedisError> {
        let mut c = self.connection.clone();
        let call = |command: &str, body: &str| {
            let mut cmd = redis::cmd(command);
            cmd.arg(body).arg(keys.len()).arg(keys).arg(&args);
            cmd
        };
        match call("EVALSHA", &script.sha1).query_async(&mut c).await {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                call("EVAL", script.source).query_async(&mut c).await
            }
            other => other,
        }
    }
}

/// The URL without its password, for logs and `/health`.
fn shown(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .map(|u| {
            format!(
                "redis://{}:{}{}",
                u.host_str().unwrap_or("?"),
                u.port().unwrap_or(6379),
                u.path()
            )
        })
        .unwrap_or_else(|| "redis".into())
}

/// `text` matched literally by `SCAN MATCH` (a namespace may hold glob characters).
pub(crate) fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Refuses a server too old for the commands the store sends, at start rather than mid-journey.
fn check_version(info: &str) -> Result<(), StoreError> {
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(str::trim)
        .unwrap_or("?");
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(m) if m >= MIN_MAJOR_VERSION => Ok(()),
        _ => Err(StoreError::Unavailable(format!(
            "Redis {version}: the hub needs Redis {MIN_MAJOR_VERSION} or later"
        ))),
    }
}

#[cfg(all(test, feature = "redis-tests"))]
#[allow(clippy::unwrap_used)]
mod tests {
    //! The store contract against a real redis-server (`cargo test -p hub --features redis-tests`).

    use std::sync::Arc;

    use super::super::testing::{RedisServer, shift_expiry};
    use super::super::{Store, contract};
    use super::*;

    async fn store() -> (Store, RedisStore) {
        let redis = RedisServer::shared().store().await;
        (Store::Redis(redis.clone()), redis)
    }

    #[tokio::test]
    async fn redis_store_contract() {
        let (s, redis) = store().await;
        contract::values_round_trip_and_expire(&s, async |secs| shift_expiry(&redis, secs).await)
            .await;
        contract::put_new_claims_once(&s).await;
        contract::json_values_round_trip(&s).await;
        contract::parallel_claims_have_exactly_one_winner(Arc::new(store().await.0)).await;
        contract::counters_add_up_atomically(Arc::new(store().await.0)).await;
    }

    #[tokio::test]
    async fn namespaces_do_not_see_each_other() {
        let (a, _) = store().await;
        let (b, _) = store().await;
        a.put("k", b"a".to_vec(), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(b.get("k").await.unwrap(), None);
        assert!(
            b.put_new("k", b"b".to_vec(), Duration::from_secs(10))
                .await
                .unwrap()
        );
        assert_eq!(a.get("k").await.unwrap(), Some(b"a".to_vec()));
    }

    #[tokio::test]
    async fn a_counter_keeps_the_lifetime_of_its_first_increment() {
        let (s, redis) = store().await;
        s.incr("n", 1, Duration::from_secs(10)).await.unwrap();
        s.incr("n", 1, Duration::from_secs(1000)).await.unwrap();
        let ttl: i64 = redis.connection().pttl(redis.key("n")).await.unwrap();
        assert!((1..=10_000).contains(&ttl), "{ttl} ms");
    }

    #[tokio::test]
    async fn scripts_are_sent_again_after_the_server_forgot_them() {
        let (_, redis) = store().await;
        let echo = Script::new("return ARGV[1]");
        let _: () = redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query_async(&mut redis.connection())
            .await
            .unwrap();
        let back: String = redis.run(&echo, &[], ("hello",)).await.unwrap();
        assert_eq!(back, "hello");
        let again: String = redis.run(&echo, &[], ("again",)).await.unwrap();
        assert_eq!(again, "again");
    }

    #[test]
    fn redis_6_is_refused_and_the_url_is_shown_without_its_password() {
        assert!(check_version("# Server\r\nredis_version:6.2.14\r\n").is_err());
        assert!(check_version("redis_version:7.0.15\r\n").is_ok());
        assert!(check_version("nothing").is_err());
        assert_eq!(
            shown("redis://:hunter2@cache:6380/3"),
            "redis://cache:6380/3"
        );
    }
}
