//! The one bounded, expiring map every program keeps its short-lived state in: sessions, pending
//! logins, codes, tokens, journals, caches.
//!
//! Two promises: memory is bounded (by a number of entries *and* by bytes, as each value reports
//! its own weight), and nothing lives past its time. When over budget the least recently written
//! (or touched) entry goes first, so the entries a flood adds are the first to go and never the
//! ones in use. Expired entries are dropped as operations meet them at the front of the order and
//! by [`TtlMap::sweep`], which a program runs periodically ([`spawn_sweeper`]) so memory returns
//! even when no request comes. Time comes from an injected [`Clock`], so tests never sleep.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::clock::Clock;

/// What one entry costs, in bytes, beyond what its weight function reports (map slots, order).
pub const ENTRY_OVERHEAD: usize = 96;

/// Limits of one map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_bytes: usize,
    /// Lifetime of an entry after its last write (or touch, for idle expiry).
    pub ttl: Duration,
}

impl Limits {
    pub fn new(max_entries: usize, max_bytes: usize, ttl: Duration) -> Self {
        Self {
            max_entries: max_entries.max(1),
            max_bytes,
            ttl,
        }
    }
}

struct Entry<V> {
    value: V,
    weight: usize,
    expires_at: i64,
    tick: u64,
}

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Keys by last write or touch: the first is the next to expire and the first evicted.
    order: BTreeMap<u64, K>,
    next_tick: u64,
    bytes: usize,
}

/// A bounded map whose entries expire. Share it behind an `Arc`.
pub struct TtlMap<K, V> {
    inner: Mutex<Inner<K, V>>,
    limits: Limits,
    weigh: fn(&K, &V) -> usize,
    clock: Clock,
}

/// Why an insert was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("entry of {weight} bytes exceeds the map's budget of {max_bytes} bytes")]
pub struct TooLarge {
    pub weight: usize,
    pub max_bytes: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlMap<K, V> {
    pub fn new(limits: Limits, weigh: fn(&K, &V) -> usize, clock: Clock) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: BTreeMap::new(),
                next_tick: 0,
                bytes: 0,
            }),
            limits,
            weigh,
            clock,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // Every operation restores the maps' invariants before anything that could panic, so a
        // poisoned lock still guards consistent data.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ttl_millis(&self) -> i64 {
        i64::try_from(self.limits.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// Stores `value` under `key` (replacing any previous value) for the map's TTL.
    pub fn insert(&self, key: K, value: V) -> Result<(), TooLarge> {
        self.insert_for(key, value, self.limits.ttl)
    }

    /// Stores `value` under `key` for `ttl`.
    pub fn insert_for(&self, key: K, value: V, ttl: Duration) -> Result<(), TooLarge> {
        self.put(key, value, ttl, false).map(|_| ())
    }

    /// Stores `value` under `key` for `ttl` only if no live value is there: `false` when one is
    /// (a single-use claim, atomic with respect to every other operation on the map).
    pub fn insert_new(&self, key: K, value: V, ttl: Duration) -> Result<bool, TooLarge> {
        self.put(key, value, ttl, true)
    }

    fn put(&self, key: K, value: V, ttl: Duration, only_new: bool) -> Result<bool, TooLarge> {
        let weight = (self.weigh)(&key, &value) + ENTRY_OVERHEAD;
        if weight > self.limits.max_bytes {
            return Err(TooLarge {
                weight,
                max_bytes: self.limits.max_bytes,
            });
        }
        let now = self.clock.now_millis();
        let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let mut inner = self.lock();
        if only_new && inner.live(&key, now).is_some() {
            return Ok(false);
        }
        inner.remove(&key);
        let tick = inner.next_tick;
        inner.next_tick += 1;
        inner.order.insert(tick, key.clone());
        inner.bytes += weight;
        inner.entries.insert(
            key,
            Entry {
                value,
                weight,
                expires_at: now.saturating_add(ttl),
                tick,
            },
        );
        inner.enforce(now, &self.limits);
        Ok(true)
    }

    /// The live value under `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        let now = self.clock.now_millis();
        let mut inner = self.lock();
        inner.drop_expired_front(now);
        inner.live(key, now).map(|e| e.value.clone())
    }

    /// The live value under `key`, whose lifetime starts again (idle expiry) and which becomes
    /// the most recently used.
    pub fn touch(&self, key: &K) -> Option<V> {
        self.touch_with(key, V::clone)
    }

    /// Like [`TtlMap::touch`], handing the value to `read` under the lock instead of cloning it:
    /// keeping a large value alive (a journal of exchanges) must not cost a copy of it.
    pub fn touch_with<R>(&self, key: &K, read: impl FnOnce(&V) -> R) -> Option<R> {
        let now = self.clock.now_millis();
        let ttl = self.ttl_millis();
        let mut inner = self.lock();
        inner.drop_expired_front(now);
        inner.live(key, now)?;
        let tick = inner.next_tick;
        inner.next_tick += 1;
        let entry = inner.entries.get_mut(key)?;
        let old = std::mem::replace(&mut entry.tick, tick);
        entry.expires_at = now.saturating_add(ttl);
        let value = read(&entry.value);
        inner.order.remove(&old);
        inner.order.insert(tick, key.clone());
        Some(value)
    }

    /// Runs `change` on the live value under `key`, atomically with respect to every other
    /// operation on the map; the entry keeps its lifetime. `None` when there is no live value.
    pub fn update<R>(&self, key: &K, change: impl FnOnce(&mut V) -> R) -> Option<R> {
        let now = self.clock.now_millis();
        let mut inner = self.lock();
        inner.drop_expired_front(now);
        inner.live(key, now)?;
        let entry = inner.entries.get_mut(key)?;
        let result = change(&mut entry.value);
        let weight = (self.weigh)(key, &entry.value) + ENTRY_OVERHEAD;
        let old = std::mem::replace(&mut entry.weight, weight);
        inner.bytes = inner.bytes - old + weight;
        inner.enforce(now, &self.limits);
        Some(result)
    }

    /// Removes and returns the live value under `key`.
    pub fn remove(&self, key: &K) -> Option<V> {
        let now = self.clock.now_millis();
        let mut inner = self.lock();
        let entry = inner.remove(key)?;
        (entry.expires_at > now).then_some(entry.value)
    }

    /// Entries held (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, by the weights the values reported.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Drops every expired entry and gives memory back after a peak.
    pub fn sweep(&self) {
        let now = self.clock.now_millis();
        let mut inner = self.lock();
        let expired: Vec<K> = inner
            .entries
            .iter()
            .filter(|(_, e)| e.expires_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            inner.remove(&key);
        }
        let len = inner.entries.len();
        if inner.entries.capacity() > 4 * len + 64 {
            inner.entries.shrink_to(2 * len);
        }
    }
}

