//! The FranceConnect platform this hub runs: its settings, its partners, its keys and its state.
//! Every domain function receives it; it knows no HTTP framework.

use std::sync::{Arc, RwLock};

use fc_plumbing::{BackChannel, Clock, KeySet, Secret};

use crate::admin::{Admin, AdminSettings};
use crate::domain::{Acr, ApiVersion};
use crate::instance::Instance;
use crate::provider::authorize::AuthorizeSettings;
use crate::provider::tokens::Lifetimes;
use crate::registry::Registry;
use crate::store::Store;

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// FranceConnect or FranceConnect+: what the platform offers.
    pub instance: Instance,
    /// The hub's public URL, without a trailing slash: v1's issuer.
    pub public_url: String,
    /// `{public_url}/api/v2`, compared byte for byte by clients.
    pub issuer: String,
    pub acr_supported: Vec<Acr>,
    /// The level kept when `acr_values` names none the platform knows.
    pub default_acr: Acr,
    pub relaxed: bool,
    pub sub_secret: Secret,
    pub lifetimes: Lifetimes,
}

pub struct Platform {
    pub settings: Settings,
    registry: RwLock<Arc<Registry>>,
    pub store: Store,
    pub keys: KeySet,
    pub back_channel: BackChannel,
    pub clock: Clock,
    /// What the control API changed (`docs/admin.md`).
    pub admin: Admin,
}

impl Platform {
    pub fn new(
        settings: Settings,
        registry: Registry,
        store: Store,
        keys: KeySet,
        back_channel: BackChannel,
        clock: Clock,
    ) -> Self {
        let shared = matches!(store, Store::Redis(_));
        Self {
            settings,
            admin: Admin::new(registry.clone(), shared),
            registry: RwLock::new(Arc::new(registry)),
            store,
            keys,
            back_channel,
            clock,
        }
    }

    /// The control API's settings (a token enables it).
    pub fn with_admin(mut self, settings: AdminSettings) -> Self {
        self.admin.settings = settings;
        self
    }

    /// The registrations as they are now (a snapshot: cheap to take, stable while used).
    pub fn registry(&self) -> Arc<Registry> {
        self.registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the registrations (the admin API); requests in flight keep their snapshot.
    pub fn set_registry(&self, registry: Registry) {
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(registry);
    }

    /// The issuer of tokens issued through `version`: v1 used the hub's URL without path.
    pub fn issuer_for(&self, version: ApiVersion) -> &str {
        match version {
            ApiVersion::V1 => &self.settings.public_url,
            ApiVersion::V2 => &self.settings.issuer,
        }
    }

    /// The public signing keys, as `/jwks` publishes them: those of the algorithms the
    /// instance signs with (FranceConnect+: the ES256 key only).
    pub fn public_jwks(&self) -> serde_json::Value {
        let algs = self.settings.instance.signing_algs();
        let mut doc = self.keys.jwks();
        if let Some(keys) = doc
            .get_mut("keys")
            .and_then(serde_json::Value::as_array_mut)
        {
            keys.retain(|k| {
                k.get("alg")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|alg| algs.iter().any(|a| a.as_str() == alg))
            });
        }
        doc
    }

    /// The `iss` of redirects to SPs (RFC 9207): v2 only.
    pub fn callback_iss(&self, version: ApiVersion) -> Option<&str> {
        (version == ApiVersion::V2).then_some(self.settings.issuer.as_str())
    }

    pub fn authorize_settings(&self, api_version: ApiVersion) -> AuthorizeSettings<'_> {
        AuthorizeSettings {
            instance: self.settings.instance,
            acr_supported: &self.settings.acr_supported,
            default_acr: self.settings.default_acr,
            api_version,
            relaxed: self.settings.relaxed,
            callback_iss: self.callback_iss(api_version),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! A platform for unit tests: the fixture registrations, the memory store, a manual clock.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::MemoryStore;

    pub fn platform() -> (Platform, fc_plumbing::ManualClock) {
        let (clock, hand) = Clock::manual();
        let settings = Settings {
            instance: Instance::FranceConnect,
            public_url: "http://localhost:8000".into(),
            issuer: "http://localhost:8000/api/v2".into(),
            acr_supported: Acr::ALL.to_vec(),
            default_acr: Acr::Eidas1,
            relaxed: false,
            sub_secret: Secret::new("sub-secret"),
            lifetimes: Lifetimes::default(),
        };
        let registry = Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        let store = Store::Memory(MemoryStore::new(100_000, 64 << 20, clock.clone()));
        let back_channel = BackChannel::new(std::time::Duration::from_secs(1), vec![]).unwrap();
        let keys = KeySet::generate("test").unwrap();
        let platform = Platform::new(settings, registry, store, keys, back_channel, clock);
        (platform, hand)
    }
}
