//! A hub restarted without a keys folder comes back with new signing keys under new `kid`s
//! (`docs/keys.md`): the SP and the DP, still running, must pick them up at their next check
//! (one JWKS refetch on an unknown key) — no restart of theirs — and a user logged in before the
//! restart must still be able to log out (the hub ends the session on an ID token hint signed
//! with a key it no longer has, `docs/hub.md`, "Logout"). The same for FranceConnect+, through
//! which the example SP logs in with tokens encrypted to its own keys.

// Helper functions of an integration-test binary are not covered by clippy's test exemption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use fc_demo::{Demo, Options, launch};
use fc_plumbing::testing::{Browser, Page, set};
use serde_json::Value;

/// The demo on free ports.
async fn start() -> Demo {
    launch(&Options::on_free_ports())
        .await
        .expect("the programs start")
}

/// The `kid`s the hub at `url` publishes.
async fn kids(url: &str) -> BTreeSet<String> {
    let jwks: Value = reqwest::get(format!("{url}/api/v2/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Stops the hub behind `handle` and starts `instance` again on the same port with the same
/// configuration — no keys folder, so new keys. Returns the new hub's handle.
async fn restart_hub(demo_config: hub::Config, handle: &ServerHandle, url: &str) -> ServerHandle {
    let old_kids = kids(url).await;
    handle.stop(false).await;
    let port = reqwest::Url::parse(url).unwrap().port().unwrap();
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("the hub's port is free again");
    let hub = hub::Application::build(demo_config, listener)
        .await
        .expect("the hub starts again");
    let handle = hub.handle();
    tokio::spawn(hub.run_until_stopped());
    let new_kids = kids(url).await;
    assert!(
        old_kids.is_disjoint(&new_kids),
        "new keys, new kids: {old_kids:?} then {new_kids:?}"
    );
    handle
}

/// `path` of the SP (a login button) → mire → IdP as 3_melaine → consent (or straight to the
/// consent page under SSO) → accepted (the data login's box ticked): the page the SP ends on.
async fn log_in(browser: &Browser, sp: &str, path: &str, idp: &str) -> Page {
    let mut page = browser.open(&format!("{sp}{path}")).await;
    if !page.url.ends_with("/consent") {
        let (action, fields) = page.form("data-testid=\"idp-identity-provider-example\"");
        let login_form = browser.submit(&action, &fields).await;
        assert!(login_form.url.starts_with(idp), "{}", login_form.url);
        let (action, mut fields) = login_form.form("id=\"login-form\"");
        set(&mut fields, "login", "3_melaine");
        set(&mut fields, "password", "123");
        page = browser.submit(&action, &fields).await;
    }
    assert!(
        page.url.ends_with("/consent"),
        "{}\n{}",
        page.url,
        page.body
    );
    let (action, mut fields) = page.form("id=\"consent-form\"");
    if path.starts_with("/data") {
        set(&mut fields, "consent", "yes");
    }
    let back = browser.submit(&action, &fields).await;
    assert!(back.url.starts_with(sp), "{}", back.url);
    assert_eq!(back.status, 200, "{}\n{}", back.url, back.body);
    back
}

/// Logs `browser` in at the SP through FranceConnect, then fetches the DGFiP data.
async fn log_in_and_get_data(browser: &Browser, demo: &Urls) {
    let me = log_in(browser, &demo.sp, "/login", &demo.idp).await;
    let userinfo: Value = serde_json::from_str(&me.element_text("userinfo-json")).unwrap();
    assert_eq!(userinfo["family_name"], "TROIS");
    let data = log_in(browser, &demo.sp, "/data/login", &demo.idp).await;
    let json: Value = serde_json::from_str(&data.element_text("data-json")).unwrap();
    assert_eq!(json["rfr"], 42000, "{json}");
}

/// Logs `browser` out at the SP: back on the SP, logged out.
async fn log_out(browser: &Browser, sp: &str) {
    let out = browser.open(&format!("{sp}/logout")).await;
    assert!(
        out.hops
            .iter()
            .any(|h| h.url.contains("/api/v2/session/end")),
        "through the hub: {:?}",
        out.hops
    );
    assert!(out.url.starts_with(sp), "back on the SP: {}", out.url);
    assert_eq!(out.status, 200, "{}\n{}", out.url, out.body);
    let me = browser.open(&format!("{sp}/me")).await;
    assert!(
        !me.body.contains("id=\"userinfo-json\""),
        "still logged in: {}",
        me.url
    );
}

struct Urls {
    hub: String,
    hub_plus: String,
    sp: String,
    idp: String,
}

fn urls(demo: &Demo) -> Urls {
    Urls {
        hub: demo.hub_url.clone(),
        hub_plus: demo.hub_plus_url.clone(),
        sp: demo.sp_url.clone(),
        idp: demo.idp_url.clone(),
    }
}

#[tokio::test]
async fn sp_and_dp_take_the_new_keys_of_a_restarted_hub_and_earlier_users_can_log_out() {
    let demo = start().await;
    let urls = urls(&demo);
    let config = demo.hub_config(hub::Instance::FranceConnect).unwrap();
    let mut handles = demo.spawn();
    let before = Browser::new();
    log_in_and_get_data(&before, &urls).await;

    // handles: SP, hub, FranceConnect+, IdP, DP.
    handles[1] = restart_hub(config, &handles[1], &urls.hub).await;

    // A new user: the SP verifies an ID token under a kid it never saw, the DP a checktoken
    // answer under one — each fetches the hub's keys again, nobody restarts.
    let after = Browser::new();
    log_in_and_get_data(&after, &urls).await;
    // The user of before the restart: the hub lost their session and the key of their ID token,
    // and still lets them out.
    log_out(&before, &urls.sp).await;
    log_out(&after, &urls.sp).await;
    for h in handles {
        h.stop(false).await;
    }
}

#[tokio::test]
async fn the_example_sp_logs_in_through_franceconnect_plus_before_and_after_its_restart() {
    let demo = start().await;
    let urls = urls(&demo);
    let config = demo.hub_config(hub::Instance::FranceConnectPlus).unwrap();
    let mut handles = demo.spawn();
    let plus_login = "/login?hub=franceconnect-plus";
    let before = Browser::new();
    let mire = before.open(&format!("{}{plus_login}", urls.sp)).await;
    assert!(mire.url.starts_with(&urls.hub_plus), "{}", mire.url);
    let me = log_in(&before, &urls.sp, plus_login, &urls.idp).await;
    let id_token: Value = serde_json::from_str(&me.element_text("id-token-payload")).unwrap();
    assert_eq!(id_token["iss"], format!("{}/api/v2", urls.hub_plus));
    assert_eq!(id_token["acr"], "eidas2");
    let journal = before.open(&format!("{}/journal.json", urls.sp)).await;
    let journal: Value = serde_json::from_str(&journal.body).unwrap();
    let encrypted: Vec<&Value> = journal
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["jwts"].as_array().unwrap())
        .filter(|j| j["encrypted"] == true)
        .collect();
    assert!(
        encrypted.len() >= 2,
        "ID token and userinfo came as JWEs: {journal}"
    );
    for jwe in encrypted {
        let header: Value = serde_json::from_str(jwe["header"].as_str().unwrap()).unwrap();
        assert_eq!(header["alg"], "ECDH-ES", "{header}");
        assert!(jwe["signature"].as_str().unwrap().starts_with("Déchiffré"));
    }

    handles[2] = restart_hub(config, &handles[2], &urls.hub_plus).await;

    let after = Browser::new();
    let me = log_in(&after, &urls.sp, plus_login, &urls.idp).await;
    me.assert_contains("id=\"userinfo-json\"");
    log_out(&before, &urls.sp).await;
    log_out(&after, &urls.sp).await;
    assert_ne!(urls.hub, urls.hub_plus);
    for h in handles {
        h.stop(false).await;
    }
}