impl<K: Eq + Hash + Clone, V> Inner<K, V> {
    fn remove(&mut self, key: &K) -> Option<Entry<V>> {
        let entry = self.entries.remove(key)?;
        self.order.remove(&entry.tick);
        self.bytes -= entry.weight;
        Some(entry)
    }

    fn live(&mut self, key: &K, now: i64) -> Option<&Entry<V>> {
        let expired = self.entries.get(key)?.expires_at <= now;
        if expired {
            self.remove(key);
            return None;
        }
        self.entries.get(key)
    }

    fn drop_expired_front(&mut self, now: i64) {
        while let Some((_, key)) = self.order.first_key_value() {
            let expired = self.entries.get(key).is_none_or(|e| e.expires_at <= now);
            if !expired {
                break;
            }
            let key = key.clone();
            if self.remove(&key).is_none() {
                self.order.pop_first();
            }
        }
    }

    /// Drops what has expired at the front, then the oldest entries while over budget.
    fn enforce(&mut self, now: i64, limits: &Limits) {
        self.drop_expired_front(now);
        while self.entries.len() > limits.max_entries || self.bytes > limits.max_bytes {
            let Some((_, key)) = self.order.first_key_value() else {
                break;
            };
            let key = key.clone();
            if self.remove(&key).is_none() {
                self.order.pop_first();
            }
        }
    }
}

/// Something that can drop its expired entries.
pub trait Sweep: Send + Sync {
    fn sweep(&self);
}

impl<K: Eq + Hash + Clone + Send, V: Clone + Send> Sweep for TtlMap<K, V> {
    fn sweep(&self) {
        TtlMap::sweep(self);
    }
}

/// Sweeps `map` every `period` on the current tokio runtime until the map is dropped, so the
/// memory of expired entries returns even when no request comes.
pub fn spawn_sweeper<T: Sweep + 'static>(map: Weak<T>, period: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match map.upgrade() {
                Some(map) => map.sweep(),
                None => break,
            }
        }
    });
}

