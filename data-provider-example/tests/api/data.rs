//! The protected resource: bearer header, token check, scopes, reconciliation, scoped answer.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn melaine_gets_only_the_fields_her_scopes_allow() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), "dgfip_rfr dgfip_aft");

    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "rfr": 42000,
            "aft": "Bâtiment A 12 RUE DE LA REPUBLIQUE 95200 SARCELLES",
            "aftDetail": {
                "complementAdresse": "Bâtiment A",
                "voie": "12 RUE DE LA REPUBLIQUE",
                "codePostal": "95200",
                "commune": "SARCELLES"
            }
        })
    );

    // The hub was asked with exactly the DP's credentials and the token, as a form.
    let calls = hub.state().v2_calls.clone();
    assert_eq!(calls.len(), 1);
    let expected: Vec<(String, String)> = [
        ("token", TOKEN),
        (
            "client_id",
            data_provider_example::config::DEFAULT_CLIENT_ID,
        ),
        ("client_secret", SECRET),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(calls[0], expected);
}

#[tokio::test]
async fn every_scope_gives_every_field_and_the_alias_answers_the_same() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), &format!("{ALL_DP_SCOPES} openid given_name"));

    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["nbPart"], json!(2.5));
    assert_eq!(body["sitFam"], json!("M"));
    assert_eq!(
        body["pac"],
        json!({"nbPac": 2, "enfants": 2, "invalides": 0, "rattaches": 0})
    );
    assert_eq!(body["cnam"], json!({"paiements_ij": 1250.4}));
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["aft", "aftDetail", "cnam", "nbPart", "pac", "rfr", "sitFam"]
    );

    let (status, _, alias) = parts(app.get_path("/api/dgfip", Some(BEARER), None).await).await;
    assert_eq!(status, 200);
    assert_eq!(alias, body);
}

#[tokio::test]
async fn no_header_gets_a_bare_challenge_and_the_hub_is_not_called() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), ALL_DP_SCOPES);

    for path in ["/situations/ir/assiettes/annrev/2024", "/api/dgfip"] {
        let (status, challenge, body) = parts(app.get_path(path, None, None).await).await;
        assert_eq!(status, 401);
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert!(body.get("error").is_none(), "{body}");
    }
    assert!(hub.state().v2_calls.is_empty());
    assert_eq!(hub.state().jwks_calls, 0);
}

#[tokio::test]
async fn a_malformed_header_is_an_invalid_request_and_the_hub_is_not_called() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), ALL_DP_SCOPES);

    for header in [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer a b",
        "Token abc",
        "Bearer a,b",
    ] {
        let (status, challenge, body) = parts(app.get_data(Some(header), None).await).await;
        assert_eq!(status, 400, "{header:?}");
        assert_eq!(
            challenge.as_deref(),
            Some(r#"Bearer error="invalid_request""#)
        );
        assert_eq!(body["error"], "invalid_request");
    }
    assert!(hub.state().v2_calls.is_empty());
}

#[tokio::test]
async fn a_year_that_is_not_four_digits_is_refused_before_the_hub_call() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    let response = app
        .get_path("/situations/ir/assiettes/annrev/20x4", Some(BEARER), None)
        .await;
    let (status, _, body) = parts(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert!(hub.state().v2_calls.is_empty());
}

#[tokio::test]
async fn an_inactive_token_is_an_invalid_token() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    let payload = hub.payload(json!({"active": false}));
    hub.reply_signed(&fc_plumbing::Signer::Ec(&hub.keys.ec), &payload);

    let (status, challenge, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer error="invalid_token""#)
    );
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(hub.state().v2_calls.len(), 1);
}

#[tokio::test]
async fn a_token_without_data_scopes_is_insufficient_scope() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), "openid given_name family_name");

    let (status, challenge, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 403);
    assert_eq!(
        challenge.as_deref(),
        Some(&*format!(
            r#"Bearer error="insufficient_scope", scope="{ALL_DP_SCOPES}""#
        ))
    );
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn people_who_collide_or_have_no_record_get_404() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;

    hub.reply_active(
        person("Hélène", "LEFÈVRE", "1975-04-18", "female"),
        ALL_DP_SCOPES,
    );
    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("2 records"),
        "{body}"
    );

    hub.reply_active(
        person("Gaspard", "NOEL", "1999-12-25", "male"),
        ALL_DP_SCOPES,
    );
    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("no record"),
        "{body}"
    );
}

#[tokio::test]
async fn checktoken_v1_works_too() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |c| {
        c.checktoken_version = data_provider_example::CheckTokenVersion::V1;
    })
    .await;
    let answer = json!({
        "scope": ["openid", "profile", "birth", "dgfip_rfr", "dgfip_nbpart"],
        "identity": melaine(),
        "client": {"client_id": SP_CLIENT_ID, "client_name": "Service provider example"},
        "identity_provider_id": "identity-provider-example",
        "identity_provider_host": "localhost:8001",
        "acr": "eidas1"
    });
    hub.reply_v1(Reply::new(200, "application/json", answer.to_string()));

    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"rfr": 42000, "nbPart": 2.5}));
    assert_eq!(hub.state().v1_calls, vec![json!({"token": TOKEN})]);
    assert!(hub.state().v2_calls.is_empty());
    assert_eq!(hub.state().jwks_calls, 0);

    let unknown = json!({"status": "fail", "message": "token_not_found_or_expired"});
    hub.reply_v1(Reply::new(401, "application/json", unknown.to_string()));
    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn home_health_and_unknown_paths_answer_json() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    let (status, _, body) = parts(app.get_path("/health", None, None).await).await;
    assert_eq!((status, &body["status"]), (200, &json!("ok")));
    let (status, _, body) = parts(app.get_path("/", None, None).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "data-provider-example");
    let response = app.get_path("/nowhere", None, None).await;
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let (status, _, body) = parts(response).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn cors_is_open_for_get() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    hub.reply_active(melaine(), "dgfip_rfr");

    // The preflight a browser sends before a GET with `Authorization`.
    for path in [
        "/situations/ir/assiettes/annrev/2024",
        "/api/dgfip",
        "/exchanges/x",
    ] {
        let response = app
            .client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.url))
            .header("Origin", "http://spa.example")
            .header("Access-Control-Request-Method", "GET")
            .header(
                "Access-Control-Request-Headers",
                "authorization,x-correlation-id",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{path}");
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert_eq!(headers["access-control-allow-methods"], "GET, OPTIONS");
        let allowed = headers["access-control-allow-headers"].to_str().unwrap();
        assert!(allowed.contains("Authorization") && allowed.contains("X-Correlation-ID"));
    }
    assert!(
        hub.state().v2_calls.is_empty(),
        "a preflight never calls the hub"
    );

    // The answers themselves, successful or not, may be read cross-origin.
    let ok = app.get_data(Some(BEARER), None).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], "*");
    let denied = app.get_data(None, None).await;
    assert_eq!(denied.status(), 401);
    assert_eq!(denied.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        denied.headers()["access-control-expose-headers"],
        "WWW-Authenticate"
    );

    // Only GET: no other method is offered.
    let post = app
        .client
        .post(format!("{}/api/dgfip", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
}
