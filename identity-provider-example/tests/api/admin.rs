//! The admin API: test people added, listed, read and removed without editing a file.

use identity_provider_example::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn person() -> Value {
    json!({
        "login": "api_zoe",
        "password": "mdp-zoe",
        "given_name": "Zoé Marie",
        "family_name": "ADMIN",
        "gender": "female",
        "birthdate": "1990-02-03",
        "birthplace": "75056",
        "birthcountry": "99100",
        "email": "zoe@example.test",
        "preferred_username": "ADMIN-USAGE",
        "phone_number": "0102030405",
        "address": {"street_address": "1 rue de l'API", "postal_code": "75001", "locality": "Paris", "country": "France"}
    })
}

impl TestIdp {
    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.browser.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        request.send().await.unwrap()
    }

    async fn add_person(&self, body: &Value) -> reqwest::Response {
        self.admin(
            reqwest::Method::POST,
            "/admin/api/users",
            Some(ADMIN_TOKEN),
            Some(&body.to_string()),
        )
        .await
    }

    async fn remove_person(&self, login: &str) -> reqwest::Response {
        self.admin(
            reqwest::Method::DELETE,
            &format!("/admin/api/users/{login}"),
            Some(ADMIN_TOKEN),
            None,
        )
        .await
    }
}

async fn assert_admin_error(response: reqwest::Response, status: StatusCode, error: &str) -> Value {
    assert_eq!(response.status(), status);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = json(response).await;
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn a_person_added_through_the_api_logs_in_at_once_with_every_claim() {
    let idp = spawn_with_admin().await;
    let response = idp.add_person(&person()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["location"], "/admin/api/users/api_zoe");
    let shown = json(response).await;
    assert_eq!(shown["login"], "api_zoe");
    assert_eq!(shown["source"], "API d'administration");

    let page = idp
        .authorize_with(&authorize_params(&[(
            "scope",
            Some("openid profile email birth phone address"),
        )]))
        .await
        .text()
        .await
        .unwrap();
    let response = idp.login(&page, "api_zoe", "mdp-zoe", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let code = query_value(&redirect_query(&response, REDIRECT_URI), "code").unwrap();
    let token = json(
        idp.token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
            .await,
    )
    .await;
    let userinfo = json(idp.userinfo(token["access_token"].as_str().unwrap()).await).await;
    assert_eq!(userinfo["given_name"], "Zoé Marie");
    assert_eq!(userinfo["family_name"], "ADMIN");
    assert_eq!(userinfo["preferred_username"], "ADMIN-USAGE");
    assert_eq!(userinfo["birthdate"], "1990-02-03");
    assert_eq!(userinfo["birthplace"], "75056");
    assert_eq!(userinfo["phone_number"], "0102030405");
    assert_eq!(userinfo["address"]["locality"], "Paris");
    assert_eq!(
        userinfo["sub"], shown["effective_sub"],
        "no sub given: the hex SHA-256 of the login"
    );
}

#[tokio::test]
async fn people_are_listed_read_and_removed() {
    let idp = spawn_with_admin().await;
    assert_eq!(
        idp.add_person(&person()).await.status(),
        StatusCode::CREATED
    );

    let list = idp
        .admin(
            reqwest::Method::GET,
            "/admin/api/users",
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = json(list).await;
    let logins: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins[0], "api_zoe", "added people come first");
    assert!(logins.contains(&"3_melaine"));

    let melaine = idp
        .admin(
            reqwest::Method::GET,
            "/admin/api/users/3_melaine",
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(melaine.status(), StatusCode::OK);
    let melaine = json(melaine).await;
    assert_eq!(melaine["family_name"], "TROIS");
    assert_eq!(melaine["source"], "database.csv:6");

    // A person of the files is edited in the files.
    let refused = idp.remove_person("3_melaine").await;
    let body = assert_admin_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(body["field"], "login");

    let deleted = idp.remove_person("api_zoe").await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let gone = idp
            .admin(method, "/admin/api/users/api_zoe", Some(ADMIN_TOKEN), None)
            .await;
        assert_admin_error(gone, StatusCode::NOT_FOUND, "not_found").await;
    }
    let page = idp.login_page().await;
    let refused = idp.login(&page, "api_zoe", "mdp-zoe", "eidas1").await;
    assert_eq!(
        refused.status(),
        StatusCode::OK,
        "removed: can no longer log in"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_on_every_endpoint() {
    let idp = spawn_with_admin().await;
    let endpoints = [
        (reqwest::Method::GET, "/admin/api/users"),
        (reqwest::Method::POST, "/admin/api/users"),
        (reqwest::Method::GET, "/admin/api/users/3_melaine"),
        (reqwest::Method::DELETE, "/admin/api/users/3_melaine"),
        (reqwest::Method::GET, "/admin/api/other"),
    ];
    for (method, path) in endpoints {
        for token in [None, Some("wrong-token"), Some(&ADMIN_TOKEN[1..])] {
            let body = person().to_string();
            let response = idp.admin(method.clone(), path, token, Some(&body)).await;
            assert_eq!(
                response.headers()["www-authenticate"],
                r#"Bearer realm="admin""#
            );
            assert_admin_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }
    // Nothing was added or removed.
    let page = idp.login_page().await;
    assert_eq!(
        idp.login(&page, "api_zoe", "mdp-zoe", "eidas1")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        idp.login(&page, "3_melaine", "123", "eidas1")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn without_an_admin_token_there_is_no_admin_api() {
    let idp = spawn_with(Config::local()).await;
    for (method, path) in [
        (reqwest::Method::GET, "/admin/api/users"),
        (reqwest::Method::POST, "/admin/api/users"),
        (reqwest::Method::DELETE, "/admin/api/users/3_melaine"),
    ] {
        let response = idp
            .admin(method, path, Some(ADMIN_TOKEN), Some(&person().to_string()))
            .await;
        assert_admin_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    // An empty token does not enable it either.
    let mut config = Config::local();
    config.admin_token = Some("".into());
    let idp = spawn_with(config).await;
    let response = idp
        .admin(reqwest::Method::GET, "/admin/api/users", Some(""), None)
        .await;
    assert_admin_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn each_validation_error_names_its_field() {
    let idp = spawn_with_admin().await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = person();
        change(&mut body);
        body.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), ""),
        ("[1, 2]".into(), ""),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("login");
            }),
            "login",
        ),
        (with(&|b| b["login"] = json!("")), "login"),
        (with(&|b| b["login"] = json!("a\u{1}b")), "login"),
        (with(&|b| b["login"] = json!("l".repeat(257))), "login"),
        (with(&|b| b["password"] = json!("")), "password"),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("password");
            }),
            "password",
        ),
        (with(&|b| b["birthdate"] = json!(19900203)), "birthdate"),
        (
            with(&|b| b["family_name"] = json!("N".repeat(1025))),
            "family_name",
        ),
        (with(&|b| b["familyname"] = json!("typo")), "familyname"),
        (with(&|b| b["address"] = json!("1 rue X")), "address"),
        (
            with(&|b| b["address"]["city"] = json!("Paris")),
            "address.city",
        ),
        (
            with(&|b| b["address"]["locality"] = json!(["Paris"])),
            "address.locality",
        ),
    ];
    for (body, field) in cases {
        let response = idp
            .admin(
                reqwest::Method::POST,
                "/admin/api/users",
                Some(ADMIN_TOKEN),
                Some(&body),
            )
            .await;
        let error = assert_admin_error(response, StatusCode::BAD_REQUEST, "invalid_field").await;
        assert_eq!(error["field"], field, "{body:.80}: {error}");
        assert!(!error.to_string().contains("mdp-zoe"), "no password echoed");
    }
    // A login already used, by a file person or an added one.
    let melaine = with(&|b| b["login"] = json!("3_melaine"));
    let response = idp
        .admin(
            reqwest::Method::POST,
            "/admin/api/users",
            Some(ADMIN_TOKEN),
            Some(&melaine),
        )
        .await;
    let error = assert_admin_error(response, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(error["field"], "login");
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("database.csv")
    );
    assert_eq!(
        idp.add_person(&person()).await.status(),
        StatusCode::CREATED
    );
    let again = idp.add_person(&person()).await;
    assert_admin_error(again, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn added_people_survive_a_reload_of_the_files() {
    let dir = temp_dir();
    let header = "id,identifiant,motDePasse,nomDeNaissance,nomDUsage,prenoms,genre,email,telephone,dateDeNaissance,codePostalLieuDeNaissance,codePaysDeNaissance,adressePays,adresseVille,adresseCodePostal,adresseVoie";
    let row = "3,3_melaine,123,TROIS,,Mélaine,female,,,1981-07-27,95277,99100,,,,";
    std::fs::write(dir.0.join("a.csv"), format!("{header}\n{row}\n")).unwrap();
    let mut config = Config::local();
    config.users_dir = dir.0.clone();
    config.reload_interval_ms = 20;
    config.admin_token = Some(ADMIN_TOKEN.into());
    let mut idp = spawn_with(config).await;
    assert_eq!(
        idp.add_person(&person()).await.status(),
        StatusCode::CREATED
    );

    let temporary = dir.0.join("a.tmp");
    std::fs::write(
        &temporary,
        format!("{header}\n{}\n", row.replace(",123,", ",456,")),
    )
    .unwrap();
    std::fs::rename(&temporary, dir.0.join("a.csv")).unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        idp.reload_events.changed(),
    )
    .await
    .expect("no reload within 20 s")
    .unwrap();
    assert_eq!(idp.reload_events.borrow_and_update().generation, 1);

    let page = idp.login_page().await;
    let response = idp.login(&page, "api_zoe", "mdp-zoe", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = idp.login_page().await;
    let response = idp.login(&page, "3_melaine", "456", "eidas1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_login_form_lists_people_as_they_are_added_and_removed() {
    let idp = spawn_with_admin().await;
    let zoe_row = r#"<td data-label="Identifiant"><code>api_zoe</code></td>"#;
    let count = |page: &str| {
        let at = page.find("<summary>Comptes de test (").unwrap() + 27;
        page[at..at + page[at..].find(')').unwrap()].to_owned()
    };
    // The form's lists are rendered once per set of people: shown once before the change.
    let before = idp.login_page().await;
    assert!(!before.contains(zoe_row));

    let mut zoe = person();
    zoe["family_name"] = json!("<i>ADMIN</i>");
    assert_eq!(idp.add_person(&zoe).await.status(), StatusCode::CREATED);
    let added = idp.login_page().await;
    assert!(added.contains(zoe_row), "added people come first");
    // The lists go into the page as HTML: what a person's fields hold was escaped in them.
    assert!(added.contains("&lt;i&gt;ADMIN&lt;&#x2F;i&gt;"), "{added}");
    assert!(!added.contains("<i>ADMIN"));
    let one_more = count(&before).parse::<usize>().unwrap() + 1;
    assert_eq!(count(&added), one_more.to_string());

    let removed = idp.remove_person("api_zoe").await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let after = idp.login_page().await;
    assert!(!after.contains(zoe_row));
    assert_eq!(count(&after), count(&before));
}
