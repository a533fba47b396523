//! The journal of checktoken exchanges, so the service provider's "Journal des échanges" can
//! show the DP ↔ hub leg of its data calls too.
//!
//! The SP sends an `X-Correlation-ID` header with its data call; every exchange the DP has with
//! the hub for that call (checktoken, and the JWKS fetch when one was needed) is kept under that
//! id, with the secret masked. `GET /exchanges/{id}` answers `200 []` for an id it does not know
//! (never seen, expired or evicted): the SP cannot tell those apart anyway.
//!
//! Anyone can send a data call with a made-up token and a made-up correlation id, and each one
//! makes the DP call the hub: such a flood must not push out the exchanges of real calls. So the
//! journal has two tiers, each a bounded [`TtlMap`] (entries and bytes, oldest first out):
//!
//! - **verified**: ids of calls whose token the hub confirmed active (the caller held a real
//!   access token, which takes a real FranceConnect login). Junk cannot enter it;
//! - **unverified**: every other call (inactive or unknown tokens, hub failures), small. A flood
//!   of junk evicts only other unverified ids: a real call that failed (say, while the hub was
//!   down) keeps its exchanges until [`UNVERIFIED_SHARE`] of the budget's worth of junk follows it.
//!
//! An id keeps at most [`MAX_EXCHANGES_PER_ID`] exchanges, for [`TTL`] after it was first seen.
//! Once its token is confirmed, an unverified id moves to the verified tier.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fc_plumbing::ttl_map::{Limits, spawn_sweeper};
use fc_plumbing::{Clock, TtlMap};
use serde::Serialize;
use serde_json::Value;

pub const MAX_EXCHANGES_PER_ID: usize = 50;
pub const TTL: Duration = Duration::from_secs(15 * 60);
/// The unverified tier gets this fraction of the ids and bytes the journal is given.
pub const UNVERIFIED_SHARE: usize = 8;

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

/// An encrypted answer (JWE), as the DP opened it: its protected header, the key that opened it,
/// and why it was refused if it was. The signed answer it contained is in [`Exchange::jws`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedJwe {
    pub header: Value,
    /// The kid of the DP's key that decrypted it.
    pub kid: Option<String>,
    pub decrypted: bool,
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
    /// The encrypted layer of the answer, when it had one (FranceConnect v2's JWE).
    pub jwe: Option<RecordedJwe>,
    /// The signed answer (inside the JWE when there was one) and its signature check.
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

/// Roughly what a JSON value holds in memory, in bytes.
fn json_weight(value: &Value) -> usize {
    match value {
        Value::String(s) => 24 + s.len(),
        Value::Array(items) => 24 + items.iter().map(json_weight).sum::<usize>(),
        Value::Object(map) => {
            24 + map
                .iter()
                .map(|(k, v)| 24 + k.len() + json_weight(v))
                .sum::<usize>()
        }
        _ => 16,
    }
}

fn headers_weight(headers: &BTreeMap<String, String>) -> usize {
    headers.iter().map(|(k, v)| 48 + k.len() + v.len()).sum()
}

impl Exchange {
    /// Roughly what this exchange holds in memory, in bytes.
    pub fn weight(&self) -> usize {
        let request = &self.request;
        let response = self
            .response
            .as_ref()
            .map_or(0, |r| r.body.len() + headers_weight(&r.headers));
        let jwe = self.jwe.as_ref().map_or(0, |j| {
            json_weight(&j.header)
                + j.kid.as_ref().map_or(0, String::len)
                + j.error.as_ref().map_or(0, String::len)
        });
        let jws = self.jws.as_ref().map_or(0, |j| {
            json_weight(&j.header)
                + json_weight(&j.payload)
                + j.error.as_ref().map_or(0, String::len)
        });
        200 + self.started_at.len()
            + request.method.len()
            + request.url.len()
            + headers_weight(&request.headers)
            + request.body.as_ref().map_or(0, String::len)
            + response
            + jwe
            + jws
            + self.error.as_ref().map_or(0, String::len)
    }
}

