//! The test people, read again when a file of the users folder(s) changes ("readable and
//! editable by a person"), without a restart.
//!
//! A background task ([`watch_folders`]) calls [`UserStore::reload_if_changed`] every
//! `reload_interval_ms`: it reads every `*.csv` file and compares a SHA-256 of their names and
//! contents with the last one seen (polling, as the workspace has no file-notification crate; the
//! files are small). A changed set is parsed whole and swapped in at once; a broken edit (bad
//! row, missing column, folder emptied) keeps the previous people, logs why once, and shows it on
//! the test accounts page until the files are fixed. Logins in progress are unaffected either
//! way: a login copies the person into its code ([`crate::users::Person`]).
//!
//! People added through the admin API live beside the files' people: they are kept across every
//! reload (and win over a file row with the same login), and live in memory only, so a restart
//! forgets them (write them into a CSV file to keep them).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::users::{Place, User, UserDirectory, UsersError, read_files};

/// What the last look at the folders found; published on a `watch` channel at every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadStatus {
    /// How many times the people were replaced (0: as loaded at startup).
    pub generation: u64,
    /// Why the latest edit was refused, until a good one comes.
    pub last_error: Option<String>,
}

/// What one call to [`UserStore::reload_if_changed`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reload {
    Unchanged,
    /// The new files were loaded; this many people now.
    Reloaded(usize),
    /// The new files are broken: the previous people are kept.
    Refused(String),
}

/// The current people, swapped atomically on a good reload or an admin API change.
pub struct UserStore {
    dirs: Vec<PathBuf>,
    /// What every change starts from; its lock orders the writers (reloads, admin API).
    sources: Mutex<Sources>,
    /// The added people then the files' people, as the handlers read them.
    current: RwLock<Arc<UserDirectory>>,
    fingerprint: Mutex<[u8; 32]>,
    status: watch::Sender<ReloadStatus>,
}

struct Sources {
    files: Arc<UserDirectory>,
    added: Vec<User>,
}

/// Why the admin API cannot add or remove a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The login is already someone's, who comes from there.
    Taken(Place),
    /// The person comes from a file: edit the file instead.
    FromFile(Place),
    NotFound,
}

impl UserStore {
    /// Loads the folders; any problem is a startup error.
    pub fn load(dirs: Vec<PathBuf>) -> Result<Self, UsersError> {
        let files = read_files(&dirs)?;
        let directory = UserDirectory::from_files(&files)?;
        directory.log_warnings();
        let directory = Arc::new(directory);
        Ok(Self {
            dirs,
            sources: Mutex::new(Sources {
                files: directory.clone(),
                added: Vec::new(),
            }),
            current: RwLock::new(directory),
            fingerprint: Mutex::new(fingerprint(&files)),
            status: watch::Sender::new(ReloadStatus::default()),
        })
    }

    /// The people as of now (a snapshot: a reload does not change it under the caller).
    pub fn current(&self) -> Arc<UserDirectory> {
        // Swapping an `Arc` cannot be interrupted half-way: a poisoned lock still holds a
        // consistent value.
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The folders read, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The latest reload status.
    pub fn status(&self) -> ReloadStatus {
        self.status.borrow().clone()
    }

    /// A receiver notified at each reload, good or refused (tests wait on it instead of sleeping).
    pub fn subscribe(&self) -> watch::Receiver<ReloadStatus> {
        self.status.subscribe()
    }

    /// Reads the folders and, when their content changed, loads them.
    pub fn reload_if_changed(&self) -> Reload {
        let files = read_files(&self.dirs);
        let print = match &files {
            Ok(files) => fingerprint(files),
            // An unreadable or emptied folder is a state of its own, reported once.
            Err(e) => Sha256::digest(e.to_string().as_bytes()).into(),
        };
        {
            let mut last = self.fingerprint.lock().unwrap_or_else(|p| p.into_inner());
            if *last == print {
                return Reload::Unchanged;
            }
            *last = print;
        }
        match files.and_then(|files| UserDirectory::from_files(&files)) {
            Ok(directory) => {
                directory.log_warnings();
                let mut sources = self.lock_sources();
                sources.files = Arc::new(directory);
                let count = self.publish(&sources);
                drop(sources);
                tracing::info!(users = count, "users folder changed: test people reloaded");
                self.status.send_modify(|s| {
                    s.generation += 1;
                    s.last_error = None;
                });
                Reload::Reloaded(count)
            }
            Err(e) => {
                let reason = e.to_string();
                tracing::error!(
                    error = %reason,
                    "users folder changed but cannot be loaded: the previous test people are kept"
                );
                self.status
                    .send_modify(|s| s.last_error = Some(reason.clone()));
                Reload::Refused(reason)
            }
        }
    }
}

impl UserStore {
    fn lock_sources(&self) -> std::sync::MutexGuard<'_, Sources> {
        // Every change replaces a whole field: a poisoned lock still holds consistent values.
        self.sources.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes the merge of `sources`; returns how many people there are now.
    fn publish(&self, sources: &Sources) -> usize {
        let merged = UserDirectory::merged(&sources.added, &sources.files);
        let count = merged.len();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(merged);
        count
    }

