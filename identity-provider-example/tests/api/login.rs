use identity_provider_example::Config;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer_and_no_code() {
    let idp = spawn().await;
    let page = idp.login_page().await;

    let wrong_password = idp.login(&page, "3_melaine", "1234", "eidas1").await;
    assert_eq!(wrong_password.status(), StatusCode::OK);
    assert!(location(&wrong_password).is_none());
    assert!(
        !sets_session_cookie(&wrong_password),
        "no session for a failed login"
    );
    let first = wrong_password.text().await.unwrap();
    assert!(first.contains("Identifiant ou mot de passe incorrect."));

    let unknown_user = idp.login(&first, "nobody", "123", "eidas1").await;
    assert_eq!(unknown_user.status(), StatusCode::OK);
    assert!(location(&unknown_user).is_none());
    assert!(!sets_session_cookie(&unknown_user));
    let second = unknown_user.text().await.unwrap();
    assert_eq!(first, second);

    let home = idp.get("/").await.text().await.unwrap();
    assert!(home.contains("Aucune session ouverte"), "{home}");

    // The form still works after the failures, with its latest token.
    let response = idp.login(&second, "3_melaine", "123", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(sets_session_cookie(&response));
    let home = idp.get("/").await.text().await.unwrap();
    assert!(home.contains("Mélaine Évelyne TROIS"), "{home}");
}

#[tokio::test]
async fn a_consumed_interaction_cannot_be_replayed() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let first = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let replay = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_error_page(replay, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

#[tokio::test]
async fn failed_attempts_keep_the_form_and_a_login_spends_every_copy() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let failed = idp.login(&page, "3_melaine", "wrong", "eidas1").await;
    assert_eq!(failed.status(), StatusCode::OK);
    let again = failed.text().await.unwrap();
    assert_eq!(hidden(&again, "pending"), hidden(&page, "pending"));
    let ok = idp.login(&again, "3_melaine", "123", "eidas1").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let stale = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_error_page(stale, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

/// A form whose pending authorization was altered (here: another redirect_uri pasted in) is
/// refused: the field is signed.
#[tokio::test]
async fn an_altered_form_is_refused() {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let idp = spawn().await;
    let page = idp.login_page().await;
    let sealed = hidden(&page, "pending");
    let (payload, tag) = sealed.split_once('.').unwrap();
    let json = String::from_utf8(engine.decode(payload).unwrap()).unwrap();
    assert!(json.contains(REDIRECT_URI), "{json}");
    let forged = json.replace(REDIRECT_URI, "https://evil.example/cb");
    let forged = format!("{}.{tag}", engine.encode(forged));
    let response = idp
        .browser
        .post(idp.url("/login"))
        .form(&[
            ("pending", forged.as_str()),
            ("login", "3_melaine"),
            ("password", "123"),
            ("acr", "eidas1"),
        ])
        .send()
        .await
        .unwrap();
    assert_error_page(response, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

/// Forms expire after 10 minutes (the clock is moved, not waited for).
#[tokio::test]
async fn a_form_expires_after_ten_minutes() {
    let (idp, clock) = spawn_with_clock(Config::local()).await;
    let page = idp.login_page().await;
    clock.advance_secs(599);
    let failed = idp.login(&page, "3_melaine", "wrong", "eidas1").await;
    assert_eq!(failed.status(), StatusCode::OK, "still usable at 9:59");
    clock.advance_secs(1);
    let late = idp.login(&page, "3_melaine", "123", "eidas1").await;
    assert_error_page(late, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

#[tokio::test]
async fn the_form_only_works_in_the_browser_that_opened_it() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let other_browser = new_browser();
    let response = other_browser
        .post(idp.url("/login"))
        .form(&[
            ("pending", hidden(&page, "pending")),
            ("login", "3_melaine".into()),
            ("password", "123".into()),
            ("acr", "eidas1".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_error_page(response, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

#[tokio::test]
async fn retour_sends_access_denied_with_the_state() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let response = idp.post_login(&page, &[("cancel", "1")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!sets_session_cookie(&response));
    let query = redirect_query(&response, REDIRECT_URI);
    assert_eq!(
        query_value(&query, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_value(&query, "error_description").as_deref(),
        Some("user authentication aborted")
    );
    assert_eq!(query_value(&query, "state").as_deref(), Some(STATE));
    assert!(query_value(&query, "code").is_none());
}

#[tokio::test]
async fn a_forged_acr_is_refused_on_the_form() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    let response = idp.login(&page, "3_melaine", "123", "eidas9").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(location(&response).is_none());
    assert!(response.text().await.unwrap().contains("niveau eIDAS"));
}

#[tokio::test]
async fn a_login_without_interaction_is_an_error_page() {
    let idp = spawn().await;
    let response = idp
        .browser
        .post(idp.url("/login"))
        .form(&[("login", "3_melaine"), ("password", "123")])
        .send()
        .await
        .unwrap();
    assert_error_page(response, StatusCode::BAD_REQUEST, "interaction_expired").await;
}

/// The part of the login page between `<details id="{id}">` and its `</details>`.
fn details<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!(r#"<details id="{id}">"#))
        .unwrap_or_else(|| panic!("no details {id}"));
    let end = start + page[start..].find("</details>").unwrap();
    &page[start..end]
}

/// With thousands of people the login form stays small: the first 20 ordinary accounts, the
/// failure scenarios in their own list, and a link to the accounts page, which has everyone.
/// Anybody can still log in, listed on the form or not.
#[tokio::test]
async fn the_login_page_lists_twenty_accounts_and_links_to_all_of_them() {
    const PEOPLE: usize = 2000;
    let dir = temp_dir();
    let mut csv = String::from(
        "id,identifiant,motDePasse,nomDeNaissance,nomDUsage,prenoms,genre,email,telephone,\
         dateDeNaissance,codePostalLieuDeNaissance,codePaysDeNaissance,adressePays,adresseVille,\
         adresseCodePostal,adresseVoie\n",
    );
    // A scenario login first: it is listed with the scenarios, not among the 20 accounts.
    csv.push_str("900,erreur_token_500,123,PANNE,,Paul,male,,,1970-01-01,75056,99100,,,,\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!(
            "{i},personne-{i},mdp-{i},NOM,,Prénom,female,,,1980-01-01,75056,99100,,,,\n"
        ));
    }
    std::fs::write(dir.0.join("many.csv"), csv).unwrap();
    let mut config = Config::local();
    config.users_dir = dir.0.clone();
    config.reload_interval_ms = 0;
    let idp = spawn_with(config).await;

    let page = idp.login_page().await;
    let accounts = details(&page, "test-accounts");
    assert_eq!(
        accounts.matches("<code>personne-").count(),
        20,
        "{accounts}"
    );
    assert!(accounts.contains("<code>personne-0</code>"));
    assert!(accounts.contains("<code>personne-19</code>"));
    assert!(!accounts.contains("personne-20<"));
    assert!(!accounts.contains("erreur_token_500"));
    assert!(
        accounts.contains(r#"href="/users""#) && accounts.contains("Voir les 2001 comptes de test"),
        "{accounts}"
    );
    assert!(details(&page, "failure-scenarios").contains("<code>erreur_token_500</code>"));
    // The test hooks of the form are untouched.
    for hook in [
        r#"<form id="login-form""#,
        r#"name="login""#,
        r#"name="password""#,
        r#"name="acr""#,
        ">Retour</button>",
    ] {
        assert!(page.contains(hook), "{hook}");
    }
    assert!(page.len() < 40_000, "login page of {} bytes", page.len());

    let all = idp.get("/users").await.text().await.unwrap();
    assert_eq!(all.matches("<code>personne-").count(), PEOPLE);
    let last = format!("personne-{}", PEOPLE - 1);
    let response = idp
        .login(&page, &last, &format!("mdp-{}", PEOPLE - 1), "eidas1")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
