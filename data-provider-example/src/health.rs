//! Is the hub reachable? What `/health` says about the data provider's only peer.
//!
//! `/health` must stay cheap: a container probe calls it every second, and a probe per call would
//! turn each of them into a call to the hub. So the last look at the hub is cached for
//! `health_ttl_secs`; a `/health` finding it stale starts one look in the background (never two
//! at once) and answers the last known state right away. One look is a `GET {hub}/health` with a
//! short timeout; any answer below 500 means the hub is up.
//!
//! `/health` answers `200` even when the hub is down (the hub is marked `down`): the container's
//! health is the program's own, and restarting a healthy DP because its peer is down would only
//! add an outage. Monitoring that cares about the hub reads `peers.hub`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fc_plumbing::{BackChannel, Clock};
use serde::Serialize;
use tokio::sync::watch;

/// A look at the hub never takes longer than this.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the last look found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerStatus {
    /// Not looked at yet.
    Unknown,
    Ok,
    Down,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    status: PeerStatus,
    at_millis: i64,
}

/// The cached reachability of the hub; shared by all workers.
pub struct HubHealth {
    back_channel: BackChannel,
    url: String,
    clock: Clock,
    ttl_millis: i64,
    last: Mutex<Option<Seen>>,
    looking: AtomicBool,
    /// How many looks finished (tests wait on it instead of sleeping).
    looks: watch::Sender<u64>,
}

impl HubHealth {
    /// Looks at `{hub_url}/health` through `back_channel`, trusting a look for `ttl`.
    pub fn new(back_channel: BackChannel, hub_url: &str, ttl: Duration, clock: Clock) -> Self {
        Self {
            back_channel,
            url: format!("{}/health", hub_url.trim_end_matches('/')),
            clock,
            ttl_millis: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
            last: Mutex::new(None),
            looking: AtomicBool::new(false),
            looks: watch::Sender::new(0),
        }
    }

    /// Notified after each look at the hub.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.looks.subscribe()
    }

    fn seen(&self) -> Option<Seen> {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The hub's last known state; starts a look in the background when it is stale.
    pub fn status(self: &Arc<Self>) -> PeerStatus {
        let seen = self.seen();
        let stale = seen
            .is_none_or(|s| self.clock.now_millis().saturating_sub(s.at_millis) >= self.ttl_millis);
        if stale {
            self.look_in_background();
        }
        seen.map_or(PeerStatus::Unknown, |s| s.status)
    }

    /// Starts one look, unless one is already under way.
    pub fn look_in_background(self: &Arc<Self>) {
        if self.looking.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let status = this.look().await;
            let previous = this.seen().map(|s| s.status);
            if previous != Some(status) {
                tracing::info!(hub = %this.url, ?status, "hub reachability changed");
            }
            *this.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Seen {
                status,
                at_millis: this.clock.now_millis(),
            });
            this.looking.store(false, Ordering::Release);
            this.looks.send_modify(|n| *n += 1);
        });
    }

    async fn look(&self) -> PeerStatus {
        let request = self.back_channel.get(&self.url).timeout(PROBE_TIMEOUT);
        let answer = self.back_channel.send(request).await;
        match answer {
            Ok(response) if response.status().as_u16() < 500 => PeerStatus::Ok,
            _ => PeerStatus::Down,
        }
    }
}