    /// Adds a person (admin API): they can log in as soon as this returns.
    pub fn add(&self, user: User) -> Result<(), Refusal> {
        let mut sources = self.lock_sources();
        if let Some(existing) = self.current().get(&user.identifiant) {
            return Err(Refusal::Taken(existing.place.clone()));
        }
        tracing::info!(identifiant = %user.identifiant, "person added through the admin API");
        sources.added.push(user);
        self.publish(&sources);
        Ok(())
    }

    /// Removes a person added through the admin API.
    pub fn remove(&self, login: &str) -> Result<User, Refusal> {
        let mut sources = self.lock_sources();
        let Some(index) = sources.added.iter().position(|u| u.identifiant == login) else {
            return Err(match self.current().get(login) {
                Some(user) => Refusal::FromFile(user.place.clone()),
                None => Refusal::NotFound,
            });
        };
        let user = sources.added.remove(index);
        tracing::info!(identifiant = %login, "person removed through the admin API");
        self.publish(&sources);
        Ok(user)
    }
}

/// SHA-256 over the names and contents, each length-prefixed so no two sets collide by shifting.
fn fingerprint(files: &[(String, String)]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for (name, text) in files {
        for part in [name, text] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
    }
    hasher.finalize().into()
}

/// Polls the folders every `interval` until the store is dropped (the server stopped).
pub async fn watch_folders(store: Weak<UserStore>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let Some(strong) = store.upgrade() else {
            return;
        };
        // File reading and parsing are blocking work: keep them off the async workers.
        if tokio::task::spawn_blocking(move || strong.reload_if_changed())
            .await
            .is_err()
        {
            tracing::error!("the users reload task panicked; reloading stops");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,identifiant,motDePasse,nomDeNaissance,nomDUsage,prenoms,genre,email,telephone,dateDeNaissance,codePostalLieuDeNaissance,codePaysDeNaissance,adressePays,adresseVille,adresseCodePostal,adresseVoie";
    const MELAINE: &str = "3,3_melaine,123,TROIS,TROIS,Mélaine Évelyne,female,m@example.test,,1981-07-27,95277,99100,,,,";
    const ANNE: &str =
        "20,20_anne,456,NOUVELLE,,Anne,female,a@example.test,,1990-01-01,75056,99100,,,,";

    /// A fresh folder under the system temp dir, removed on drop.
    pub struct TempDir(pub PathBuf);

    impl TempDir {
        pub fn new(tag: &str) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let path = std::env::temp_dir()
                .join(format!("idp-users-{tag}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap();
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn an_unchanged_folder_is_not_reloaded() {
        let dir = TempDir::new("same");
        dir.write("a.csv", &format!("{HEADER}\n{MELAINE}\n"));
        let store = UserStore::load(vec![dir.0.clone()]).unwrap();
        assert_eq!(store.reload_if_changed(), Reload::Unchanged);
        assert_eq!(store.status().generation, 0);
    }

    #[test]
    fn a_new_file_and_an_edit_are_picked_up() {
        let dir = TempDir::new("edit");
        dir.write("a.csv", &format!("{HEADER}\n{MELAINE}\n"));
        let store = UserStore::load(vec![dir.0.clone()]).unwrap();
        let before = store.current();

        dir.write("b.csv", &format!("{ANNE}\n"));
        assert_eq!(store.reload_if_changed(), Reload::Reloaded(2));
        assert!(store.current().authenticate("20_anne", "456").is_some());
        // A snapshot taken before stays as it was.
        assert!(before.get("20_anne").is_none());

        dir.write("b.csv", &format!("{}\n", ANNE.replace(",456,", ",789,")));
        assert_eq!(store.reload_if_changed(), Reload::Reloaded(2));
        assert!(store.current().authenticate("20_anne", "789").is_some());
        assert_eq!(store.status().generation, 2);
    }

    #[test]
    fn a_broken_edit_keeps_the_previous_people_until_fixed() {
        let dir = TempDir::new("broken");
        dir.write("a.csv", &format!("{HEADER}\n{MELAINE}\n"));
        let store = UserStore::load(vec![dir.0.clone()]).unwrap();
        let mut events = store.subscribe();

        dir.write(
            "a.csv",
            &format!("{HEADER}\n{MELAINE}\n21_short,pw-secret,X\n"),
        );
        let Reload::Refused(reason) = store.reload_if_changed() else {
            panic!("a broken file must be refused");
        };
        assert!(reason.contains("a.csv, line 3"), "{reason}");
        assert!(!reason.contains("pw-secret"), "{reason}");
        assert!(store.current().authenticate("3_melaine", "123").is_some());
        assert!(events.has_changed().unwrap());
        assert_eq!(
            events.borrow_and_update().last_error.as_deref(),
            Some(&*reason)
        );
        // Reported once, not at every poll.
        assert_eq!(store.reload_if_changed(), Reload::Unchanged);

        dir.write("a.csv", &format!("{HEADER}\n{ANNE}\n"));
        assert_eq!(store.reload_if_changed(), Reload::Reloaded(1));
        assert!(store.current().get("3_melaine").is_none());
        assert_eq!(store.status().last_error, None);
    }

    #[test]
    fn added_people_survive_reloads_good_or_refused() {
        let dir = TempDir::new("added");
        dir.write("a.csv", &format!("{HEADER}\n{MELAINE}\n"));
        let store = UserStore::load(vec![dir.0.clone()]).unwrap();
        let body = serde_json::json!({"login": "api_anne", "password": "pw", "family_name": "API"});
        store
            .add(crate::users::row::from_json(&body).unwrap())
            .unwrap();
        assert!(store.current().authenticate("api_anne", "pw").is_some());

        dir.write("a.csv", &format!("{HEADER}\n{ANNE}\n"));
        assert_eq!(store.reload_if_changed(), Reload::Reloaded(2));
        assert!(store.current().authenticate("api_anne", "pw").is_some());
        dir.write("a.csv", &format!("{HEADER}\n{ANNE}\n20_x,broken\n"));
        assert!(matches!(store.reload_if_changed(), Reload::Refused(_)));
        assert!(store.current().authenticate("api_anne", "pw").is_some());
        assert!(store.current().authenticate("20_anne", "456").is_some());

        let melaine = serde_json::json!({"login": "20_anne", "password": "x"});
        let taken = store.add(crate::users::row::from_json(&melaine).unwrap());
        assert!(matches!(taken, Err(Refusal::Taken(place)) if place.file == "a.csv"));
        assert!(matches!(store.remove("20_anne"), Err(Refusal::FromFile(_))));
        assert_eq!(store.remove("nobody").unwrap_err(), Refusal::NotFound);
        assert_eq!(store.remove("api_anne").unwrap().identifiant, "api_anne");
        assert!(store.current().get("api_anne").is_none());
    }

    #[test]
    fn an_emptied_folder_keeps_the_previous_people() {
        let dir = TempDir::new("empty");
        dir.write("a.csv", &format!("{MELAINE}\n"));
        let store = UserStore::load(vec![dir.0.clone()]).unwrap();
        std::fs::remove_file(dir.0.join("a.csv")).unwrap();
        assert!(matches!(store.reload_if_changed(), Reload::Refused(_)));
        assert_eq!(store.current().len(), 1);
    }

    #[test]
    fn several_folders_are_read_in_order() {
        let first = TempDir::new("first");
        let second = TempDir::new("second");
        first.write("z.csv", &format!("{MELAINE}\n"));
        second.write(
            "a.csv",
            &format!("{ANNE}\n{}\n", MELAINE.replace(",123,", ",999,")),
        );
        let store = UserStore::load(vec![first.0.clone(), second.0.clone()]).unwrap();
        let users = store.current();
        assert_eq!(users.len(), 2);
        assert!(
            users.authenticate("3_melaine", "123").is_some(),
            "first folder wins"
        );
        let duplicate = &users.duplicates()[0];
        assert_eq!(duplicate.kept.file, "z.csv");
        assert!(duplicate.ignored.file.ends_with("/a.csv"), "{duplicate:?}");
    }
}
