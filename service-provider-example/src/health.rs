//! `GET /health`: this program is alive, and whether its peers answer.
//!
//! `{"status":"ok","peers":{"hub":{…},"hub_plus":{…},"data_provider":{…}}}` (`hub_plus`:
//! FranceConnect+), always 200 while the SP runs: a peer
//! that is down is marked (`"status":"down"` with the reason), it does not make the SP unhealthy
//! (the SP still serves its pages and says what is wrong). The peers' state is cached: a health
//! call never waits for a probe; when the last probe is older than `health_interval_secs`, it
//! starts one in the background (one at a time), whose result the next calls report. A
//! monitoring system polling `/health` every second thus costs the peers one request per
//! interval, not one per poll.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use fc_plumbing::{BackChannel, Clock};
use serde::Serialize;
use serde_json::json;

use crate::config::Config;
use crate::hub::Platform;
use crate::startup::AppState;

/// A probe gives up after this long: a peer this slow is as good as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What the last probe of one peer found.
#[derive(Debug, Clone, Serialize)]
pub struct PeerState {
    /// `up`, `down`, or `unknown` before the first probe.
    pub status: &'static str,
    /// What was probed.
    pub url: String,
    /// When (RFC 3339).
    pub checked_at: Option<String>,
    /// Why down.
    pub detail: Option<String>,
}

/// The peers' states and when to probe them again.
pub struct PeerHealth {
    peers: Mutex<Vec<(&'static str, PeerState)>>,
    last_probe_ms: AtomicI64,
    probing: AtomicBool,
    interval_ms: i64,
    clock: Clock,
}

impl PeerHealth {
    /// The hubs (their discovery documents: what a login needs first) and the data provider.
    pub fn new(config: &Config, clock: Clock) -> Self {
        let unknown = |url: String| PeerState {
            status: "unknown",
            url,
            checked_at: None,
            detail: None,
        };
        let dp = format!("{}/health", config.dp_url.trim_end_matches('/'));
        let discovery = |platform| {
            let issuer = config.hub_settings(platform).issuer();
            unknown(format!("{issuer}/.well-known/openid-configuration"))
        };
        Self {
            peers: Mutex::new(vec![
                ("hub", discovery(Platform::FranceConnect)),
                ("hub_plus", discovery(Platform::FranceConnectPlus)),
                ("data_provider", unknown(dp)),
            ]),
            last_probe_ms: AtomicI64::new(i64::MIN),
            probing: AtomicBool::new(false),
            interval_ms: i64::try_from(config.health_interval_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            clock,
        }
    }

    fn states(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, PeerState)>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The peers as `/health` reports them.
    pub fn report(&self) -> serde_json::Map<String, serde_json::Value> {
        self.states()
            .iter()
            .map(|(name, state)| (name.to_string(), json!(state)))
            .collect()
    }

    /// Whether a probe should start now; if so, the caller runs it ([`PeerHealth::probe`]).
    fn claim_probe(&self) -> bool {
        let now = self.clock.now_millis();
        let last = self.last_probe_ms.load(Ordering::SeqCst);
        now.saturating_sub(last) >= self.interval_ms
            && self
                .probing
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
    }

    /// Probes every peer and keeps what it found.
    pub async fn probe(&self, back_channel: &BackChannel) {
        let urls: Vec<String> = self.states().iter().map(|(_, s)| s.url.clone()).collect();
        let mut found = Vec::new();
        for url in urls {
            found.push(probe_one(back_channel, &url).await);
        }
        let checked_at = crate::formats::utc_timestamp(self.clock.now_millis());
        for ((_, state), (status, detail)) in self.states().iter_mut().zip(found) {
            state.status = status;
            state.detail = detail;
            state.checked_at = Some(checked_at.clone());
        }
        self.last_probe_ms
            .store(self.clock.now_millis(), Ordering::SeqCst);
        self.probing.store(false, Ordering::SeqCst);
    }
}

async fn probe_one(back_channel: &BackChannel, url: &str) -> (&'static str, Option<String>) {
    let request = back_channel.get(url).timeout(PROBE_TIMEOUT);
    match back_channel.send(request).await {
        Ok(response) if response.status().is_success() => ("up", None),
        Ok(response) => (
            "down",
            Some(format!("a répondu HTTP {}", response.status().as_u16())),
        ),
        Err(e) if e.is_timeout() => ("down", Some("délai de réponse dépassé".into())),
        Err(_) => ("down", Some("connexion impossible".into())),
    }
}

/// `GET /health`
pub async fn health_get(app: web::Data<AppState>) -> HttpResponse {
    if app.health.claim_probe() {
        let app = app.clone();
        actix_web::rt::spawn(async move { app.health.probe(&app.back_channel).await });
    }
    HttpResponse::Ok().json(json!({"status": "ok", "peers": app.health.report()}))
}
