//! The walker against the in-process demo: an authorization request of the example service
//! provider's registration ends on its redirect_uri with a code, without anything listening
//! there; the code is redeemed by hand, and the end-session request with the ID token ends on
//! the post-logout redirect URI after the identity provider's logout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fc_demo::{Options, launch};
use fc_interop_browser::{Person, Walker};

const CLIENT_ID: &str = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950";
const CLIENT_SECRET: &str = "a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5";

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_then_a_logout_end_on_the_client_urls() {
    let options = Options::on_free_ports();
    let demo = launch(&options).await.unwrap();
    let (hub, sp) = (demo.hub_url.clone(), demo.sp_url.clone());
    let _handles = demo.spawn();
    let redirect_uri = format!("{sp}/oidc-callback");
    let post_logout = format!("{sp}/logout-callback");
    let person = Person {
        idp: "identity-provider-example".into(),
        login: "3_melaine".into(),
        password: "123".into(),
    };
    let walker = Walker::new(
        person,
        &[redirect_uri.clone(), post_logout.clone()],
        None,
        Duration::from_secs(10),
    )
    .unwrap();

    let authorize = url::Url::parse_with_params(
        &format!("{hub}/api/v2/authorize"),
        &[
            ("client_id", CLIENT_ID),
            ("redirect_uri", &redirect_uri),
            ("response_type", "code"),
            ("scope", "openid family_name"),
            ("acr_values", "eidas1"),
            ("state", "state-of-the-walk"),
            ("nonce", "nonce-of-the-walk-0123456789"),
        ],
    )
    .unwrap();
    let callback = walker.walk(authorize.as_str()).await.unwrap();
    assert!(callback.as_str().starts_with(&redirect_uri), "{callback}");
    assert_eq!(
        query(&callback, "state").as_deref(),
        Some("state-of-the-walk")
    );
    let code = query(&callback, "code").expect("a code");

    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{hub}/api/v2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().expect("an ID token");

    let end_session = url::Url::parse_with_params(
        &format!("{hub}/api/v2/session/end"),
        &[
            ("id_token_hint", id_token),
            ("state", "logout-state"),
            ("post_logout_redirect_uri", &post_logout),
        ],
    )
    .unwrap();
    let back = walker.walk(end_session.as_str()).await.unwrap();
    assert!(back.as_str().starts_with(&post_logout), "{back}");
    assert_eq!(query(&back, "state").as_deref(), Some("logout-state"));

    // A page the walker does not know is an error that shows the page's text.
    let error = walker
        .walk(&format!("{hub}/api/v2/authorize?client_id=unknown"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("HTTP 400") && error.contains("Y04EA6EF"),
        "{error}"
    );
}