/// The weight of a `String` key with a `String` value.
#[allow(clippy::ptr_arg)] // `TtlMap`'s weight function for `String` keys and values.
pub fn weigh_strings(key: &String, value: &String) -> usize {
    key.len() + value.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn map(entries: usize, bytes: usize, ttl_secs: u64) -> (TtlMap<String, String>, ManualClock) {
        let (clock, hand) = Clock::manual();
        let limits = Limits::new(entries, bytes, Duration::from_secs(ttl_secs));
        (TtlMap::new(limits, weigh_strings, clock), hand)
    }

    fn s(v: &str) -> String {
        v.to_owned()
    }

    #[test]
    fn past_its_entry_budget_the_least_recently_written_goes_first() {
        let (m, _) = map(3, 1 << 20, 60);
        for k in ["a", "b", "c"] {
            m.insert(s(k), s(k)).unwrap();
        }
        m.touch(&s("a"));
        m.insert(s("d"), s("d")).unwrap();
        assert_eq!(m.get(&s("b")), None, "b was the least recently used");
        for k in ["a", "c", "d"] {
            assert_eq!(m.get(&s(k)), Some(s(k)));
        }
    }

    #[test]
    fn the_byte_budget_is_kept_whatever_the_values_weigh() {
        let budget = 10 * (ENTRY_OVERHEAD + 1 + 100);
        let (m, _) = map(1_000_000, budget, 60);
        for i in 0..100 {
            m.insert(format!("{}", i % 10), "x".repeat(100)).unwrap();
            m.insert(format!("k{i}"), "y".repeat(100)).unwrap();
            assert!(m.bytes() <= budget, "{} > {budget}", m.bytes());
        }
        let big = m.insert(s("big"), "z".repeat(budget)).unwrap_err();
        assert!(big.weight > budget);
        assert!(m.get(&s("big")).is_none());
    }

    #[test]
    fn entries_expire_and_touch_restarts_their_lifetime() {
        let (m, hand) = map(10, 1 << 20, 60);
        m.insert(s("idle"), s("1")).unwrap();
        m.insert(s("used"), s("2")).unwrap();
        hand.advance_secs(59);
        assert!(m.touch(&s("used")).is_some());
        hand.advance_secs(1);
        assert_eq!(m.get(&s("idle")), None);
        assert_eq!(m.get(&s("used")), Some(s("2")));
        hand.advance_secs(59);
        assert_eq!(m.get(&s("used")), None);
    }

    /// A value that counts its copies.
    struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Self(self.0.clone())
        }
    }

    #[test]
    fn touch_with_restarts_the_lifetime_without_copying_the_value() {
        let (clock, hand) = Clock::manual();
        let limits = Limits::new(10, 1 << 20, Duration::from_secs(60));
        let m = TtlMap::new(limits, |_: &String, _: &Counted| 1, clock);
        let copies = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        m.insert(s("journal"), Counted(copies.clone())).unwrap();
        hand.advance_secs(59);
        assert_eq!(m.touch_with(&s("journal"), |_| "seen"), Some("seen"));
        assert_eq!(m.touch_with(&s("absent"), |_| "seen"), None);
        hand.advance_secs(59);
        assert!(m.touch_with(&s("journal"), |_| ()).is_some(), "alive again");
        assert_eq!(copies.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert!(m.touch(&s("journal")).is_some());
        assert_eq!(copies.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn insert_new_claims_a_key_once_until_it_expires() {
        let (m, hand) = map(10, 1 << 20, 60);
        let ttl = Duration::from_secs(30);
        assert!(m.insert_new(s("jti"), s("1"), ttl).unwrap());
        assert!(!m.insert_new(s("jti"), s("2"), ttl).unwrap());
        assert_eq!(m.get(&s("jti")), Some(s("1")));
        hand.advance_secs(30);
        assert!(m.insert_new(s("jti"), s("3"), ttl).unwrap());
    }

    #[test]
    fn update_is_atomic_and_reweighs() {
        let (m, _) = map(10, 1 << 20, 60);
        m.insert(s("k"), s("")).unwrap();
        let before = m.bytes();
        assert_eq!(m.update(&s("k"), |v| v.push_str("abc")), Some(()));
        assert_eq!(m.bytes(), before + 3);
        assert_eq!(m.update(&s("missing"), |v| v.clear()), None);
        assert_eq!(m.remove(&s("k")), Some(s("abc")));
        assert_eq!(m.bytes(), 0);
    }

    #[test]
    fn sweeping_drops_expired_entries_and_their_bytes() {
        let (m, hand) = map(100_000, 1 << 30, 10);
        for i in 0..10_000 {
            m.insert(format!("k{i}"), s("v")).unwrap();
        }
        m.insert_for(s("long"), s("v"), Duration::from_secs(3600))
            .unwrap();
        hand.advance_secs(11);
        m.sweep();
        assert_eq!(m.len(), 1);
        assert_eq!(m.bytes(), 4 + 1 + ENTRY_OVERHEAD);
    }
}
