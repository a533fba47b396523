//! Test harness: starts the IdP and walks the steps of a code flow.

use std::net::TcpListener;

use fc_plumbing::Jwa;
use identity_provider_example::{Application, Config};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub const CLIENT_ID: &str = "myclientidforfip1-low";
pub const CLIENT_SECRET: &str = "7ae4fef2aab63fb78d777fe657b7536f";
pub const REDIRECT_URI: &str = "http://localhost:8000/api/v2/oidc-callback";
pub const POST_LOGOUT_URI: &str = "http://localhost:8000/api/v2/client/logout-callback";
pub const STATE: &str = "4f1c0d7bd2a5e8b1c6f9a0e3d7b2c5f84f1c0d7bd2a5e8b1c6f9a0e3d7b2c5f8";
pub const NONCE: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9";

/// A fresh folder under the system's temporary one, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir() -> TempDir {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("idp-test-{}-{count}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

pub struct TestIdp {
    pub base: String,
    /// The stores' usage against their budgets.
    pub memory: identity_provider_example::Memory,
    /// Notified at each reload of the users folders.
    pub reload_events:
        tokio::sync::watch::Receiver<identity_provider_example::reload::ReloadStatus>,
    /// A browser: keeps cookies, never follows redirects.
    pub browser: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        // Stopping is asynchronous; the future is not needed to release the port eventually.
        drop(self.handle.stop(false));
    }
}

pub enum ClientAuth {
    Post,
    Basic,
}

pub async fn spawn() -> TestIdp {
    spawn_with(Config::local()).await
}

pub async fn spawn_with_alg(alg: Jwa) -> TestIdp {
    let mut config = Config::local();
    config.id_token_signed_response_alg = alg;
    spawn_with(config).await
}

pub async fn spawn_with(mut config: Config) -> TestIdp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    config.public_url = format!("http://127.0.0.1:{port}");
    let application = Application::build(config, listener).await.unwrap();
    assert_eq!(application.port(), port);
    let handle = application.handle();
    let reload_events = application.reload_events();
    let memory = application.memory();
    tokio::spawn(application.run_until_stopped());
    TestIdp {
        base: format!("http://127.0.0.1:{port}"),
        memory,
        reload_events,
        browser: new_browser(),
        handle,
    }
}

/// The IdP on a manual clock, and the clock's hand.
pub async fn spawn_with_clock(mut config: Config) -> (TestIdp, fc_plumbing::ManualClock) {
    let (clock, hand) = fc_plumbing::Clock::manual();
    config.clock = clock;
    (spawn_with(config).await, hand)
}

pub const ADMIN_TOKEN: &str = "admin-token-of-the-tests-0123456789";

/// The IdP with its admin API on.
pub async fn spawn_with_admin() -> TestIdp {
    let mut config = Config::local();
    config.admin_token = Some(ADMIN_TOKEN.into());
    spawn_with(config).await
}

pub fn new_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The parameters the hub sends, each replaceable (`Some`) or removable (`None`) by `changes`.
pub fn authorize_params(changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", "openid profile email birth"),
        ("state", STATE),
        ("nonce", NONCE),
        ("acr_values", "eidas2"),
        ("prompt", "login"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (name, value) in changes {
        params.retain(|(k, _)| k != name);
        if let Some(value) = value {
            params.push((name.to_string(), value.to_string()));
        }
    }
    params
}

impl TestIdp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.browser.get(self.url(path)).send().await.unwrap()
    }

    pub async fn authorize_with(&self, params: &[(String, String)]) -> Response {
        let url = url::Url::parse_with_params(&self.url("/authorize"), params).unwrap();
        self.browser.get(url).send().await.unwrap()
    }

    /// `GET /authorize` as the hub sends it (with `changes`); returns the login page.
    pub async fn authorize(&self, changes: &[(&str, Option<&str>)]) -> Response {
        self.authorize_with(&authorize_params(changes)).await
    }

    /// The login form of a successful authorize, as HTML.
    pub async fn login_page(&self) -> String {
        let response = self.authorize(&[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    /// Posts the login form of `page` with `fields` added.
    pub async fn post_login(&self, page: &str, fields: &[(&str, &str)]) -> Response {
        let mut form = vec![("pending", hidden(page, "pending"))];
        form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
        self.browser
            .post(self.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, page: &str, login: &str, password: &str, acr: &str) -> Response {
        self.post_login(
            page,
            &[("login", login), ("password", password), ("acr", acr)],
        )
        .await
    }

    /// Authorize + login as 3_melaine choosing `acr`; returns the code.
    pub async fn code_for_melaine(&self, acr: &str) -> String {
        self.code_for("3_melaine", "123", acr).await
    }

    /// Authorize + login as `login` choosing `acr`; returns the code.
    pub async fn code_for(&self, login: &str, password: &str, acr: &str) -> String {
        let page = self.login_page().await;
        let response = self.login(&page, login, password, acr).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let query = redirect_query(&response, REDIRECT_URI);
        assert_eq!(query_value(&query, "state").as_deref(), Some(STATE));
        query_value(&query, "code").unwrap()
    }

    pub async fn token(
        &self,
        code: &str,
        redirect_uri: &str,
        auth: ClientAuth,
        secret: &str,
    ) -> Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        let request = self.browser.post(self.url("/token"));
        let request = match auth {
            ClientAuth::Post => {
                form.push(("client_id", CLIENT_ID));
                form.push(("client_secret", secret));
                request
            }
            ClientAuth::Basic => request.basic_auth(CLIENT_ID, Some(secret)),
        };
        request.form(&form).send().await.unwrap()
    }

    pub async fn token_post(&self, form: &[(&str, &str)]) -> Response {
        self.browser
            .post(self.url("/token"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn userinfo(&self, access_token: &str) -> Response {
        self.browser
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }
}

/// The value of the hidden field `name` of a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    let len = page[start..].find('"').unwrap();
    page[start..start + len].to_owned()
}

/// The query pairs of a redirect's `Location`, which must start with `expected_base?`.
pub fn redirect_query(response: &Response, expected_base: &str) -> Vec<(String, String)> {
    let location = location(response).expect("a Location header");
    assert!(
        location.starts_with(&format!("{expected_base}?")),
        "unexpected redirect {location}"
    );
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn query_value(query: &[(String, String)], name: &str) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

pub fn location(response: &Response) -> Option<String> {
    response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
}

pub fn sets_session_cookie(response: &Response) -> bool {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("idp_session="))
}

pub async fn json(response: Response) -> Value {
    response.json().await.unwrap()
}

/// Asserts an HTML error page with `status`, the `#error-code` hook and no redirect.
pub async fn assert_error_page(response: Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    assert!(
        location(&response).is_none(),
        "an error page never redirects"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("Une erreur s'est produite"), "{body}");
    assert!(
        body.contains(&format!(r#"id="error-code" class="error-code">{code}<"#)),
        "{body}"
    );
}
