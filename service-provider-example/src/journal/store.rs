//! Where journals live: in memory, bounded in entries and bytes, in two tiers.
//!
//! A journal is created only when a browser comes back from FranceConnect with the encrypted
//! cookie of a login it started here (see [`super::feed`]): a cookie-less request never creates
//! one. Journals of browsers that did not log in sit in a small *fresh* tier; a journal whose
//! session is established (a person logged in) lives in the *established* tier. A flood of
//! journeys that never log in can only push out other fresh journals, never the journal of a
//! logged-in user. Within a tier, the least recently used journal goes first, and each is
//! forgotten after the session idle time without use.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use fc_plumbing::ttl_map::spawn_sweeper;
use fc_plumbing::{Clock, Limits, TtlMap};

use super::exchange::Exchange;

/// How many exchanges a journal keeps (the oldest are dropped).
pub const MAX_ENTRIES: usize = 100;
/// The most one journal may weigh, whatever its tier's budget.
const MAX_JOURNAL_BYTES: usize = 512 << 10;

/// Budgets of both tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalLimits {
    pub fresh: Limits,
    pub established: Limits,
}

impl JournalLimits {
    /// `max_journals` journals and `megabytes` in all; an eighth of the bytes and a quarter of
    /// the count for the fresh tier. Each journal lives `idle` after its last use.
    pub fn with_caps(max_journals: usize, megabytes: usize, idle: Duration) -> Self {
        let bytes = megabytes.max(1) << 20;
        Self {
            fresh: Limits::new((max_journals / 4).max(1), bytes / 8, idle),
            established: Limits::new(max_journals, bytes - bytes / 8, idle),
        }
    }

    /// Bytes of both tiers.
    pub fn max_bytes(&self) -> usize {
        self.fresh.max_bytes + self.established.max_bytes
    }
}

/// The exchanges of one journal, oldest first, with their weight.
#[derive(Debug, Clone, Default)]
struct Entries {
    list: VecDeque<Exchange>,
    bytes: usize,
}

impl Entries {
    fn extend(&mut self, exchanges: Vec<Exchange>, max_bytes: usize) {
        for exchange in exchanges {
            self.bytes += exchange.weight();
            self.list.push_back(exchange);
        }
        while self.list.len() > MAX_ENTRIES || (self.bytes > max_bytes && self.list.len() > 1) {
            if let Some(old) = self.list.pop_front() {
                self.bytes -= old.weight();
            }
        }
    }
}

// The signature is `TtlMap`'s weight function.
#[allow(clippy::ptr_arg)]
fn weigh(id: &String, entries: &Entries) -> usize {
    id.len() + entries.bytes
}

/// Every journal, in two tiers; cheap to share (`Arc` inside).
#[derive(Clone)]
pub struct JournalStore {
    fresh: Arc<TtlMap<String, Entries>>,
    established: Arc<TtlMap<String, Entries>>,
}

impl JournalStore {
    pub fn new(limits: JournalLimits, clock: Clock) -> Self {
        Self {
            fresh: Arc::new(TtlMap::new(limits.fresh, weigh, clock.clone())),
            established: Arc::new(TtlMap::new(limits.established, weigh, clock)),
        }
    }

    /// Sweeps both tiers every few seconds on the current runtime.
    pub fn spawn_sweepers(&self) {
        spawn_sweeper(Arc::downgrade(&self.fresh), Duration::from_secs(5));
        spawn_sweeper(Arc::downgrade(&self.established), Duration::from_secs(5));
    }

    /// Appends `exchanges` (masked here) to journal `id`, creating it if needed, in the
    /// established tier when `established` (moving it there from the fresh one).
    pub fn append(&self, id: &str, established: bool, exchanges: Vec<Exchange>) {
        let exchanges: Vec<Exchange> = exchanges.into_iter().map(Exchange::masked).collect();
        let key = id.to_owned();
        if self.established.touch_with(&key, |_| ()).is_some() {
            let cap = cap(&self.established);
            self.established.update(&key, |e| e.extend(exchanges, cap));
        } else if established {
            let mut entries = self.fresh.remove(&key).unwrap_or_default();
            entries.extend(exchanges, cap(&self.established));
            store(&self.established, key, entries);
        } else if self.fresh.touch_with(&key, |_| ()).is_some() {
            let cap = cap(&self.fresh);
            self.fresh.update(&key, |e| e.extend(exchanges, cap));
        } else {
            let mut entries = Entries::default();
            entries.extend(exchanges, cap(&self.fresh));
            store(&self.fresh, key, entries);
        }
    }

