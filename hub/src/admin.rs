//! What the control API changes while the hub runs (`docs/admin.md`): registrations added,
//! replaced or removed, and the scenario set for each service provider. No HTTP here:
//! `routes::admin` parses and renders, this module decides, applies and shares.
//!
//! The changes form one document ([`ControlDoc`]) applied on top of the registrations read at
//! start. With the memory store the hub is alone: the document lives in this process, and a
//! request pays nothing for it. With a shared store (Redis), every change is written as a new
//! version (`admin:doc:{n}`, claimed with "set if absent", so two replicas changing things at
//! once both land, one after the other), and each replica looks for a newer version at most once
//! a second, from the request that happens to come then ([`refresh`]). When a registrations
//! folder is used, the registrations part is also written to `admin-registrations.toml` there,
//! read back last at the next start.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use fc_plumbing::Secret;
use fc_plumbing::jose::RsaKey;
use serde::{Deserialize, Serialize};

use crate::error::{AdminError, Error, Result};
use crate::platform::Platform;
use crate::provider::scenario::{self, LiveScenario, OtherKeys, ScenarioSetting};
use crate::registry::{Overrides, Registry};
use crate::store::{Store, StoreError};

/// The control API's settings.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// The bearer token of the API and the admin page; `None`: no control API at all.
    pub token: Option<Secret>,
    /// Where registration changes are written (`{registrations}/admin-registrations.toml`).
    pub file: Option<PathBuf>,
    /// How long `token_slow` holds the token answer unless the scenario says.
    pub scenario_delay_secs: u64,
    /// Fixed keys and sub secret from the fixtures (shown by `/admin/api/config`).
    pub deterministic: bool,
    /// The admin page's cookie is `Secure` (https public URL).
    pub cookie_secure: bool,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            token: None,
            file: None,
            scenario_delay_secs: DEFAULT_SCENARIO_DELAY_SECS,
            deterministic: false,
            cookie_secure: false,
        }
    }
}

/// `token_slow`'s default: past the 10 s most back-channel clients wait.
pub const DEFAULT_SCENARIO_DELAY_SECS: u64 = 15;

/// Everything changed through the control API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ControlDoc {
    #[serde(default)]
    pub registrations: Overrides,
    /// Scenario set per service provider `client_id`.
    #[serde(default)]
    pub scenarios: BTreeMap<String, ScenarioSetting>,
}

/// The document in force in this process, with its scenarios ready to use.
struct Live {
    doc: ControlDoc,
    version: i64,
    scenarios: HashMap<String, Arc<LiveScenario>>,
}

pub struct Admin {
    pub settings: AdminSettings,
    /// The registrations read at start; the document applies on top.
    base: Registry,
    live: RwLock<Arc<Live>>,
    /// The store is shared with other replicas: look for their changes.
    shared: AtomicBool,
    /// When (clock milliseconds) this replica may next look for a newer version.
    next_check: AtomicI64,
    /// One change at a time in this process.
    writer: tokio::sync::Mutex<()>,
    throwaway_rsa: tokio::sync::OnceCell<RsaKey>,
}

/// How long versions stay in the store: as good as for ever for a demo.
const DOC_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// Versions kept behind the latest, for replicas reading while a change lands.
const VERSIONS_KEPT: i64 = 10;
const VERSION_KEY: &str = "admin:version";
/// How often (ms) a replica looks for another replica's change.
const CHECK_EVERY_MS: i64 = 1000;

fn doc_key(version: i64) -> String {
    format!("admin:doc:{version}")
}

fn unavailable(e: StoreError) -> Error {
    Error::admin(AdminError::Unavailable, e.to_string())
}

