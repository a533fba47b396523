//! An injectable clock, so tests can expire codes and tokens without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        }))
    }

    /// A clock tests move by hand; starts at the system time.
    pub fn manual() -> (Self, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(Clock::system().now()));
        let reader = now.clone();
        (Clock(Arc::new(move || reader.load(Ordering::SeqCst))), now)
    }

    /// Seconds since the epoch.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}
