//! What `/health` says: the hub is alive, and how its peers were last seen — the state store and
//! each active identity provider. Peers are probed in the background every few seconds, so a
//! health check costs nothing and a frozen peer cannot make `/health` hang. The hub answers 200
//! whatever its peers do (a container's health is its own); the body says which peer is down.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;

use crate::platform::Platform;

const PERIOD: Duration = Duration::from_secs(5);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerState {
    /// Not probed yet.
    Unknown,
    Ok,
    Unreachable,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    pub store: String,
    pub peers: BTreeMap<String, PeerState>,
}

/// The last probe results, shared with `/health`.
#[derive(Clone, Default)]
pub struct PeerHealth(Arc<RwLock<Health>>);

impl PeerHealth {
    pub fn snapshot(&self) -> Health {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Probes the peers now (tests call this instead of waiting for the next round).
    pub async fn refresh(&self, platform: &Platform) {
        let now = probe(platform).await;
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = now;
    }

    /// Probes the peers now, then every few seconds while the platform lives.
    pub fn spawn(&self, platform: std::sync::Weak<Platform>) {
        let health = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(PERIOD);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(platform) = platform.upgrade() else {
                    break;
                };
                health.refresh(&platform).await;
            }
        });
    }
}

async fn probe(platform: &Platform) -> Health {
    let store_ok = platform.store.get("health-probe").await.is_ok();
    let mut peers = BTreeMap::new();
    peers.insert(
        "store".to_owned(),
        if store_ok {
            PeerState::Ok
        } else {
            PeerState::Unreachable
        },
    );
    for idp in platform
        .registry()
        .identity_providers
        .iter()
        .filter(|i| i.active)
    {
        // Any HTTP answer means the IdP is up; only silence or a refused connection is "down".
        // Its discovery document is cheap to serve (a key set may wait for key generation).
        let url = idp.discovery_document_url();
        let request = platform
            .back_channel
            .get(&url)
            // A new connection each time: a pooled one could outlive the peer's listener.
            .header("Connection", "close")
            .timeout(PROBE_TIMEOUT);
        let reached = platform.back_channel.send(request).await.is_ok();
        let state = if reached {
            PeerState::Ok
        } else {
            PeerState::Unreachable
        };
        peers.insert(format!("idp:{}", idp.slug), state);
    }
    Health {
        store: platform.store.describe(),
        peers,
    }
}
