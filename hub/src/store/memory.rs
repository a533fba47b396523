//! The in-memory store: what `cargo run` uses. One bounded expiring map (by bytes), so no
//! sequence of requests can grow the hub's memory past its budget.

use std::sync::Arc;
use std::time::Duration;

use fc_plumbing::Clock;
use fc_plumbing::ttl_map::{Limits, TtlMap, spawn_sweeper};

use super::StoreError;

// The signature is `TtlMap`'s weight function for these key and value types.
#[allow(clippy::ptr_arg)]
fn weigh(key: &String, value: &Vec<u8>) -> usize {
    key.len() + value.len()
}

#[derive(Clone)]
pub struct MemoryStore {
    map: Arc<TtlMap<String, Vec<u8>>>,
}

impl MemoryStore {
    /// A store of at most `max_bytes`; entries past it go oldest first.
    pub fn new(max_entries: usize, max_bytes: usize, clock: Clock) -> Self {
        // Every value carries its own TTL; the map's default is never used for them.
        let limits = Limits::new(max_entries, max_bytes, Duration::from_secs(3600));
        Self {
            map: Arc::new(TtlMap::new(limits, weigh, clock)),
        }
    }

    /// Sweeps expired entries every few seconds (call once, inside the server's runtime).
    pub fn spawn_sweeper(&self) {
        spawn_sweeper(Arc::downgrade(&self.map), Duration::from_secs(5));
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.map.get(&key.to_owned())
    }

    pub fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        self.map
            .insert_for(key.to_owned(), value, ttl)
            .map_err(|e| StoreError::TooLarge(e.weight))
    }

    pub fn put_new(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<bool, StoreError> {
        self.map
            .insert_new(key.to_owned(), value, ttl)
            .map_err(|e| StoreError::TooLarge(e.weight))
    }

    pub fn incr(&self, key: &str, delta: i64, ttl: Duration) -> Result<i64, StoreError> {
        let key = key.to_owned();
        let add = |bytes: &mut Vec<u8>| {
            let now = std::str::from_utf8(bytes)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(0)
                .saturating_add(delta);
            *bytes = now.to_string().into_bytes();
            now
        };
        loop {
            if let Some(now) = self.map.update(&key, add) {
                return Ok(now);
            }
            let created = self
                .map
                .insert_new(key.clone(), delta.to_string().into_bytes(), ttl)
                .map_err(|e| StoreError::TooLarge(e.weight))?;
            if created {
                return Ok(delta);
            }
            // Another caller created it between both steps: add to theirs.
        }
    }

    pub fn take(&self, key: &str) -> Option<Vec<u8>> {
        self.map.remove(&key.to_owned())
    }

    /// Entries and bytes held.
    pub fn usage(&self) -> (usize, usize) {
        (self.map.len(), self.map.bytes())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{Store, contract};
    use super::*;

    fn store() -> (Store, fc_plumbing::ManualClock) {
        let (clock, hand) = Clock::manual();
        (
            Store::Memory(MemoryStore::new(10_000, 1 << 20, clock)),
            hand,
        )
    }

    #[tokio::test]
    async fn memory_store_contract() {
        let (s, hand) = store();
        contract::values_round_trip_and_expire(&s, async |secs| hand.advance_secs(secs as i64))
            .await;
        contract::put_new_claims_once(&s).await;
        contract::json_values_round_trip(&s).await;
        contract::parallel_claims_have_exactly_one_winner(Arc::new(store().0)).await;
        contract::counters_add_up_atomically(Arc::new(store().0)).await;
    }
}
