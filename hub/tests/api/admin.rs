//! The control API (`docs/admin.md`): each endpoint's happy path, 401 without or with a wrong
//! token, 404 when no token is configured, each validation error naming its field; registering
//! an SP and logging in through it with no restart; persistence; the admin page.

use super::*;
use serde_json::json;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub async fn admin_hub() -> TestHub {
    TestHub::start_with(|c| c.admin_token = Some(fc_plumbing::Secret::new(ADMIN_TOKEN))).await
}

/// A JSON call to the control API with the admin token: status and body.
pub async fn call(hub: &TestHub, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    call_as(hub, Some(ADMIN_TOKEN), method, path, body).await
}

pub async fn call_as(
    hub: &TestHub,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let response = request(hub, token, method, path, body).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn request(
    hub: &TestHub,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = raw_client().request(method, format!("{}{path}", hub.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// The JWKS document the hub publishes.
pub async fn published_jwks(hub: &TestHub) -> Value {
    reqwest::get(format!("{}/api/v2/jwks", hub.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A registration for a new SP, from the fixture SP's, under `client_id` and `redirect_uri`.
pub async fn new_sp_body(hub: &TestHub, client_id: &str, redirect_uri: &str) -> Value {
    let (status, mut sp) = call(
        hub,
        "GET",
        &format!("/admin/api/service-providers/{SP_ID}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{sp}");
    sp["client_id"] = json!(client_id);
    sp["client_secret"] = json!(format!("{client_id}-secret-0123456789abcdef0123456789"));
    sp["entity_id"] = json!(format!("{client_id}-entity"));
    sp["redirect_uris"] = json!([redirect_uri]);
    sp["post_logout_redirect_uris"] = json!([]);
    sp
}

/// Every endpoint, with a body that would be valid.
fn endpoints() -> Vec<(&'static str, String, Option<Value>)> {
    let sp = format!("/admin/api/service-providers/{SP_ID}");
    vec![
        ("GET", "/admin/api/config".into(), None),
        ("GET", "/admin/api/scenarios".into(), None),
        ("GET", "/admin/api/service-providers".into(), None),
        ("GET", sp.clone(), None),
        ("PUT", sp.clone(), Some(json!({}))),
        ("DELETE", sp.clone(), None),
        ("GET", format!("{sp}/scenario"), None),
        (
            "PUT",
            format!("{sp}/scenario"),
            Some(json!({"scenario": "token_500"})),
        ),
        ("DELETE", format!("{sp}/scenario"), None),
        ("GET", "/admin/api/identity-providers".into(), None),
        ("GET", "/admin/api/identity-providers/x".into(), None),
        (
            "PUT",
            "/admin/api/identity-providers/x".into(),
            Some(json!({})),
        ),
        ("DELETE", "/admin/api/identity-providers/x".into(), None),
        ("GET", "/admin/api/data-providers".into(), None),
        ("GET", format!("/admin/api/data-providers/{DP_ID}"), None),
        (
            "PUT",
            format!("/admin/api/data-providers/{DP_ID}"),
            Some(json!({})),
        ),
        ("DELETE", format!("/admin/api/data-providers/{DP_ID}"), None),
    ]
}

#[tokio::test]
async fn without_a_token_configured_there_is_no_control_api_nor_admin_page() {
    let hub = TestHub::start().await;
    for (method, path, body) in endpoints() {
        let response = request(&hub, Some(ADMIN_TOKEN), method, &path, body).await;
        assert_error_page(response, 404, "Y000404").await;
    }
    let page = raw_client()
        .get(format!("{}/admin", hub.url))
        .send()
        .await
        .unwrap();
    assert_error_page(page, 404, "Y000404").await;
    hub.stop().await;
}

#[tokio::test]
async fn every_endpoint_refuses_a_missing_or_wrong_token_and_changes_nothing() {
    let hub = admin_hub().await;
    for (method, path, body) in endpoints() {
        for token in [None, Some("wrong-token-0123456789"), Some("")] {
            let (status, error) = call_as(&hub, token, method, &path, body.clone()).await;
            assert_eq!(status, 401, "{method} {path} with {token:?}: {error}");
            assert_eq!(error["error"], "unauthorized", "{method} {path}");
        }
    }
    // Another scheme is no better, and the header says what is expected.
    let response = raw_client()
        .get(format!("{}/admin/api/config", hub.url))
        .basic_auth("admin", Some(ADMIN_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"fc-hub-admin\""
    );
    let (_, sps) = call(&hub, "GET", "/admin/api/service-providers", None).await;
    assert!(
        sps.as_array()
            .unwrap()
            .iter()
            .any(|s| s["client_id"] == SP_ID)
    );
    let (_, scenario) = call(
        &hub,
        "GET",
        &format!("/admin/api/service-providers/{SP_ID}/scenario"),
        None,
    )
    .await;
    assert_eq!(scenario["scenario"], Value::Null);
    hub.stop().await;
}

#[tokio::test]
async fn config_tells_what_the_hub_is() {
    let hub = admin_hub().await;
    let (status, config) = call(&hub, "GET", "/admin/api/config", None).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["instance"], "FranceConnect");
    assert_eq!(config["issuer"], format!("{}/api/v2", hub.url));
    assert_eq!(config["acr_values"], json!(["eidas1", "eidas2", "eidas3"]));
    // The Redis suites run every test against a Redis store (feature `redis-tests`).
    let redis = cfg!(feature = "redis-tests");
    assert_eq!(
        config["store"].as_str().unwrap().starts_with("redis://"),
        redis
    );
    assert_eq!(config["shared_store"], redis);
    assert_eq!(config["relaxed"], false);
    assert_eq!(config["deterministic"], false);
    let published = published_jwks(&hub).await;
    let kids = |keys: &Value| -> Vec<String> {
        keys.as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kids(&config["signing_keys"]), kids(&published["keys"]));
    let (status, scenarios) = call(&hub, "GET", "/admin/api/scenarios", None).await;
    assert_eq!(status, 200);
    assert_eq!(scenarios.as_array().unwrap().len(), 17);
    hub.stop().await;
}

#[tokio::test]
async fn an_unknown_endpoint_under_the_api_is_a_json_404() {
    let hub = admin_hub().await;
    let (status, error) = call(&hub, "GET", "/admin/api/nothing-here", None).await;
    assert_eq!((status, error["error"].as_str()), (404, Some("not_found")));
    let (status, _) = call(
        &hub,
        "POST",
        "/admin/api/service-providers",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 404);
    hub.stop().await;
}

#[tokio::test]
async fn service_providers_are_added_replaced_read_and_removed_at_once() {
    let hub = admin_hub().await;
    let path = "/admin/api/service-providers/api-sp";
    let (status, error) = call(&hub, "GET", path, None).await;
    assert_eq!((status, error["error"].as_str()), (404, Some("not_found")));

    let body = new_sp_body(&hub, "api-sp", "http://sp-api.test/cb").await;
    let (status, created) = call(&hub, "PUT", path, Some(body.clone())).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["client_id"], "api-sp");
    let mut renamed = body.clone();
    renamed["name"] = json!("SP renommé");
    let (status, replaced) = call(&hub, "PUT", path, Some(renamed)).await;
    assert_eq!(
        (status, replaced["name"].as_str()),
        (200, Some("SP renommé"))
    );
    let (status, read) = call(&hub, "GET", path, None).await;
    assert_eq!((status, read["name"].as_str()), (200, Some("SP renommé")));
    // The body may leave the id out: the URL names it.
    let mut anonymous = body.clone();
    anonymous.as_object_mut().unwrap().remove("client_id");
    let (status, _) = call(&hub, "PUT", path, Some(anonymous)).await;
    assert_eq!(status, 200);

    let (status, _) = call(&hub, "DELETE", path, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&hub, "DELETE", path, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&hub, "GET", path, None).await;
    assert_eq!(status, 404);

    // A fixture SP removed is refused at authorize at once.
    let (status, _) = call(
        &hub,
        "DELETE",
        &format!("/admin/api/service-providers/{SP_ID}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let refused = raw_client()
        .get(hub.authorize_url(&[]))
        .send()
        .await
        .unwrap();
    assert_error_page(refused, 400, "Y04EA6EF").await;
    hub.stop().await;
}

#[tokio::test]
async fn each_fault_in_a_registration_body_is_named() {
    let hub = admin_hub().await;
    let path = "/admin/api/service-providers/bad-sp";
    let good = new_sp_body(&hub, "bad-sp", "http://sp-bad.test/cb").await;
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (without("name"), "name"),
        (with("nom", json!("x")), "nom"),
        (with("scopes", json!("openid")), "scopes"),
        (with("scopes", json!(["openid", 3])), "scopes[1]"),
        (with("scopes", json!(["email"])), "scopes"),
        (with("type", json!("semi-public")), "type"),
        (with("client_id", json!("another-id")), "client_id"),
        (with("client_secret", json!("too-short")), "client_secret"),
        (
            with("redirect_uris", json!(["not a url"])),
            "redirect_uris[0]",
        ),
        (with("redirect_uris", json!([])), "redirect_uris"),
        (
            with("id_token_signed_response_alg", json!("none")),
            "id_token_signed_response_alg",
        ),
        (with("api_versions", json!(["v3"])), "api_versions[0]"),
        (with("active", json!("yes")), "active"),
    ];
    for (body, field) in cases {
        let (status, error) = call(&hub, "PUT", path, Some(body)).await;
        assert_eq!(status, 400, "{field}: {error}");
        assert_eq!(error["error"], "invalid_body");
        assert_eq!(error["field"], field, "{error}");
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    // Not JSON, not an object, not declared as JSON.
    for (content_type, body) in [
        ("application/json", "{"),
        ("application/json", "[1]"),
        ("text/plain", "{}"),
    ] {
        let response = raw_client()
            .put(format!("{}{path}", hub.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let error: Value = response.json().await.unwrap();
        assert_eq!(
            (error["error"].as_str(), &error["field"]),
            (Some("invalid_body"), &Value::Null)
        );
    }
    // Nothing was registered by all this.
    let (status, _) = call(&hub, "GET", path, None).await;
    assert_eq!(status, 404);
    hub.stop().await;
}

#[tokio::test]
async fn identity_and_data_providers_are_managed_the_same_way() {
    let hub = admin_hub().await;
    let (_, idps) = call(&hub, "GET", "/admin/api/identity-providers", None).await;
    let mut idp = idps
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["active"] == false)
        .unwrap()
        .clone();
    idp["uid"] = json!("new-idp");
    idp["slug"] = json!("new-idp");
    let (status, created) = call(
        &hub,
        "PUT",
        "/admin/api/identity-providers/new-idp",
        Some(idp.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    idp["active"] = json!(true);
    let (status, error) = call(
        &hub,
        "PUT",
        "/admin/api/identity-providers/new-idp",
        Some(idp),
    )
    .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (400, Some("issuer")),
        "{error}"
    );
    let (status, _) = call(
        &hub,
        "DELETE",
        "/admin/api/identity-providers/new-idp",
        None,
    )
    .await;
    assert_eq!(status, 204);

    let dp_path = format!("/admin/api/data-providers/{DP_ID}");
    let (status, mut dp) = call(&hub, "GET", &dp_path, None).await;
    assert_eq!(status, 200);
    dp["title"] = json!("DGFiP renommée");
    let (status, _) = call(&hub, "PUT", &dp_path, Some(dp.clone())).await;
    assert_eq!(status, 200);
    dp["scopes"] = json!([]);
    let (status, error) = call(&hub, "PUT", &dp_path, Some(dp)).await;
    assert_eq!((status, error["field"].as_str()), (400, Some("scopes")));
    let (status, _) = call(&hub, "DELETE", &dp_path, None).await;
    assert_eq!(status, 204);
    let (_, dps) = call(&hub, "GET", "/admin/api/data-providers", None).await;
    assert_eq!(dps, json!([]));
    hub.stop().await;
}

#[tokio::test]
async fn scenario_requests_are_validated_field_by_field() {
    let hub = admin_hub().await;
    let path = format!("/admin/api/service-providers/{SP_ID}/scenario");
    let cases = [
        (json!({"scenario": "id_token_wrong"}), "scenario"),
        (json!({}), "scenario"),
        (json!({"scenario": "token_500", "count": 0}), "count"),
        (json!({"scenario": "token_500", "count": -1}), "count"),
        (
            json!({"scenario": "token_500", "delay_secs": 3}),
            "delay_secs",
        ),
        (
            json!({"scenario": "token_slow", "delay_secs": 0}),
            "delay_secs",
        ),
        (json!({"scenario": "token_500", "colour": "red"}), "colour"),
    ];
    for (body, field) in cases {
        let (status, error) = call(&hub, "PUT", &path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    // SP3 signs HS256 with its secret: no key of the hub's to rotate or hide.
    let (status, error) = call(
        &hub,
        "PUT",
        &format!("/admin/api/service-providers/{SP3_ID}/scenario"),
        Some(json!({"scenario": "jwks_rotated"})),
    )
    .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (400, Some("scenario")),
        "{error}"
    );
    let (status, _) = call(
        &hub,
        "PUT",
        "/admin/api/service-providers/nobody/scenario",
        Some(json!({"scenario": "token_500"})),
    )
    .await;
    assert_eq!(status, 404);

    let (status, set) = call(
        &hub,
        "PUT",
        &path,
        Some(json!({"scenario": "token_500", "count": 2})),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (
            set["scenario"].as_str(),
            set["count"].as_i64(),
            set["remaining"].as_i64()
        ),
        (Some("token_500"), Some(2), Some(2))
    );
    let (status, _) = call(&hub, "DELETE", &path, None).await;
    assert_eq!(status, 204);
    let (_, now) = call(&hub, "GET", &path, None).await;
    assert_eq!(now["scenario"], Value::Null);
    hub.stop().await;
}

/// An SP registered through the API logs a person in at once: no restart.
#[tokio::test]
async fn an_sp_registered_through_the_api_completes_a_journey_without_restart() {
    let hub = admin_hub().await;
    let body = new_sp_body(&hub, "registered-live", "http://sp-live.test/cb").await;
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &hub,
        "PUT",
        "/admin/api/service-providers/registered-live",
        Some(body),
    )
    .await;
    assert_eq!(status, 201);

    let browser = Browser::stopping_at("http://sp-live.test");
    let authorize = hub.authorize_url(&[
        ("client_id", "registered-live"),
        ("redirect_uri", "http://sp-live.test/cb"),
    ]);
    let code = hub.code_from(&browser, &authorize).await;
    let tokens: Value = token_form(
        &hub,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://sp-live.test/cb"),
            ("client_id", "registered-live"),
            ("client_secret", &secret),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    let claims = fc_plumbing::jose::verify_jwt(
        tokens["id_token"].as_str().unwrap(),
        fc_plumbing::Jwa::ES256,
        &jwks(&hub).await,
        None,
    )
    .unwrap();
    assert_eq!(claims["aud"], "registered-live");
    assert_eq!(claims["nonce"], NONCE);
    hub.stop().await;
}

#[tokio::test]
async fn changes_are_written_to_the_registrations_folder_and_read_back_at_start() {
    let dir = std::env::temp_dir().join(format!("fc-admin-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("admin-registrations.toml");
    let start = || {
        let file = file.clone();
        TestHub::start_with(move |c| {
            c.admin_token = Some(fc_plumbing::Secret::new(ADMIN_TOKEN));
            c.admin_registrations = Some(file);
        })
    };
    let hub = start().await;
    let body = new_sp_body(&hub, "kept-sp", "http://sp-kept.test/cb").await;
    let (status, _) = call(
        &hub,
        "PUT",
        "/admin/api/service-providers/kept-sp",
        Some(body),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = call(
        &hub,
        "DELETE",
        &format!("/admin/api/data-providers/{DP_ID}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, config) = call(&hub, "GET", "/admin/api/config", None).await;
    assert_eq!(config["registrations_file"], file.display().to_string());
    hub.stop().await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("client_id = \"kept-sp\""), "{text}");
    assert!(text.contains("[removed]"), "{text}");

    let again = start().await;
    let (status, _) = call(&again, "GET", "/admin/api/service-providers/kept-sp", None).await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &again,
        "GET",
        &format!("/admin/api/data-providers/{DP_ID}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    again.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

fn uuid_like() -> String {
    fc_plumbing::random::hex64()[..16].to_owned()
}

#[tokio::test]
async fn the_admin_page_signs_in_with_the_token_and_switches_a_scenario() {
    let hub = admin_hub().await;
    let browser = Browser::new();
    let login = browser.open(&format!("{}/admin", hub.url)).await;
    assert_eq!(login.status, 200);
    login.assert_contains("id=\"admin-login\"");
    let (action, mut fields) = login.form("id=\"admin-login\"");
    set(&mut fields, "token", "not-the-token-0000000");
    let refused = browser.submit(&action, &fields).await;
    assert_eq!(refused.status, 401);
    refused.assert_contains("id=\"admin-error\"");

    // The cookie is scoped, HttpOnly and SameSite=Strict.
    let response = raw_client()
        .post(&action)
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=3600"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains(ADMIN_TOKEN), "the cookie is not the token");

    set(&mut fields, "token", ADMIN_TOKEN);
    let dashboard = browser.submit(&action, &fields).await;
    assert_eq!(dashboard.status, 200);
    dashboard.assert_contains("Démonstrateur fournisseur de service");
    let marker = format!("value=\"{SP_ID}\"");
    let (action, mut fields) = dashboard.form(&marker);
    set(&mut fields, "scenario", "callback_wrong_state");
    let done = browser.submit(&action, &fields).await;
    assert_eq!(done.status, 200);
    done.assert_contains("id=\"admin-message\"");
    done.assert_contains("<code>callback_wrong_state</code>");
    let (_, scenario) = call(
        &hub,
        "GET",
        &format!("/admin/api/service-providers/{SP_ID}/scenario"),
        None,
    )
    .await;
    assert_eq!(scenario["scenario"], "callback_wrong_state");

    // A form without its CSRF token changes nothing.
    let (action, mut fields) = done.form(&marker);
    set(&mut fields, "csrf", "forged");
    set(&mut fields, "scenario", "");
    let forged = browser.submit(&action, &fields).await;
    assert_eq!(forged.status, 403);
    let (_, scenario) = call(
        &hub,
        "GET",
        &format!("/admin/api/service-providers/{SP_ID}/scenario"),
        None,
    )
    .await;
    assert_eq!(scenario["scenario"], "callback_wrong_state");

    // A count out of range is explained, in French.
    let (action, mut fields) = done.form(&marker);
    set(&mut fields, "scenario", "token_500");
    set(&mut fields, "count", "0");
    let refused = browser.submit(&action, &fields).await;
    assert_eq!(refused.status, 400);
    assert!(refused.element_text("admin-error").contains("entre 1 et"));

    // A scenario the SP cannot have is explained on the page.
    let (action, mut fields) = done.form(&format!("value=\"{SP3_ID}\""));
    set(&mut fields, "scenario", "id_token_unknown_kid");
    let refused = browser.submit(&action, &fields).await;
    assert_eq!(refused.status, 400);
    assert!(refused.element_text("admin-error").contains("HS256"));

    // Back to normal in one click.
    let again = browser.open(&format!("{}/admin", hub.url)).await;
    let (action, fields) = again.form("Revenir au fonctionnement normal");
    browser.submit(&action, &fields).await;
    let (_, scenario) = call(
        &hub,
        "GET",
        &format!("/admin/api/service-providers/{SP_ID}/scenario"),
        None,
    )
    .await;
    assert_eq!(scenario["scenario"], Value::Null);

    // An hour later the sign-in has expired.
    hub.clock.advance_secs(3601);
    let expired = browser.open(&format!("{}/admin", hub.url)).await;
    expired.assert_contains("id=\"admin-login\"");
    hub.stop().await;
}
