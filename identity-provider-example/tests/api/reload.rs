//! The users folder is read again when it changes, without a restart; a broken edit keeps the
//! previous people. Tests wait on the IdP's reload notifications, never on a clock.

use std::time::Duration;

use identity_provider_example::Config;
use reqwest::StatusCode;

use crate::helpers::*;

const HEADER: &str = "id,identifiant,motDePasse,nomDeNaissance,nomDUsage,prenoms,genre,email,telephone,dateDeNaissance,codePostalLieuDeNaissance,codePaysDeNaissance,adressePays,adresseVille,adresseCodePostal,adresseVoie";
const MELAINE: &str =
    "3,3_melaine,123,TROIS,TROIS,Mélaine Évelyne,female,m@example.test,,1981-07-27,95277,99100,,,,";
const NOUVEAU: &str =
    "40,40_nouveau,456,NOUVEAU,,Nathan,male,n@example.test,,1990-01-01,75056,99100,,,,";

/// Writes a users file the way a careful tool does (temporary file, then rename), so the
/// polling reload never sees it half written; a plain `fs::write` truncates first and can be
/// caught empty, which would be a second, legitimate reload the assertions do not expect.
fn write_atomically(path: std::path::PathBuf, contents: String) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents).unwrap();
    std::fs::rename(&temporary, &path).unwrap();
}

async fn next_reload(idp: &mut TestIdp) -> identity_provider_example::reload::ReloadStatus {
    tokio::time::timeout(Duration::from_secs(20), idp.reload_events.changed())
        .await
        .expect("no reload within 20 s")
        .unwrap();
    idp.reload_events.borrow_and_update().clone()
}

async fn can_log_in(idp: &TestIdp, login: &str, password: &str) -> bool {
    let page = idp.login_page().await;
    idp.login(&page, login, password, "eidas1").await.status() == StatusCode::SEE_OTHER
}

#[tokio::test]
async fn edits_are_picked_up_and_broken_edits_refused() {
    let dir = temp_dir();
    std::fs::write(dir.0.join("a.csv"), format!("{HEADER}\n{MELAINE}\n")).unwrap();
    let mut config = Config::local();
    config.users_dir = dir.0.clone();
    config.reload_interval_ms = 20;
    let mut idp = spawn_with(config).await;
    assert!(!can_log_in(&idp, "40_nouveau", "456").await);

    write_atomically(dir.0.join("b.csv"), format!("{NOUVEAU}\n"));
    let status = next_reload(&mut idp).await;
    assert_eq!((status.generation, status.last_error), (1, None));
    assert!(can_log_in(&idp, "40_nouveau", "456").await);

    // A broken edit: the previous people stay, and the accounts page says why.
    write_atomically(
        dir.0.join("b.csv"),
        format!("{NOUVEAU}\n41_casse,mot-de-passe-secret\n"),
    );
    let status = next_reload(&mut idp).await;
    let error = status.last_error.unwrap();
    assert!(error.contains("b.csv, line 2"), "{error}");
    assert!(can_log_in(&idp, "40_nouveau", "456").await);
    assert!(can_log_in(&idp, "3_melaine", "123").await);
    let accounts = idp.get("/users").await.text().await.unwrap();
    assert!(accounts.contains(r#"id="reload-error""#), "{accounts}");
    assert!(accounts.contains("b.csv, line 2"));
    assert!(!accounts.contains("mot-de-passe-secret"));

    // Fixed: reloaded, the message goes away.
    write_atomically(
        dir.0.join("b.csv"),
        format!("{}\n", NOUVEAU.replace(",456,", ",789,")),
    );
    let status = next_reload(&mut idp).await;
    assert_eq!((status.generation, status.last_error), (2, None));
    assert!(can_log_in(&idp, "40_nouveau", "789").await);
    let accounts = idp.get("/users").await.text().await.unwrap();
    assert!(!accounts.contains(r#"id="reload-error""#));
}

#[tokio::test]
async fn a_login_in_progress_survives_a_reload_that_removes_its_person() {
    let dir = temp_dir();
    write_atomically(
        dir.0.join("a.csv"),
        format!("{HEADER}\n{MELAINE}\n{NOUVEAU}\n"),
    );
    let mut config = Config::local();
    config.users_dir = dir.0.clone();
    config.reload_interval_ms = 20;
    let mut idp = spawn_with(config).await;
    let code = idp.code_for("40_nouveau", "456", "eidas1").await;

    write_atomically(dir.0.join("a.csv"), format!("{HEADER}\n{MELAINE}\n"));
    next_reload(&mut idp).await;
    assert!(!can_log_in(&idp, "40_nouveau", "456").await);

    let body = json(
        idp.token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
            .await,
    )
    .await;
    let userinfo = json(idp.userinfo(body["access_token"].as_str().unwrap()).await).await;
    assert_eq!(userinfo["family_name"], "NOUVEAU");
}
