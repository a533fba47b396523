//! The whole FranceConnect journey (README, "The journey") across the four real programs, over real sockets,
//! with a cookie-keeping client that follows forms and redirects the way a browser does and
//! checks every hop: login, identity, data with consent, journal, logout, and a new login that
//! shows the mire again.

// Helper functions of an integration-test binary are not covered by clippy's test exemption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fc_demo::{Options, Ports, launch};
use fc_plumbing::testing::{Browser, Page, set};

struct Urls {
    hub: String,
    sp: String,
    idp: String,
}

/// The demo on free ports.
fn any_ports() -> Options {
    Options {
        ports: Ports {
            hub: 0,
            sp: 0,
            idp: 0,
            dp: 0,
        },
        ..Options::default()
    }
}

async fn start() -> (Urls, Vec<actix_web::dev::ServerHandle>) {
    let demo = launch(&any_ports()).await.expect("the four programs start");
    let urls = Urls {
        hub: demo.hub_url.clone(),
        sp: demo.sp_url.clone(),
        idp: demo.idp_url.clone(),
    };
    (urls, demo.spawn())
}

fn hop_urls(page: &Page) -> Vec<String> {
    page.hops
        .iter()
        .map(|h| h.url.split('?').next().unwrap_or_default().to_owned())
        .collect()
}

/// SP home → mire → IdP form → consent page, as 3_melaine.
async fn log_in_until_consent(browser: &Browser, urls: &Urls) -> Page {
    let home = browser.open(&format!("{}/", urls.sp)).await;
    home.assert_contains("id=\"fc-login\"");

    let mire = browser.open(&format!("{}/login", urls.sp)).await;
    let hops = hop_urls(&mire);
    assert_eq!(
        hops[1],
        format!("{}/api/v2/authorize", urls.hub),
        "{hops:?}"
    );
    let authorize = reqwest::Url::parse(&mire.hops[1].url).unwrap();
    let mut names: Vec<String> = authorize
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "acr_values",
            "client_id",
            "nonce",
            "redirect_uri",
            "response_type",
            "scope",
            "state"
        ]
    );
    assert!(
        mire.url
            .starts_with(&format!("{}/api/v2/interaction/", urls.hub)),
        "{}",
        mire.url
    );
    assert_eq!(mire.status, 200);
    mire.assert_contains("data-testid=\"idp-impots-gouv\"");

    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login_form = browser.submit(&action, &fields).await;
    assert!(
        login_form
            .url
            .starts_with(&format!("{}/authorize", urls.idp)),
        "{}",
        login_form.url
    );
    let (action, mut fields) = login_form.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    set(&mut fields, "acr", "eidas1");
    let consent = browser.submit(&action, &fields).await;
    let hops = hop_urls(&consent);
    assert!(
        hops.contains(&format!("{}/api/v2/oidc-callback", urls.hub)),
        "{hops:?}"
    );
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    consent
}