impl Admin {
    pub fn new(base: Registry, shared: bool) -> Self {
        Self {
            settings: AdminSettings::default(),
            base,
            live: RwLock::new(Arc::new(Live {
                doc: ControlDoc::default(),
                version: 0,
                scenarios: HashMap::new(),
            })),
            shared: AtomicBool::new(shared),
            next_check: AtomicI64::new(0),
            writer: tokio::sync::Mutex::new(()),
            throwaway_rsa: tokio::sync::OnceCell::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.settings.token.as_ref().is_some_and(|t| !t.is_empty())
    }

    /// Whether `presented` is the admin token, in constant time whatever its length (both
    /// sides are hashed first, so the comparison does not even leak the token's length).
    pub fn token_matches(&self, presented: &str) -> bool {
        use sha2::{Digest, Sha256};
        let Some(token) = self.settings.token.as_ref().filter(|t| !t.is_empty()) else {
            return false;
        };
        let expected = Secret::new(hex::encode(Sha256::digest(token.expose())));
        expected.matches(&hex::encode(Sha256::digest(presented)))
    }

    fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The document in force, and its version.
    pub fn doc(&self) -> (ControlDoc, i64) {
        let live = self.live();
        (live.doc.clone(), live.version)
    }

    pub fn scenario(&self, client_id: &str) -> Option<Arc<LiveScenario>> {
        self.live().scenarios.get(client_id).cloned()
    }

    pub fn scenarios(&self) -> Vec<Arc<LiveScenario>> {
        self.live().scenarios.values().cloned().collect()
    }

    pub fn is_shared(&self) -> bool {
        self.shared.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(crate) fn force_shared(&self) {
        self.shared.store(true, Ordering::Relaxed);
    }

    /// Keys published nowhere (`id_token_unknown_kid`).
    pub async fn throwaway_keys(&self) -> Result<Arc<OtherKeys>> {
        let rsa = self
            .throwaway_rsa
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(RsaKey::generate)
                    .await
                    .map_err(|e| Error::internal(format!("key generation: {e}")))?
                    .map_err(|e| Error::internal(e.to_string()))
            })
            .await?;
        Ok(Arc::new(scenario::throwaway_keys(rsa.clone())))
    }

    /// The registrations in force under `doc`.
    pub fn registry_for(&self, doc: &ControlDoc) -> Result<Registry> {
        doc.registrations
            .apply(&self.base)
            .map_err(|e| Error::admin(AdminError::InvalidBody, e.to_string()))
    }

    /// Whether `id` is in the registrations read at start (a removal then remembers it).
    pub fn base(&self) -> &Registry {
        &self.base
    }
}

/// Puts `doc` in force in this process: registrations and scenarios.
fn install(platform: &Platform, doc: ControlDoc, version: i64) -> Result<()> {
    let admin = &platform.admin;
    let registry = admin.registry_for(&doc)?;
    let old = admin.live();
    let mut scenarios = HashMap::new();
    for (client_id, setting) in &doc.scenarios {
        // An unchanged setting keeps its parsed keys and what it knows of its count.
        let live = match old.scenarios.get(client_id) {
            Some(live) if live.setting.id == setting.id => live.clone(),
            _ => match LiveScenario::new(setting.clone()) {
                Ok(live) => Arc::new(live),
                Err(e) => {
                    tracing::error!(client_id, "scenario dropped, its keys do not load: {e}");
                    continue;
                }
            },
        };
        scenarios.insert(client_id.clone(), live);
    }
    platform.set_registry(registry);
    *admin.live.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Live {
        doc,
        version,
        scenarios,
    });
    Ok(())
}

