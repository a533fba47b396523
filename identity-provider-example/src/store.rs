//! Short-lived server-side state: authorization codes, access tokens and the login forms already
//! used (lifetimes as at FranceConnect: codes 30 s, access tokens 60 s).
//!
//! Each kind lives in its own [`TtlMap`] (the workspace's bounded expiring map): bounded in
//! entries and in bytes, oldest dropped first past either bound, expired entries swept in the
//! background. Only requests that proved something write here — a password that matched (a
//! code, a used form), a hub that authenticated (an access token) — so a flood of anonymous
//! requests cannot evict a real journey's entries. Time comes from the configured [`Clock`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fc_plumbing::ttl_map::{Limits, spawn_sweeper};
use fc_plumbing::{Clock, TtlMap};
use serde::Serialize;
use serde_json::Value;

use crate::scenario::Scenario;
use crate::users::Person;

/// Authorization codes are single use and live 30 s, as at FranceConnect.
pub const CODE_TTL_SECS: u64 = 30;
/// Access tokens live 60 s (`expires_in` of the token answer).
pub const ACCESS_TOKEN_TTL_SECS: u64 = 60;

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

/// Roughly what a JSON value holds in memory, in bytes.
pub fn json_weight(value: &Value) -> usize {
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

fn person_weight(person: &Person) -> usize {
    person.identifiant.len()
        + person.sub.len()
        + person.display_name.len()
        + person
            .claims
            .iter()
            .map(|(k, v)| 24 + k.len() + json_weight(v))
            .sum::<usize>()
}

#[allow(clippy::ptr_arg)] // `TtlMap`'s weight function for `String` keys.
fn code_weight(key: &String, grant: &CodeGrant) -> usize {
    key.len()
        + grant.client_id.len()
        + grant.redirect_uri.len()
        + grant.nonce.len()
        + grant.acr.len()
        + grant.scope.len()
        + person_weight(&grant.person)
        + 64
}

#[allow(clippy::ptr_arg)] // `TtlMap`'s weight function for `String` keys.
fn access_weight(key: &String, grant: &AccessGrant) -> usize {
    key.len() + grant.client_id.len() + grant.scope.len() + person_weight(&grant.person) + 32
}

#[allow(clippy::ptr_arg)] // `TtlMap`'s weight function for `String` keys.
fn form_weight(key: &String, _: &()) -> usize {
    key.len()
}

/// The ids of login forms that already logged someone in, until the forms expire: a form logs
/// in once (see [`crate::login_form`]).
pub struct UsedForms {
    map: Arc<TtlMap<String, ()>>,
    /// Makes "not used yet, now used" one step: two posts of one form get one code.
    lock: Mutex<()>,
}

impl UsedForms {
    pub fn is_used(&self, id: &str) -> bool {
        self.map.get(&id.to_owned()).is_some()
    }

    /// Marks the form `id` (valid until `expires_at`) as used; `false` when it already was.
    pub fn consume(&self, id: &str, expires_at: i64, now: i64) -> bool {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.is_used(id) {
            return false;
        }
        let left = Duration::from_secs(u64::try_from(expires_at - now).unwrap_or(0).max(1));
        // Refused only if one id outweighs the whole budget, which a 43-byte id cannot.
        let _ = self.map.insert_for(id.to_owned(), (), left);
        true
    }
}

/// The three stores, each with its own limits.
pub struct Stores {
    pub codes: Arc<TtlMap<String, CodeGrant>>,
    pub access_tokens: Arc<TtlMap<String, AccessGrant>>,
    pub used_forms: UsedForms,
}

/// What one store holds, against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub entries: usize,
    pub bytes: usize,
    pub max_entries: usize,
    pub max_bytes: usize,
}

impl Usage {
    pub fn of<K: Eq + std::hash::Hash + Clone, V: Clone>(map: &TtlMap<K, V>) -> Self {
        let limits = map.limits();
        Self {
            entries: map.len(),
            bytes: map.bytes(),
            max_entries: limits.max_entries,
            max_bytes: limits.max_bytes,
        }
    }
}

impl Stores {
    /// `max_entries` and `megabytes` bound each store; `form_ttl` is how long a form lives.
    pub fn new(max_entries: usize, megabytes: usize, form_ttl: Duration, clock: &Clock) -> Self {
        let bytes = megabytes.max(1) << 20;
        let limits = |ttl| Limits::new(max_entries, bytes, ttl);
        Self {
            codes: Arc::new(TtlMap::new(
                limits(Duration::from_secs(CODE_TTL_SECS)),
                code_weight,
                clock.clone(),
            )),
            access_tokens: Arc::new(TtlMap::new(
                limits(Duration::from_secs(ACCESS_TOKEN_TTL_SECS)),
                access_weight,
                clock.clone(),
            )),
            used_forms: UsedForms {
                map: Arc::new(TtlMap::new(limits(form_ttl), form_weight, clock.clone())),
                lock: Mutex::new(()),
            },
        }
    }

    /// Sweeps the stores every few seconds (call inside the server's runtime).
    pub fn spawn_sweepers(&self) {
        let period = Duration::from_secs(5);
        spawn_sweeper(Arc::downgrade(&self.codes), period);
        spawn_sweeper(Arc::downgrade(&self.access_tokens), period);
        spawn_sweeper(Arc::downgrade(&self.used_forms.map), period);
    }

    /// (codes, access tokens, used forms).
    pub fn usage(&self) -> (Usage, Usage, Usage) {
        (
            Usage::of(&self.codes),
            Usage::of(&self.access_tokens),
            Usage::of(&self.used_forms.map),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fc_plumbing::ManualClock;

    fn stores() -> (Stores, ManualClock) {
        let (clock, hand) = Clock::manual();
        (Stores::new(100, 1, Duration::from_secs(600), &clock), hand)
    }

    #[test]
    fn a_form_is_consumed_once_and_forgotten_when_it_expires() {
        let (stores, hand) = stores();
        let now = stores.codes.clock().now();
        assert!(!stores.used_forms.is_used("f"));
        assert!(stores.used_forms.consume("f", now + 600, now));
        assert!(!stores.used_forms.consume("f", now + 600, now));
        assert!(stores.used_forms.is_used("f"));
        hand.advance_secs(601);
        assert!(!stores.used_forms.is_used("f"));
    }

    #[test]
    fn codes_and_tokens_weigh_their_person() {
        let (stores, hand) = stores();
        let person = Person {
            identifiant: "x".into(),
            sub: "s".repeat(64),
            display_name: "X".into(),
            claims: serde_json::json!({"family_name": "N".repeat(1000)})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        let grant = AccessGrant {
            client_id: "c".into(),
            person,
            scenario: None,
            scope: "openid".into(),
        };
        stores.access_tokens.insert("t".repeat(43), grant).unwrap();
        let usage = stores.usage().1;
        assert!(usage.bytes > 1000, "{usage:?}");
        hand.advance_secs(61);
        stores.access_tokens.sweep();
        assert_eq!(stores.usage().1.bytes, 0);
    }
}
