//! Starting the SP next to a stub hub (with a clock the test moves), and walking the redirects
//! by hand, as one browser or several.

use std::net::TcpListener;

use fc_plumbing::{Clock, ManualClock};
use reqwest::redirect::Policy;
use service_provider_example::{Application, Config, Stores};

use crate::stub_hub::StubHub;

pub struct TestApp {
    pub address: String,
    pub config: Config,
    /// The first browser (one cookie jar).
    pub client: reqwest::Client,
    pub hub: StubHub,
    /// A stub FranceConnect+, encrypting to the SP's published keys.
    pub plus: StubHub,
    /// The SP's clock.
    pub clock: ManualClock,
    pub stores: Stores,
}

/// A response read whole: status, `Location`, cookies set (`name=value`) and body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The `name=value` of the cookie `name` this response sets.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The SP with its configuration changed by `tweak` (URLs are set after it).
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut config = Config::local();
    tweak(&mut config);
    let hub = StubHub::start(&config.client_id, config.client_secret.expose()).await;
    let jwks_uri = format!("{address}/.well-known/jwks.json");
    let plus = StubHub::start_plus(
        &config.plus_client_id,
        config.plus_client_secret.expose(),
        &jwks_uri,
    )
    .await;
    config.public_url = address.clone();
    config.hub_url = hub.url.clone();
    config.hub_plus_url = plus.url.clone();
    config.dp_url = hub.url.clone();
    let (clock, hand) = Clock::manual();
    let app = Application::build_with_clock(config.clone(), listener, clock)
        .await
        .unwrap();
    let stores = app.stores();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        config,
        client: browser(),
        hub,
        plus,
        clock: hand,
        stores,
    }
}

/// A new browser: its own cookie jar, redirects walked by hand.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn read(response: reqwest::Response) -> Page {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("Location")
        .map(|v| v.to_str().unwrap().to_owned());
    let cookies = response
        .headers()
        .get_all("Set-Cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let body = response.text().await.unwrap();
    Page {
        status,
        location,
        cookies,
        body,
    }
}

impl TestApp {
    fn url(&self, url: &str) -> String {
        if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.address)
        }
    }

    /// GET an absolute URL or a path of the SP, as the first browser.
    pub async fn get(&self, url: &str) -> Page {
        self.get_as(&self.client, url).await
    }

    /// GET an absolute URL or a path of the SP, as `browser`.
    pub async fn get_as(&self, browser: &reqwest::Client, url: &str) -> Page {
        read(browser.get(self.url(url)).send().await.unwrap()).await
    }

    /// POST an empty form to a path of the SP.
    pub async fn post(&self, path: &str) -> Page {
        read(self.client.post(self.url(path)).send().await.unwrap()).await
    }

    /// The options form submitted: the preview page, and the authorize URL it shows.
    pub async fn preview(&self, query: &str) -> (Page, String) {
        let page = self.get(&format!("/options/preview?{query}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let url = element_text(&page.body, "authorize-url");
        (page, url)
    }

    /// `/login` (or `/data/login`) → the hub's authorize URL.
    pub async fn start_login(&self, path: &str) -> String {
        self.start_login_as(&self.client, path).await
    }

    pub async fn start_login_as(&self, browser: &reqwest::Client, path: &str) -> String {
        let page = self.get_as(browser, path).await;
        assert_eq!(page.status, 302, "{page:?}");
        page.location.unwrap()
    }

    /// SP login → stub authorize: the callback URL the hub sends the browser to.
    pub async fn callback_url_as(&self, browser: &reqwest::Client, path: &str) -> String {
        let authorize = self.start_login_as(browser, path).await;
        let at_hub = self.get_as(browser, &authorize).await;
        assert_eq!(at_hub.status, 302, "{at_hub:?}");
        at_hub.location.unwrap()
    }

    /// The whole journey: SP login → stub authorize → SP callback; returns the callback's answer.
    pub async fn login(&self, path: &str) -> Page {
        self.login_as(&self.client, path).await
    }

    pub async fn login_as(&self, browser: &reqwest::Client, path: &str) -> Page {
        let callback = self.callback_url_as(browser, path).await;
        self.get_as(browser, &callback).await
    }

    /// Whether the SP considers this browser logged in.
    pub async fn is_logged_in(&self) -> bool {
        self.is_logged_in_as(&self.client).await
    }

    pub async fn is_logged_in_as(&self, browser: &reqwest::Client) -> bool {
        let me = self.get_as(browser, "/me").await;
        match me.status {
            200 => true,
            302 => false,
            other => panic!("unexpected /me status {other}"),
        }
    }

    /// The steps of this browser's journal, oldest first.
    pub async fn journal_steps(&self) -> Vec<String> {
        self.journal_steps_as(&self.client).await
    }

    pub async fn journal_steps_as(&self, browser: &reqwest::Client) -> Vec<String> {
        let entries: serde_json::Value =
            serde_json::from_str(&self.get_as(browser, "/journal.json").await.body).unwrap();
        entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["step"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Asserts that `steps` contains, in this order (others may come between), a step containing each
/// of `expected`.
pub fn assert_in_order(steps: &[String], expected: &[&str]) {
    let mut rest = steps.iter();
    for wanted in expected {
        assert!(
            rest.any(|step| step.contains(wanted)),
            "no {wanted:?} in order in {steps:#?}"
        );
    }
}

/// The text of the element with `id` (up to its first closing tag), entities decoded.
pub fn element_text(body: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let open_end = start + body[start..].find('>').unwrap() + 1;
    let close = open_end + body[open_end..].find("</").unwrap();
    fc_plumbing::testing::unescape(&body[open_end..close])
}