/// At start: the changes saved in the registrations folder, then, with a shared store, the
/// replicas' latest version (which wins), or the saved changes published as the first version.
pub async fn start(platform: &Platform, saved: Overrides) -> Result<()> {
    let doc = ControlDoc {
        registrations: saved,
        scenarios: BTreeMap::new(),
    };
    install(platform, doc.clone(), 0)?;
    if !platform.admin.is_shared() {
        return Ok(());
    }
    let latest = latest_version(&platform.store, 0)
        .await
        .map_err(unavailable)?;
    if latest > 0 {
        let shared = read_doc(&platform.store, latest).await?;
        tracing::info!(
            version = latest,
            "control API changes read from the shared store"
        );
        return install(platform, shared, latest);
    }
    if !doc.registrations.is_empty() {
        update(platform, |d, _| {
            d.registrations = doc.registrations.clone();
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// The newest version in the store: the counter says where to start, and versions written
/// after it (the counter is set after the version is claimed) are looked for one by one.
async fn latest_version(store: &Store, known: i64) -> Result<i64, StoreError> {
    let counter = store
        .get(VERSION_KEY)
        .await?
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    let mut version = counter.max(known);
    while store.get(&doc_key(version + 1)).await?.is_some() {
        version += 1;
    }
    Ok(version)
}

async fn read_doc(store: &Store, version: i64) -> Result<ControlDoc> {
    if version == 0 {
        return Ok(ControlDoc::default());
    }
    store
        .get_json(&doc_key(version))
        .await
        .map_err(unavailable)?
        .ok_or_else(|| {
            Error::admin(
                AdminError::Unavailable,
                format!("version {version} of the control API changes is missing from the store"),
            )
        })
}

/// Looks for another replica's change, at most once a second; a store failure is logged and
/// the current document stays in force. Free when the hub is alone.
pub async fn refresh(platform: &Platform) {
    let admin = &platform.admin;
    if !admin.is_shared() {
        return;
    }
    let now = platform.clock.now_millis();
    let next = admin.next_check.load(Ordering::Relaxed);
    // One request per second does the check; the others go on with what is in force.
    if now < next
        || admin
            .next_check
            .compare_exchange(
                next,
                now + CHECK_EVERY_MS,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
    {
        return;
    }
    let known = admin.live().version;
    let outcome = async {
        let latest = latest_version(&platform.store, known)
            .await
            .map_err(unavailable)?;
        if latest == known {
            return Ok(());
        }
        let doc = read_doc(&platform.store, latest).await?;
        tracing::info!(version = latest, "control API changes from another replica");
        install(platform, doc, latest)
    };
    if let Err(e) = outcome.await {
        tracing::warn!("control API changes not refreshed: {e}");
    }
}

/// Applies `change` to the document in force (or, with a shared store, to the latest version,
/// retried on the next one when another replica got there first), puts the result in force and
/// saves the registrations part. `change` sees the registrations in force before it.
pub async fn update<T>(
    platform: &Platform,
    mut change: impl FnMut(&mut ControlDoc, &Registry) -> Result<T>,
) -> Result<T> {
    let admin = &platform.admin;
    let _one_at_a_time = admin.writer.lock().await;
    let (before, mut version) = admin.doc();
    let (doc, out) = if admin.is_shared() {
        let store = &platform.store;
        version = latest_version(store, version).await.map_err(unavailable)?;
        loop {
            let mut doc = read_doc(store, version).await?;
            let registry = admin.registry_for(&doc)?;
            let out = change(&mut doc, &registry)?;
            admin.registry_for(&doc)?;
            let bytes = crate::store::encode(&doc).map_err(unavailable)?;
            if store
                .put_new(&doc_key(version + 1), bytes, DOC_TTL)
                .await
                .map_err(unavailable)?
            {
                version += 1;
                let counter = version.to_string().into_bytes();
                store
                    .put(VERSION_KEY, counter, DOC_TTL)
                    .await
                    .map_err(unavailable)?;
                store
                    .delete(&doc_key(version - VERSIONS_KEPT))
                    .await
                    .map_err(unavailable)?;
                break (doc, out);
            }
            version += 1;
        }
    } else {
        let mut doc = before.clone();
        let registry = admin.registry_for(&doc)?;
        let out = change(&mut doc, &registry)?;
        version += 1;
        (doc, out)
    };
    let registrations_changed = serde_json::to_value(&before.registrations).ok()
        != serde_json::to_value(&doc.registrations).ok();
    let to_save = registrations_changed.then(|| doc.registrations.clone());
    install(platform, doc, version)?;
    if let (Some(path), Some(registrations)) = (&admin.settings.file, to_save) {
        registrations.save(path).map_err(|e| {
            Error::admin(
                AdminError::NotPersisted,
                format!(
                    "the change is in force but was not written to {}: {e}",
                    path.display()
                ),
            )
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Settings;
    use crate::store::MemoryStore;

    /// Two replicas of one platform sharing one store, with one manual clock.
    fn replicas() -> (Platform, Platform, fc_plumbing::ManualClock) {
        let (reference, _) = crate::platform::tests::platform();
        let (clock, hand) = fc_plumbing::Clock::manual();
        let memory = MemoryStore::new(10_000, 16 << 20, clock.clone());
        let make = || {
            let settings: Settings = reference.settings.clone();
            let platform = Platform::new(
                settings,
                (*reference.registry()).clone(),
                Store::Memory(memory.clone()),
                reference.keys.clone(),
                reference.back_channel.clone(),
                clock.clone(),
            );
            platform.admin.force_shared();
            platform
        };
        (make(), make(), hand)
    }

    fn new_sp(platform: &Platform, client_id: &str) -> crate::registry::ServiceProvider {
        let mut sp = platform.registry().service_providers[0].clone();
        sp.client_id = client_id.into();
        sp
    }

    #[tokio::test]
    async fn a_change_on_one_replica_is_seen_by_the_other_within_a_second() {
        let (a, b, hand) = replicas();
        refresh(&b).await;
        let sp = new_sp(&a, "added-on-a");
        update(&a, |doc, _| {
            doc.registrations.put(sp.clone());
            Ok(())
        })
        .await
        .unwrap();
        assert!(a.registry().service_provider("added-on-a").is_some());
        // b checked less than a second ago: it does not look yet.
        refresh(&b).await;
        assert!(b.registry().service_provider("added-on-a").is_none());
        hand.advance_millis(1000);
        refresh(&b).await;
        assert!(b.registry().service_provider("added-on-a").is_some());
        assert_eq!(b.admin.doc().1, a.admin.doc().1);
    }

    #[tokio::test]
    async fn changes_made_on_two_replicas_at_once_both_land() {
        let (a, b, _) = replicas();
        let (sp_a, sp_b) = (new_sp(&a, "from-a"), new_sp(&b, "from-b"));
        let (ra, rb) = tokio::join!(
            update(&a, |doc, _| {
                doc.registrations.put(sp_a.clone());
                Ok(())
            }),
            update(&b, |doc, _| {
                doc.registrations.put(sp_b.clone());
                Ok(())
            })
        );
        ra.unwrap();
        rb.unwrap();
        // Whichever wrote second built on the first: a third replica sees both.
        let (c, _, _) = replicas();
        let shared = Platform::new(
            c.settings.clone(),
            (*c.registry()).clone(),
            Store::Memory(match &a.store {
                Store::Memory(m) => m.clone(),
                Store::Redis(_) => unreachable!(),
            }),
            c.keys.clone(),
            c.back_channel.clone(),
            c.clock.clone(),
        );
        shared.admin.force_shared();
        start(&shared, Overrides::default()).await.unwrap();
        let registry = shared.registry();
        assert!(registry.service_provider("from-a").is_some());
        assert!(registry.service_provider("from-b").is_some());
        assert_eq!(shared.admin.doc().1, 2);
    }

    #[tokio::test]
    async fn alone_the_hub_never_reads_the_store_for_changes() {
        let (platform, _) = crate::platform::tests::platform();
        let sp = new_sp(&platform, "local");
        update(&platform, |doc, _| {
            doc.registrations.put(sp.clone());
            Ok(())
        })
        .await
        .unwrap();
        assert!(platform.registry().service_provider("local").is_some());
        assert_eq!(platform.store.get(VERSION_KEY).await.unwrap(), None);
        assert_eq!(platform.store.get(&doc_key(1)).await.unwrap(), None);
    }

    #[test]
    fn the_token_is_compared_whole() {
        let mut admin = Admin::new(Registry::default(), false);
        assert!(!admin.enabled());
        assert!(!admin.token_matches(""));
        admin.settings.token = Some(Secret::new("a-long-enough-admin-token"));
        assert!(admin.enabled());
        assert!(admin.token_matches("a-long-enough-admin-token"));
        assert!(!admin.token_matches("a-long-enough-admin-toke"));
        assert!(!admin.token_matches("a-long-enough-admin-token "));
    }
}