#[allow(clippy::ptr_arg)] // `TtlMap`'s weight function for `String` keys.
fn weigh(id: &String, exchanges: &Vec<Exchange>) -> usize {
    id.len() + exchanges.iter().map(Exchange::weight).sum::<usize>()
}

type Tier = Arc<TtlMap<String, Vec<Exchange>>>;

/// The two-tier journal; cheap to share.
pub struct Journal {
    verified: Tier,
    unverified: Tier,
}

/// What one tier holds, against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub ids: usize,
    pub bytes: usize,
    pub max_ids: usize,
    pub max_bytes: usize,
}

fn usage(tier: &Tier) -> Usage {
    let limits = tier.limits();
    Usage {
        ids: tier.len(),
        bytes: tier.bytes(),
        max_ids: limits.max_entries,
        max_bytes: limits.max_bytes,
    }
}

impl Journal {
    /// A journal of `ids` confirmed correlation ids (and an eighth as many unconfirmed ones) in
    /// `megabytes` (an eighth of them for the unconfirmed ones).
    pub fn new(ids: usize, megabytes: usize, clock: &Clock) -> Self {
        let bytes = megabytes.max(1) << 20;
        let share = |n: usize| (n / UNVERIFIED_SHARE).max(1);
        let tier = |ids: usize, bytes: usize| {
            Arc::new(TtlMap::new(
                Limits::new(ids, bytes, TTL),
                weigh,
                clock.clone(),
            ))
        };
        Self {
            verified: tier(ids.max(1), bytes - bytes / UNVERIFIED_SHARE),
            unverified: tier(share(ids), share(bytes).max(64 << 10)),
        }
    }

    /// Sweeps both tiers every few seconds (call inside the server's runtime).
    pub fn spawn_sweepers(&self) {
        spawn_sweeper(Arc::downgrade(&self.verified), Duration::from_secs(5));
        spawn_sweeper(Arc::downgrade(&self.unverified), Duration::from_secs(5));
    }

    /// Appends `exchanges` under `correlation_id` (ignored when the id is not valid); `verified`
    /// when the hub confirmed the call's token.
    pub fn record(&self, correlation_id: &str, exchanges: Vec<Exchange>, verified: bool) {
        if !valid_correlation_id(correlation_id) || exchanges.is_empty() {
            return;
        }
        let id = correlation_id.to_owned();
        let mut exchanges = Some(exchanges);
        let mut append = |list: &mut Vec<Exchange>| {
            let room = MAX_EXCHANGES_PER_ID.saturating_sub(list.len());
            list.extend(exchanges.take().unwrap_or_default().into_iter().take(room));
        };
        // An id already confirmed stays where it is.
        if self.verified.update(&id, &mut append).is_some() {
            return;
        }
        if verified {
            let mut list = self.unverified.remove(&id).unwrap_or_default();
            append(&mut list);
            if let Err(e) = self.verified.insert(id, list) {
                tracing::warn!(error = %e, "exchanges too large for the journal: not kept");
            }
            return;
        }
        if self.unverified.update(&id, &mut append).is_none() {
            let mut list = Vec::new();
            append(&mut list);
            if let Err(e) = self.unverified.insert(id, list) {
                tracing::warn!(error = %e, "exchanges too large for the journal: not kept");
            }
        }
    }

    /// The exchanges recorded under `correlation_id`, oldest first (empty when unknown).
    pub fn get(&self, correlation_id: &str) -> Vec<Exchange> {
        let id = correlation_id.to_owned();
        self.verified
            .get(&id)
            .or_else(|| self.unverified.get(&id))
            .unwrap_or_default()
    }

