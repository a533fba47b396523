//! Starting the SP next to a stub hub, and walking the redirects by hand.

use std::net::TcpListener;

use reqwest::redirect::Policy;
use service_provider_example::{Application, Config};

use crate::stub_hub::StubHub;

pub struct TestApp {
    pub address: String,
    pub config: Config,
    pub client: reqwest::Client,
    pub hub: StubHub,
}

/// A response read whole: status, `Location` and body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

pub async fn spawn_app() -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut config = Config::local();
    let hub = StubHub::start(&config.client_id, &config.client_secret).await;
    config.public_url = address.clone();
    config.hub_url = hub.url.clone();
    config.dp_url = hub.url.clone();
    let app = Application::build(config.clone(), listener).await.unwrap();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        address,
        config,
        client,
        hub,
    }
}

impl TestApp {
    /// GET an absolute URL or a path of the SP.
    pub async fn get(&self, url: &str) -> Page {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.address)
        };
        let response = self.client.get(&url).send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("Location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
    }

    /// POST an empty form to a path of the SP.
    pub async fn post(&self, path: &str) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("Location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
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
        let page = self.get(path).await;
        assert_eq!(page.status, 302, "{page:?}");
        page.location.unwrap()
    }

    /// The whole journey: SP login → stub authorize → SP callback; returns the callback's answer.
    pub async fn login(&self, path: &str) -> Page {
        let authorize = self.start_login(path).await;
        let at_hub = self.get(&authorize).await;
        assert_eq!(at_hub.status, 302, "{at_hub:?}");
        self.get(&at_hub.location.unwrap()).await
    }

    /// Whether the SP considers this browser logged in.
    pub async fn is_logged_in(&self) -> bool {
        let me = self.get("/me").await;
        match me.status {
            200 => true,
            302 => false,
            other => panic!("unexpected /me status {other}"),
        }
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
