//! The admin API: records put, read and removed without editing a file, and served at once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const SPI: &str = "1111111111111";

/// A record for a person no file knows: Zoé ADMIN, born 1990-02-03.
fn record() -> Value {
    json!({
        "given_name": "Zoé Marie", "family_name": "ADMIN", "birthdate": "1990-02-03",
        "gender": "female", "birthcountry": "99100",
        "rfr": 31000, "nbPart": 1.5, "sitFam": "C",
        "pac": {"nbPac": 1, "enfants": 1, "invalides": 0, "rattaches": null},
        "aftDetail": {"complementAdresse": null, "voie": "1 RUE DE L'API", "codePostal": "75001", "commune": "PARIS"},
        "cnam": {"paiements_ij": 12.5}
    })
}

fn zoe() -> Value {
    json!({
        "given_name": "Zoé Marie", "family_name": "ADMIN", "birthdate": "1990-02-03",
        "gender": "female", "birthplace": "75056", "birthcountry": "99100",
    })
}

async fn admin_app(hub: &StubHub) -> TestApp {
    TestApp::spawn(hub, |c| c.admin_token = Some(ADMIN_TOKEN.into())).await
}

impl TestApp {
    async fn admin(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        request.send().await.unwrap()
    }

    async fn put_record(&self, spi: &str, body: &Value) -> reqwest::Response {
        self.admin(
            Method::PUT,
            &format!("/admin/api/records/{spi}"),
            Some(ADMIN_TOKEN),
            Some(body.to_string()),
        )
        .await
    }
}

#[tokio::test]
async fn a_record_put_through_the_api_is_served_to_its_person() {
    let hub = StubHub::start().await;
    let app = admin_app(&hub).await;
    hub.reply_active(zoe(), ALL_DP_SCOPES);
    let (status, _, _) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 404, "nobody has data for Zoé yet");

    let response = app.put_record(SPI, &record()).await;
    assert_eq!(response.status(), 201);
    let shown: Value = response.json().await.unwrap();
    assert_eq!(shown["spi"], SPI);
    assert_eq!(shown["source"], "API d'administration");

    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rfr"], 31000);
    assert_eq!(body["nbPart"], 1.5);
    assert_eq!(body["aft"], "1 RUE DE L'API 75001 PARIS");
    assert_eq!(body["cnam"], json!({"paiements_ij": 12.5}));

    // Put again: replaced (200), and served as replaced.
    let mut changed = record();
    changed["rfr"] = json!(1);
    assert_eq!(app.put_record(SPI, &changed).await.status(), 200);
    let (_, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(body["rfr"], 1);
}

#[tokio::test]
async fn records_are_listed_read_and_removed() {
    let hub = StubHub::start().await;
    let app = admin_app(&hub).await;
    assert_eq!(app.put_record(SPI, &record()).await.status(), 201);

    let list = app
        .admin(Method::GET, "/admin/api/records", Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    let list = list.as_array().unwrap();
    assert!(list.iter().any(|r| r["spi"] == SPI));
    let melaine = list.iter().find(|r| r["spi"] == "3999999999999").unwrap();
    assert_eq!(melaine["family_name"], "TROIS");
    assert_eq!(melaine["birthdate"], "1981-07-27");
    assert_eq!(melaine["gender"], "female");
    assert!(
        melaine["source"]
            .as_str()
            .unwrap()
            .starts_with("dgfip.csv:")
    );

    let one = app
        .admin(
            Method::GET,
            &format!("/admin/api/records/{SPI}"),
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["aftDetail"]["voie"], "1 RUE DE L'API");

    // A record of the files can be removed too (until the next restart).
    hub.reply_active(melaine_identity(), "dgfip_rfr");
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 200);
    let deleted = app
        .admin(
            Method::DELETE,
            "/admin/api/records/3999999999999",
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get_data(Some(BEARER), None).await.status(), 404);
    for method in [Method::GET, Method::DELETE] {
        let gone = app
            .admin(
                method,
                "/admin/api/records/3999999999999",
                Some(ADMIN_TOKEN),
                None,
            )
            .await;
        let (status, _, body) = parts(gone).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    }
}

fn melaine_identity() -> Value {
    melaine()
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_on_every_endpoint() {
    let hub = StubHub::start().await;
    let app = admin_app(&hub).await;
    let endpoints = [
        (Method::GET, "/admin/api/records".to_owned()),
        (Method::GET, format!("/admin/api/records/{SPI}")),
        (Method::PUT, format!("/admin/api/records/{SPI}")),
        (
            Method::DELETE,
            "/admin/api/records/3999999999999".to_owned(),
        ),
        (Method::GET, "/admin/api/other".to_owned()),
    ];
    for (method, path) in endpoints {
        for token in [None, Some("wrong"), Some(&ADMIN_TOKEN[1..])] {
            let response = app
                .admin(method.clone(), &path, token, Some(record().to_string()))
                .await;
            let (status, challenge, body) = parts(response).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("unauthorized")),
                "{path}"
            );
            assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="admin""#));
        }
    }
    // Nothing changed.
    let records = app.state.records.current();
    assert!(records.get(SPI).is_none());
    assert!(records.get("3999999999999").is_some());
}

#[tokio::test]
async fn without_an_admin_token_there_is_no_admin_api() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    for (method, path) in [
        (Method::GET, "/admin/api/records".to_owned()),
        (Method::PUT, format!("/admin/api/records/{SPI}")),
        (
            Method::DELETE,
            "/admin/api/records/3999999999999".to_owned(),
        ),
    ] {
        let response = app
            .admin(method, &path, Some(ADMIN_TOKEN), Some(record().to_string()))
            .await;
        let (status, _, body) = parts(response).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("FC_DP_ADMIN_TOKEN")
        );
    }
}

#[tokio::test]
async fn each_validation_error_names_its_field() {
    let hub = StubHub::start().await;
    let app = admin_app(&hub).await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = record();
        change(&mut body);
        body.to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (SPI, "not json".into(), ""),
        (SPI, "[]".into(), ""),
        ("12AB", record().to_string(), "spi"),
        (
            SPI,
            with(&|b| {
                b.as_object_mut().unwrap().remove("family_name");
            }),
            "family_name",
        ),
        (SPI, with(&|b| b["gender"] = json!("F")), "gender"),
        (
            SPI,
            with(&|b| b["birthdate"] = json!("1990-13-01")),
            "birthdate",
        ),
        (
            SPI,
            with(&|b| b["birthcountry"] = json!("France")),
            "birthcountry",
        ),
        (SPI, with(&|b| b["rfr"] = json!("31 000")), "rfr"),
        (
            SPI,
            with(&|b| b["pac"]["invalides"] = json!(-2)),
            "pac.invalides",
        ),
        (
            SPI,
            with(&|b| b["aftDetail"]["rue"] = json!("x")),
            "aftDetail.rue",
        ),
        (SPI, with(&|b| b["cnam"] = json!([])), "cnam"),
        (
            SPI,
            with(&|b| b["sitFam"] = json!("M".repeat(1025))),
            "sitFam",
        ),
        (SPI, with(&|b| b["spi"] = json!("2222222222222")), "spi"),
    ];
    for (spi, body, field) in cases {
        let response = app
            .admin(
                Method::PUT,
                &format!("/admin/api/records/{spi}"),
                Some(ADMIN_TOKEN),
                Some(body.clone()),
            )
            .await;
        let (status, _, error) = parts(response).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_field")),
            "{body:.60}"
        );
        assert_eq!(error["field"], field, "{body:.60}: {error}");
    }
    assert!(app.state.records.current().get(SPI).is_none());
}