    /// (verified, unverified).
    pub fn usage(&self) -> (Usage, Usage) {
        (usage(&self.verified), usage(&self.unverified))
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
            jwe: None,
            jws: None,
            error: None,
        }
    }

    fn journal(ids: usize) -> (Journal, fc_plumbing::ManualClock) {
        let (clock, hand) = Clock::manual();
        (Journal::new(ids, 1, &clock), hand)
    }

    fn durations(journal: &Journal, id: &str) -> Vec<u64> {
        journal.get(id).iter().map(|e| e.duration_ms).collect()
    }

    #[test]
    fn exchanges_are_kept_per_correlation_id_in_order() {
        let (journal, _) = journal(100);
        journal.record("a", vec![exchange(1)], false);
        journal.record("b", vec![exchange(2)], true);
        journal.record("a", vec![exchange(3), exchange(4)], true);
        journal.record("a", vec![exchange(5)], false);
        assert_eq!(durations(&journal, "a"), vec![1, 3, 4, 5]);
        assert_eq!(journal.get("b").len(), 1);
        assert!(journal.get("unknown").is_empty());
        let (verified, unverified) = journal.usage();
        assert_eq!(
            (verified.ids, unverified.ids),
            (2, 0),
            "a moved up once confirmed"
        );
    }

    #[test]
    fn a_flood_of_unverified_ids_never_evicts_a_verified_one() {
        let (journal, _) = journal(16);
        journal.record("real", vec![exchange(1)], true);
        journal.record("failed-real", vec![exchange(2)], false);
        for i in 0..1000 {
            journal.record(&format!("junk-{i}"), vec![exchange(0)], false);
            let (verified, unverified) = journal.usage();
            assert!(
                verified.bytes <= verified.max_bytes && unverified.bytes <= unverified.max_bytes
            );
            assert!(unverified.ids <= 2, "an eighth of 16 ids");
        }
        assert_eq!(durations(&journal, "real"), vec![1]);
        assert!(
            journal.get("failed-real").is_empty(),
            "the documented bound"
        );
        assert_eq!(journal.get("junk-999").len(), 1);
    }

    #[test]
    fn the_oldest_verified_ids_go_first_past_capacity() {
        let (journal, _) = journal(3);
        for id in ["a", "b", "c", "d"] {
            journal.record(id, vec![exchange(0)], true);
        }
        assert!(journal.get("a").is_empty());
        assert_eq!(journal.get("d").len(), 1);
        assert_eq!(journal.usage().0.ids, 3);
    }

    #[test]
    fn entries_expire_after_the_ttl_and_give_their_bytes_back() {
        let (journal, hand) = journal(10);
        journal.record("a", vec![exchange(0)], true);
        hand.advance_secs(30);
        journal.record("b", vec![exchange(0)], true);
        journal.record("a", vec![exchange(1)], true);
        hand.advance_secs(TTL.as_secs() as i64 - 30);
        assert!(
            journal.get("a").is_empty(),
            "15 minutes after it was first seen"
        );
        assert_eq!(journal.get("b").len(), 1);
        hand.advance_secs(30);
        journal.verified.sweep();
        assert_eq!(journal.usage().0.bytes, 0);
    }

    #[test]
    fn each_id_holds_a_bounded_number_of_exchanges() {
        let (journal, _) = journal(10);
        for _ in 0..(MAX_EXCHANGES_PER_ID + 10) {
            journal.record("a", vec![exchange(0)], true);
        }
        assert_eq!(journal.get("a").len(), MAX_EXCHANGES_PER_ID);
    }

    #[test]
    fn odd_correlation_ids_are_not_recorded() {
        let (journal, _) = journal(10);
        let long = "x".repeat(129);
        for id in ["", "a b", "é", long.as_str(), "a/b"] {
            assert!(!valid_correlation_id(id), "{id:?}");
            journal.record(id, vec![exchange(0)], true);
        }
        assert_eq!(journal.usage().0.ids, 0);
        assert!(valid_correlation_id("0b6c3f1e-2d4a-4c4f-9c0e-8f1b2a3c4d5e"));
    }
}