    /// The entries of journal `id`, oldest first (none when unknown, expired or evicted).
    /// Reading is a use: it keeps the journal alive like the session it belongs to.
    pub fn entries(&self, id: &str) -> Vec<Exchange> {
        let key = id.to_owned();
        self.established
            .touch(&key)
            .or_else(|| self.fresh.touch(&key))
            .map(|e| e.list.into_iter().collect())
            .unwrap_or_default()
    }

    /// Journals held: (fresh, established).
    pub fn counts(&self) -> (usize, usize) {
        (self.fresh.len(), self.established.len())
    }

    /// Bytes held by both tiers.
    pub fn bytes(&self) -> usize {
        self.fresh.bytes() + self.established.bytes()
    }

    pub fn limits(&self) -> JournalLimits {
        JournalLimits {
            fresh: self.fresh.limits(),
            established: self.established.limits(),
        }
    }
}

fn cap(tier: &TtlMap<String, Entries>) -> usize {
    MAX_JOURNAL_BYTES.min(tier.limits().max_bytes / 2)
}

fn store(tier: &TtlMap<String, Entries>, key: String, entries: Entries) {
    if let Err(e) = tier.insert(key, entries) {
        tracing::warn!("journal not kept: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fc_plumbing::ManualClock;

    fn step(i: usize) -> Exchange {
        Exchange {
            step: i.to_string(),
            ..Exchange::default()
        }
    }

    const IDLE: Duration = Duration::from_secs(30 * 60);

    fn store(max_journals: usize) -> (JournalStore, ManualClock) {
        let (clock, hand) = Clock::manual();
        let limits = JournalLimits::with_caps(max_journals, 8, IDLE);
        (JournalStore::new(limits, clock), hand)
    }

    #[test]
    fn a_journal_keeps_its_last_entries_in_order() {
        let (store, _) = store(10);
        store.append("a", false, (0..MAX_ENTRIES + 5).map(step).collect());
        let entries = store.entries("a");
        assert_eq!(entries.len(), MAX_ENTRIES);
        assert_eq!(entries[0].step, "5");
        assert_eq!(entries[MAX_ENTRIES - 1].step, (MAX_ENTRIES + 4).to_string());
    }

    #[test]
    fn journeys_that_never_log_in_cannot_push_out_a_logged_in_users_journal() {
        let (store, _) = store(8);
        store.append("user", false, vec![step(1)]);
        store.append("user", true, vec![step(2)]);
        for i in 0..1_000 {
            store.append(&format!("flood-{i}"), false, vec![step(i)]);
        }
        let steps: Vec<String> = store.entries("user").into_iter().map(|e| e.step).collect();
        assert_eq!(steps, ["1", "2"], "moved to the established tier whole");
        assert_eq!(
            store.counts(),
            (2, 1),
            "the fresh tier holds a quarter of 8"
        );
        assert!(store.entries("flood-0").is_empty());
        assert_eq!(store.entries("flood-999").len(), 1);
        assert!(store.bytes() <= store.limits().max_bytes());
        // Once established, a journal stays there (the user logs out: the journey stays readable).
        store.append("user", false, vec![step(3)]);
        assert_eq!(store.entries("user").len(), 3);
    }

    #[test]
    fn journals_expire_after_the_idle_time_unless_used() {
        let (store, hand) = store(10);
        store.append("old", false, vec![step(1)]);
        store.append("used", true, vec![step(2)]);
        hand.advance_secs(IDLE.as_secs() as i64 - 1);
        assert_eq!(store.entries("used").len(), 1, "reading is a use");
        hand.advance_secs(2);
        assert!(store.entries("old").is_empty());
        assert_eq!(store.entries("used").len(), 1);
        hand.advance_secs(IDLE.as_secs() as i64);
        assert!(store.entries("used").is_empty());
    }

    #[test]
    fn the_byte_budget_holds_whatever_the_bodies_weigh() {
        let (store, _) = store(1_000);
        let heavy = |i| Exchange {
            response_body: Some("x".repeat(16_000)),
            ..step(i)
        };
        for i in 0..2_000 {
            store.append(&format!("j{}", i % 300), i % 2 == 0, vec![heavy(i)]);
        }
        assert!(store.bytes() <= store.limits().max_bytes());
        assert!(
            store.bytes() > store.limits().max_bytes() / 2,
            "the budget is used"
        );
    }
}
