//! The one way every program tells time: Unix time from an injectable clock, so tests can expire
//! codes, tokens, sessions and caches by moving a hand-held clock instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock: the system's, or one a test moves by hand. Cheap to clone.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

/// The hand of a manual clock: moving it moves every clone of the clock it came with.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl Clock {
    pub fn system() -> Self {
        Clock(None)
    }

    /// A clock tests move by hand; it starts at the system time.
    pub fn manual() -> (Self, ManualClock) {
        let millis = Arc::new(AtomicI64::new(system_millis()));
        (Clock(Some(millis.clone())), ManualClock(millis))
    }

    /// Seconds since the epoch.
    pub fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Milliseconds since the epoch.
    pub fn now_millis(&self) -> i64 {
        match &self.0 {
            None => system_millis(),
            Some(millis) => millis.load(Ordering::SeqCst),
        }
    }
}

impl ManualClock {
    pub fn advance_secs(&self, secs: i64) {
        self.0
            .fetch_add(secs.saturating_mul(1000), Ordering::SeqCst);
    }

    pub fn advance_millis(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

fn system_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => write!(f, "Clock(system)"),
            Some(_) => write!(f, "Clock(manual, {})", self.now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let (clock, hand) = Clock::manual();
        let copy = clock.clone();
        let start = clock.now_millis();
        hand.advance_secs(30);
        assert_eq!(copy.now_millis(), start + 30_000);
        hand.advance_millis(999);
        assert_eq!(clock.now(), (start + 30_999).div_euclid(1000));
    }

    #[test]
    fn the_system_clock_is_unix_time() {
        // 2024-01-01 as a floor: a clock reading 0 or garbage would fail this.
        assert!(Clock::system().now() > 1_704_067_200);
    }
}