#[tokio::test]
async fn the_whole_journey_login_identity_data_logout() {
    let (urls, handles) = start().await;
    let browser = Browser::new();

    // 1. Login and identity.
    let consent = log_in_until_consent(&browser, &urls).await;
    assert_eq!(
        consent.element_text("identity-name"),
        "Mélaine Évelyne TROIS"
    );
    let (action, fields) = consent.form("id=\"consent-form\"");
    let me = browser.submit(&action, &fields).await;
    let hops = hop_urls(&me);
    assert!(
        hops.contains(&format!("{}/oidc-callback", urls.sp)),
        "{hops:?}"
    );
    let callback = me
        .hops
        .iter()
        .find(|h| h.url.starts_with(&format!("{}/oidc-callback", urls.sp)))
        .unwrap();
    let callback = reqwest::Url::parse(&callback.url).unwrap();
    let iss = callback
        .query_pairs()
        .find(|(k, _)| k == "iss")
        .map(|(_, v)| v.into_owned());
    assert_eq!(iss, Some(format!("{}/api/v2", urls.hub)));
    assert_eq!(me.status, 200, "{}", me.body);
    let userinfo: serde_json::Value =
        serde_json::from_str(&me.element_text("userinfo-json")).unwrap();
    assert_eq!(userinfo["given_name"], "Mélaine Évelyne");
    assert_eq!(userinfo["family_name"], "TROIS");
    assert_eq!(userinfo["birthdate"], "1981-07-27");
    let sub = userinfo["sub"].as_str().unwrap().to_owned();
    assert_eq!(sub.len(), 66);
    assert!(sub.ends_with("v1"));
    let id_token: serde_json::Value =
        serde_json::from_str(&me.element_text("id-token-payload")).unwrap();
    assert_eq!(id_token["sub"], sub.as_str());
    assert_eq!(id_token["acr"], "eidas1");
    assert_eq!(id_token["iss"], format!("{}/api/v2", urls.hub));

    // 2. Data: SSO (no mire, no IdP), consent for the DGFiP data, then the DP's answer.
    let consent = browser.open(&format!("{}/data/login", urls.sp)).await;
    let hops = hop_urls(&consent);
    assert!(
        !hops.iter().any(|h| h.starts_with(&urls.idp)),
        "SSO must skip the IdP: {hops:?}"
    );
    assert!(
        consent.url.ends_with("/consent"),
        "SSO goes straight to consent: {}",
        consent.url
    );
    consent.assert_contains("Direction générale des Finances publiques");
    consent.assert_contains("name=\"consent\"");
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let data = browser.submit(&action, &fields).await;
    assert!(
        data.url.starts_with(&format!("{}/data", urls.sp)),
        "{}",
        data.url
    );
    let json: serde_json::Value = serde_json::from_str(&data.element_text("data-json")).unwrap();
    assert_eq!(json["rfr"], 42000, "{json}");
    assert_eq!(json["sitFam"], "M", "{json}");

    // 3. The journal shows the exchanges.
    let journal = browser.open(&format!("{}/journal", urls.sp)).await;
    journal.assert_contains("id=\"exchanges\"");
    let text = fc_plumbing::testing::unescape(&journal.body);
    assert!(
        text.contains(&format!("{}/api/v2/token", urls.hub)),
        "the journal shows the token call"
    );
    assert!(
        text.contains(&format!("{}/api/v2/checktoken", urls.hub)),
        "the journal shows the DP's checktoken call"
    );
    assert!(
        !text.contains("a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5"),
        "client secret must be masked"
    );

    // 4. Logout: SP → hub → IdP → hub → SP.
    let out = browser.open(&format!("{}/logout", urls.sp)).await;
    let hops = hop_urls(&out);
    assert_eq!(
        hops[1],
        format!("{}/api/v2/session/end", urls.hub),
        "{hops:?}"
    );
    assert_eq!(hops[2], format!("{}/session/end", urls.idp), "{hops:?}");
    assert_eq!(
        hops[3],
        format!("{}/api/v2/client/logout-callback", urls.hub),
        "{hops:?}"
    );
    assert_eq!(hops[4], format!("{}/logout-callback", urls.sp), "{hops:?}");
    assert_eq!(out.status, 200);

    // 5. Logged out everywhere: a new login shows the mire again, and the IdP asks again.
    let mire = browser.open(&format!("{}/login", urls.sp)).await;
    assert!(
        mire.url.contains("/api/v2/interaction/") && !mire.url.ends_with("/consent"),
        "{}",
        mire.url
    );
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login_form = browser.submit(&action, &fields).await;
    login_form.assert_contains("id=\"login-form\"");

    for h in handles {
        h.stop(false).await;
    }
}

#[tokio::test]
async fn two_browsers_get_their_own_identity() {
    let (urls, handles) = start().await;
    let (a, b) = (Browser::new(), Browser::new());
    let consent_a = log_in_until_consent(&a, &urls).await;
    // The second browser has its own cookie jar: no SSO for it.
    let mire_b = b.open(&format!("{}/login", urls.sp)).await;
    assert!(!mire_b.url.ends_with("/consent"), "{}", mire_b.url);
    let (action, fields) = consent_a.form("id=\"consent-form\"");
    let me = a.submit(&action, &fields).await;
    me.assert_contains("TROIS");
    for h in handles {
        h.stop(false).await;
    }
}

/// `cargo run` turns the hub's control API on with a generated token (printed with the URLs),
/// or with the one given.
#[tokio::test]
async fn the_hub_control_api_is_on_with_a_generated_or_given_token() {
    let options = any_ports();
    let (first, second) = (
        launch(&options).await.unwrap(),
        launch(&options).await.unwrap(),
    );
    assert_ne!(
        first.hub_admin_token, second.hub_admin_token,
        "a fresh token each start"
    );
    assert!(first.hub_admin_token.expose().len() >= 16);
    let config = format!("{}/admin/api/config", first.hub_url);
    let token = first.hub_admin_token.clone();
    let handles: Vec<_> = first.spawn().into_iter().chain(second.spawn()).collect();
    let client = reqwest::Client::new();
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(client.get(&config).send().await.unwrap()), 401);
    let answer = client
        .get(&config)
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let given = fc_plumbing::Secret::new("a-token-given-by-the-developer");
    let demo = launch(&Options {
        hub_admin_token: Some(given.clone()),
        ..options
    })
    .await
    .unwrap();
    assert_eq!(demo.hub_admin_token, given);
    let config = format!("{}/admin/api/config", demo.hub_url);
    let handles: Vec<_> = handles.into_iter().chain(demo.spawn()).collect();
    let answer = client
        .get(&config)
        .bearer_auth(given.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    for h in handles {
        h.stop(false).await;
    }
}
