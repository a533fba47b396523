//! The registrations changed through the control API (`docs/admin.md`), kept apart from the
//! files the hub started with: entries added or replaced, and ids removed. Applied on top of the
//! registrations read at start, they give the registrations in force.
//!
//! The same document is what replicas share through the store (JSON) and what the hub writes to
//! `admin-registrations.toml` in its registrations folder (TOML, the format of the other
//! registration files plus a `[removed]` table), read back last at the next start.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    DataProvider, IdentityProvider, Kind, Registration, Registry, RegistryError, ServiceProvider,
};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removed {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_provider: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_provider: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_provider: Vec<String>,
}

impl Removed {
    pub fn is_empty(&self) -> bool {
        self.service_provider.is_empty()
            && self.identity_provider.is_empty()
            && self.data_provider.is_empty()
    }

    fn ids_mut(&mut self, kind: Kind) -> &mut Vec<String> {
        match kind {
            Kind::ServiceProvider => &mut self.service_provider,
            Kind::IdentityProvider => &mut self.identity_provider,
            Kind::DataProvider => &mut self.data_provider,
        }
    }

    fn ids(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::ServiceProvider => &self.service_provider,
            Kind::IdentityProvider => &self.identity_provider,
            Kind::DataProvider => &self.data_provider,
        }
    }
}

/// Changes to the registrations read at start.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_provider: Vec<ServiceProvider>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_provider: Vec<IdentityProvider>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_provider: Vec<DataProvider>,
    #[serde(default, skip_serializing_if = "Removed::is_empty")]
    pub removed: Removed,
}

const HEADER: &str = "\
# Written by the hub's control API (docs/admin.md): registrations added, replaced (the entries
# below) or removed ([removed]) through /admin/api. Read last at start, on top of the registration
# files. Edit it while the hub is stopped, or use the API.

";

impl Overrides {
    pub fn is_empty(&self) -> bool {
        self.service_provider.is_empty()
            && self.identity_provider.is_empty()
            && self.data_provider.is_empty()
            && self.removed.is_empty()
    }

    /// The registrations in force: `base` with these changes.
    pub fn apply(&self, base: &Registry) -> Result<Registry, RegistryError> {
        let mut registry = base.clone();
        self.apply_kind::<ServiceProvider>(&mut registry, &self.service_provider);
        self.apply_kind::<IdentityProvider>(&mut registry, &self.identity_provider);
        self.apply_kind::<DataProvider>(&mut registry, &self.data_provider);
        registry.validate()?;
        Ok(registry)
    }

    fn apply_kind<T: Registration>(&self, registry: &mut Registry, upserts: &[T]) {
        for id in self.removed.ids(T::KIND) {
            registry.remove::<T>(id);
        }
        for entry in upserts {
            registry.upsert(entry.clone());
        }
    }

    /// Adds or replaces `entry`.
    pub fn put<T: Registration>(&mut self, entry: T) {
        self.removed.ids_mut(T::KIND).retain(|id| id != entry.id());
        let list = upserts_mut::<T>(self);
        match list.iter_mut().find(|e| e.id() == entry.id()) {
            Some(slot) => *slot = entry,
            None => list.push(entry),
        }
    }

    /// Removes the entry `id` of kind `T` from the registrations in force over `base`; whether
    /// there was one.
    pub fn remove<T: Registration>(&mut self, base: &Registry, id: &str) -> bool {
        let list = upserts_mut::<T>(self);
        let before = list.len();
        list.retain(|e| e.id() != id);
        let was_added = list.len() != before;
        let removed = self.removed.ids_mut(T::KIND);
        let was_in_base = base.entry::<T>(id).is_some() && !removed.iter().any(|r| r == id);
        if was_in_base {
            removed.push(id.to_owned());
        }
        was_added || was_in_base
    }

    /// Reads the file the API writes; an absent file is no change.
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(RegistryError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        toml::from_str(&text).map_err(|e| RegistryError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Writes the file whole, through a temporary file renamed over it, so a crash never leaves
    /// half a file to read at the next start.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, format!("{HEADER}{text}"))?;
        std::fs::rename(&tmp, path)
    }
}

fn upserts_mut<T: Registration>(overrides: &mut Overrides) -> &mut Vec<T> {
    T::changed_mut(overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Registry {
        Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap()
    }

    #[test]
    fn changes_apply_on_top_and_survive_a_round_trip_through_the_file() {
        let base = base();
        let mut sp = base.service_providers[0].clone();
        sp.client_id = "new-sp".into();
        let dp_id = base.data_providers[0].client_id.clone();
        let mut overrides = Overrides::default();
        overrides.put(sp.clone());
        assert!(overrides.remove::<DataProvider>(&base, &dp_id));
        assert!(
            !overrides.remove::<DataProvider>(&base, &dp_id),
            "already gone"
        );
        assert!(!overrides.remove::<ServiceProvider>(&base, "never-registered"));

        let applied = overrides.apply(&base).unwrap();
        assert!(applied.service_provider("new-sp").is_some());
        assert!(applied.data_provider(&dp_id).is_none());
        assert_eq!(
            applied.service_providers.len(),
            base.service_providers.len() + 1
        );

        let dir = std::env::temp_dir().join(format!("fc-overrides-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("admin-registrations.toml");
        overrides.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# Written by the hub's control API"),
            "{text}"
        );
        let back = Overrides::load(&path).unwrap();
        let again = back.apply(&base).unwrap();
        assert!(again.service_provider("new-sp").is_some());
        assert!(again.data_provider(&dp_id).is_none());
        // Put back: the removal is forgotten.
        let mut back = back;
        back.put(base.data_providers[0].clone());
        assert!(back.removed.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_absent_file_is_no_change_and_a_broken_one_names_itself() {
        let missing = std::env::temp_dir().join("fc-no-such-admin-registrations.toml");
        assert!(Overrides::load(&missing).unwrap().is_empty());
        let dir = std::env::temp_dir().join(format!("fc-overrides-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("admin-registrations.toml");
        std::fs::write(&path, "[removed]\nservice_providers = []\n").unwrap();
        let err = Overrides::load(&path).unwrap_err().to_string();
        assert!(err.contains("admin-registrations.toml"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
