//! The journal of checktoken exchanges (SPEC §1.3, §6 last paragraph).
//!
//! The SP sends an `X-Correlation-ID` header with its data call; every exchange the DP has with
//! the hub for that call (checktoken, and the JWKS fetch when one was needed) is kept under that
//! id, so the SP's "Journal des échanges" can show the DP ↔ hub leg too, with the secret masked.
//!
//! `GET /exchanges/{id}` answers `200 []` for an id it does not know (never seen, expired or
//! evicted): the SP cannot tell those apart anyway, and an empty list renders as "nothing".
//! Memory is bounded: at most [`MAX_CORRELATION_IDS`] ids (oldest evicted first), each keeping
//! at most [`MAX_EXCHANGES_PER_ID`] exchanges, each forgotten [`TTL`] after the id was first seen.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

pub const MAX_CORRELATION_IDS: usize = 1000;
pub const MAX_EXCHANGES_PER_ID: usize = 50;
pub const TTL: Duration = Duration::from_secs(15 * 60);

/// What the DP sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The public URL (what the hub is known as), even when sent to an internal address.
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
}

/// What the hub answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// A JWS answer, decoded, with the result of its checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedJws {
    pub header: Value,
    pub payload: Value,
    pub signature_valid: bool,
    /// Why the answer was refused (signature or claims), if it was.
    pub error: Option<String>,
}

/// One back-channel exchange with the hub.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// `checktoken` or `jwks`.
    pub kind: &'static str,
    /// When the request left (RFC 3339, UTC).
    pub started_at: String,
    pub duration_ms: u64,
    pub request: RecordedRequest,
    /// `None` when no answer came (hub unreachable, timeout).
    pub response: Option<RecordedResponse>,
    pub jws: Option<RecordedJws>,
    /// Transport or protocol error, if any.
    pub error: Option<String>,
}

/// Whether `id` is acceptable as a journal key: 1 to 128 characters among `A-Za-z0-9-_.:`.
pub fn valid_correlation_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

struct Entry {
    first_seen: Instant,
    exchanges: Vec<Exchange>,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, Entry>,
    /// Ids in the order they were first seen: the front is both the oldest and the first to expire.
    order: VecDeque<String>,
}

/// The bounded journal; the clock is passed in so tests control time.
pub struct Journal {
    inner: Mutex<Inner>,
    capacity: usize,
    ttl: Duration,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new(MAX_CORRELATION_IDS, TTL)
    }
}

impl Journal {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Each operation leaves the maps consistent before it can panic, so a poisoned lock is safe.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `exchanges` under `correlation_id` (ignored when the id is not valid).
    pub fn record(&self, correlation_id: &str, exchanges: Vec<Exchange>, now: Instant) {
        if !valid_correlation_id(correlation_id) || exchanges.is_empty() {
            return;
        }
        let mut inner = self.lock();
        self.purge(&mut inner, now);
        if !inner.by_id.contains_key(correlation_id) {
            inner.order.push_back(correlation_id.to_owned());
            inner.by_id.insert(
                correlation_id.to_owned(),
                Entry {
                    first_seen: now,
                    exchanges: Vec::new(),
                },
            );
        }
        if let Some(entry) = inner.by_id.get_mut(correlation_id) {
            let room = MAX_EXCHANGES_PER_ID.saturating_sub(entry.exchanges.len());
            entry.exchanges.extend(exchanges.into_iter().take(room));
        }
        self.purge(&mut inner, now);
    }

    /// The exchanges recorded under `correlation_id`, oldest first (empty when unknown).
    pub fn get(&self, correlation_id: &str, now: Instant) -> Vec<Exchange> {
        let mut inner = self.lock();
        self.purge(&mut inner, now);
        inner
            .by_id
            .get(correlation_id)
            .map(|e| e.exchanges.clone())
            .unwrap_or_default()
    }

    /// Number of correlation ids held.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn purge(&self, inner: &mut Inner, now: Instant) {
        while let Some(oldest) = inner.order.front() {
            let expired = inner
                .by_id
                .get(oldest)
                .is_none_or(|e| now.saturating_duration_since(e.first_seen) >= self.ttl);
            if !expired && inner.by_id.len() <= self.capacity {
                break;
            }
            if let Some(id) = inner.order.pop_front() {
                inner.by_id.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(n: u64) -> Exchange {
        Exchange {
            kind: "checktoken",
            started_at: String::new(),
            duration_ms: n,
            request: RecordedRequest {
                method: "POST".into(),
                url: "http://hub/api/v2/checktoken".into(),
                headers: BTreeMap::new(),
                body: None,
            },
            response: None,
            jws: None,
            error: None,
        }
    }

    #[test]
    fn exchanges_are_kept_per_correlation_id_in_order() {
        let journal = Journal::default();
        let now = Instant::now();
        journal.record("a", vec![exchange(1)], now);
        journal.record("b", vec![exchange(2)], now);
        journal.record("a", vec![exchange(3), exchange(4)], now);
        let a: Vec<u64> = journal
            .get("a", now)
            .iter()
            .map(|e| e.duration_ms)
            .collect();
        assert_eq!(a, vec![1, 3, 4]);
        assert_eq!(journal.get("b", now).len(), 1);
        assert!(journal.get("unknown", now).is_empty());
    }

    #[test]
    fn the_oldest_ids_are_evicted_past_capacity() {
        let journal = Journal::new(3, TTL);
        let now = Instant::now();
        for id in ["a", "b", "c", "d"] {
            journal.record(id, vec![exchange(0)], now);
        }
        assert_eq!(journal.len(), 3);
        assert!(journal.get("a", now).is_empty());
        assert_eq!(journal.get("d", now).len(), 1);
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let journal = Journal::new(10, Duration::from_secs(60));
        let start = Instant::now();
        journal.record("a", vec![exchange(0)], start);
        journal.record("b", vec![exchange(0)], start + Duration::from_secs(30));
        let later = start + Duration::from_secs(61);
        assert!(journal.get("a", later).is_empty());
        assert_eq!(journal.get("b", later).len(), 1);
        assert_eq!(journal.len(), 1);
    }

    #[test]
    fn each_id_holds_a_bounded_number_of_exchanges() {
        let journal = Journal::default();
        let now = Instant::now();
        for _ in 0..(MAX_EXCHANGES_PER_ID + 10) {
            journal.record("a", vec![exchange(0)], now);
        }
        assert_eq!(journal.get("a", now).len(), MAX_EXCHANGES_PER_ID);
    }

    #[test]
    fn odd_correlation_ids_are_not_recorded() {
        let journal = Journal::default();
        let now = Instant::now();
        let long = "x".repeat(129);
        for id in ["", "a b", "é", long.as_str(), "a/b"] {
            assert!(!valid_correlation_id(id), "{id:?}");
            journal.record(id, vec![exchange(0)], now);
        }
        assert!(journal.is_empty());
        assert!(valid_correlation_id("0b6c3f1e-2d4a-4c4f-9c0e-8f1b2a3c4d5e"));
    }
}
