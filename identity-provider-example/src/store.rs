//! Short-lived server-side state: pending authorizations, authorization codes and access
//! tokens (SPEC §5, lifetimes of SPEC §4.6).
//!
//! Each kind lives in its own [`ExpiringMap`]: bounded (past its capacity, `Config::max_entries`,
//! the oldest entry is dropped, so a flood of `/authorize` calls cannot exhaust memory) and with
//! one TTL per map, so insertion order is also expiry order. Memory follows the live entries: the
//! queue of keys is compacted once mostly stale, and the tables shrink after a peak. Callers pass `now` (Unix seconds) explicitly, which keeps
//! expiry testable without sleeping.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::scenario::Scenario;
use crate::users::Person;

/// Lifetime of a pending authorization (the login form stays usable this long).
pub const INTERACTION_TTL_SECS: i64 = 10 * 60;
/// Authorization codes are single use and live 30 s, as at FranceConnect.
pub const CODE_TTL_SECS: i64 = 30;
/// Access tokens live 60 s (`expires_in` of the token answer).
pub const ACCESS_TOKEN_TTL_SECS: i64 = 60;

/// Stale keys tolerated before compacting, so that small maps are not compacted at every insert.
const COMPACT_SLACK: usize = 64;

/// Current time in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// An authorization request whose user has not finished the login form yet.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub scope: String,
    /// The acr pre-selected in the form (from `acr_values`).
    pub acr: String,
    /// Single-use CSRF token of the form currently shown; replaced at every submission.
    pub csrf_token: String,
    /// Random value also kept in the browser's session: the form can only be posted from the
    /// browser that opened it (no login CSRF).
    pub browser_id: String,
}

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub nonce: String,
    pub acr: String,
    pub scope: String,
    /// Who logged in, copied at login time (a reload of the users must not change it).
    pub person: Person,
    /// The failure this login asked for, if any.
    pub scenario: Option<Scenario>,
    pub auth_time: i64,
}

/// What an access token stands for.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub client_id: String,
    pub person: Person,
    pub scenario: Option<Scenario>,
    pub scope: String,
}

struct Entry<V> {
    value: V,
    expires_at: i64,
}

struct Inner<V> {
    entries: HashMap<String, Entry<V>>,
    /// Keys in insertion order; keys already removed are skipped when met.
    order: VecDeque<String>,
}

/// A bounded map whose entries expire `ttl_secs` after insertion.
pub struct ExpiringMap<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
    ttl_secs: i64,
}

impl<V: Clone> ExpiringMap<V> {
    pub fn new(capacity: usize, ttl_secs: i64) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
            ttl_secs,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<V>> {
        // Every change is a single insert or remove, so a panic elsewhere cannot leave the map
        // half-updated: a poisoned lock is safe to reuse.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `value` under `key` until `now + ttl`.
    pub fn insert(&self, key: String, value: V, now: i64) {
        let mut inner = self.lock();
        let expires_at = now.saturating_add(self.ttl_secs);
        inner
            .entries
            .insert(key.clone(), Entry { value, expires_at });
        inner.order.push_back(key);
        while let Some(front) = inner.order.front().cloned() {
            let state = inner.entries.get(&front).map(|e| e.expires_at <= now);
            match state {
                None => {
                    inner.order.pop_front();
                }
                Some(expired) if expired || inner.entries.len() > self.capacity => {
                    inner.order.pop_front();
                    inner.entries.remove(&front);
                }
                Some(_) => break,
            }
        }
        // Keys of entries already taken stay in `order` until met at the front; compacting once
        // they outnumber the live entries keeps the queue proportional to the live entries (a
        // linear pass paid for by as many inserts or takes since the previous one).
        if inner.order.len() > 2 * inner.entries.len() + COMPACT_SLACK {
            let Inner { entries, order } = &mut *inner;
            order.retain(|k| entries.contains_key(k));
            // After a peak (a load test, a flood), give the memory back.
            if order.capacity() > 4 * order.len() + COMPACT_SLACK {
                order.shrink_to(2 * order.len());
            }
            if entries.capacity() > 4 * entries.len() + COMPACT_SLACK {
                entries.shrink_to(2 * entries.len());
            }
        }
    }

    /// A copy of the live entry under `key`.
    pub fn get(&self, key: &str, now: i64) -> Option<V> {
        self.with_mut(key, now, |v| v.clone())
    }

    /// Runs `f` on the live entry under `key`.
    pub fn with_mut<R>(&self, key: &str, now: i64, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let mut inner = self.lock();
        match inner.entries.get_mut(key) {
            Some(entry) if entry.expires_at > now => Some(f(&mut entry.value)),
            Some(_) => {
                inner.entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Removes the entry under `key` and returns it when still live: single use.
    pub fn take(&self, key: &str, now: i64) -> Option<V> {
        let entry = self.lock().entries.remove(key)?;
        (entry.expires_at > now).then_some(entry.value)
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Keys remembered for expiry, live or not (bounded by about twice the live entries).
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.lock().order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_their_ttl() {
        let map = ExpiringMap::new(10, 30);
        map.insert("code".into(), 1, 1000);
        assert_eq!(map.get("code", 1029), Some(1));
        assert_eq!(map.get("code", 1030), None);
        assert!(map.is_empty(), "an expired entry is dropped when met");
    }

    #[test]
    fn take_is_single_use_and_refuses_expired_entries() {
        let map = ExpiringMap::new(10, 30);
        map.insert("a".into(), 1, 1000);
        map.insert("b".into(), 2, 1000);
        assert_eq!(map.take("a", 1001), Some(1));
        assert_eq!(map.take("a", 1001), None);
        assert_eq!(map.take("b", 1031), None);
        assert!(map.is_empty());
    }

    #[test]
    fn the_map_is_bounded_and_drops_the_oldest() {
        let map = ExpiringMap::new(3, 60);
        for i in 0..5 {
            map.insert(format!("k{i}"), i, 1000);
        }
        assert_eq!(map.len(), 3);
        assert_eq!(map.get("k0", 1000), None);
        assert_eq!(map.get("k1", 1000), None);
        assert_eq!(map.get("k4", 1000), Some(4));
    }

    #[test]
    fn inserting_purges_expired_entries() {
        let map = ExpiringMap::new(100, 10);
        map.insert("old".into(), 1, 1000);
        map.insert("new".into(), 2, 2000);
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn taken_entries_do_not_pile_up_in_the_expiry_queue() {
        let map = ExpiringMap::new(100_000, 600);
        // A live entry at the front: the keys behind it cannot be dropped from the front.
        map.insert("abandoned".into(), -1, 1000);
        for i in 0..10_000 {
            map.insert(format!("k{i}"), i, 1000);
            assert_eq!(map.take(&format!("k{i}"), 1000), Some(i));
        }
        assert_eq!(map.len(), 1);
        assert!(
            map.queued() <= COMPACT_SLACK + 3,
            "{} keys queued",
            map.queued()
        );
        assert_eq!(map.get("abandoned", 1000), Some(-1));
        map.insert("live".into(), 1, 1000);
        assert_eq!(map.get("live", 1000), Some(1));
    }

    #[test]
    fn with_mut_changes_the_stored_value() {
        let map = ExpiringMap::new(10, 60);
        map.insert("i".into(), String::from("csrf-1"), 1000);
        let old = map.with_mut("i", 1001, |v| std::mem::replace(v, "csrf-2".into()));
        assert_eq!(old.as_deref(), Some("csrf-1"));
        assert_eq!(map.get("i", 1002).as_deref(), Some("csrf-2"));
    }
}
