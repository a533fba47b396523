//! The stub hub and the test application.

use std::net::TcpListener;
use std::sync::{Mutex, MutexGuard};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use data_provider_example::config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use data_provider_example::{Application, Config};
use fc_plumbing::jose::{EcKey, KeySet, Signer, sign_jwt};
use serde_json::{Value, json};

pub const SP_CLIENT_ID: &str = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950";
pub const ALL_DP_SCOPES: &str =
    "dgfip_rfr dgfip_nbpart dgfip_sitfam dgfip_pac dgfip_aft cnam_paiements_ij";

/// A canned HTTP answer.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: content_type.to_owned(),
            body: body.into(),
        }
    }
}

/// What the stub hub serves and what it saw.
pub struct StubState {
    pub jwks: Value,
    pub v2_reply: Reply,
    pub v1_reply: Reply,
    pub jwks_calls: usize,
    /// The JWKS endpoint answers 503 (the hub's keys cannot be fetched).
    pub jwks_down: bool,
    pub health_calls: usize,
    pub v2_calls: Vec<Vec<(String, String)>>,
    pub v1_calls: Vec<Value>,
}

pub struct StubHub {
    pub url: String,
    /// The `iss` the stub signs with (the DP's configured public hub URL + `/api/v2`).
    pub issuer: String,
    pub keys: KeySet,
    state: web::Data<Mutex<StubState>>,
    handle: ServerHandle,
}

async fn jwks_get(state: web::Data<Mutex<StubState>>) -> HttpResponse {
    let mut state = state.lock().unwrap();
    state.jwks_calls += 1;
    if state.jwks_down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::Ok().json(state.jwks.clone())
}

async fn health_get(state: web::Data<Mutex<StubState>>) -> HttpResponse {
    state.lock().unwrap().health_calls += 1;
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn checktoken_v2_post(state: web::Data<Mutex<StubState>>, body: web::Bytes) -> HttpResponse {
    let mut state = state.lock().unwrap();
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    state.v2_calls.push(form);
    reply(&state.v2_reply)
}

async fn checktoken_v1_post(state: web::Data<Mutex<StubState>>, body: web::Bytes) -> HttpResponse {
    let mut state = state.lock().unwrap();
    state
        .v1_calls
        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
    reply(&state.v1_reply)
}

fn reply(reply: &Reply) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.status).unwrap())
        .content_type(reply.content_type.as_str())
        .body(reply.body.clone())
}

impl StubHub {
    /// A stub hub whose issuer is its own URL + `/api/v2`.
    pub async fn start() -> Self {
        Self::start_with_public_url(None).await
    }

    /// A stub hub known to the DP as `public_url` (reached through `hub_internal_url`).
    pub async fn start_with_public_url(public_url: Option<&str>) -> Self {
        let keys = KeySet::generate("stub-hub").unwrap();
        let state = web::Data::new(Mutex::new(StubState {
            jwks: keys.jwks(),
            v2_reply: Reply::new(500, "text/plain", "no reply configured"),
            v1_reply: Reply::new(500, "text/plain", "no reply configured"),
            jwks_calls: 0,
            jwks_down: false,
            health_calls: 0,
            v2_calls: Vec::new(),
            v1_calls: Vec::new(),
        }));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let data = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/api/v2/jwks", web::get().to(jwks_get))
                .route("/health", web::get().to(health_get))
                .route("/api/v2/checktoken", web::post().to(checktoken_v2_post))
                .route("/api/v1/checktoken", web::post().to(checktoken_v1_post))
        })
        .workers(1)
        // A connection per request: once stopped, the stub is unreachable at once (no kept-alive
        // connection still answering).
        .keep_alive(actix_web::http::KeepAlive::Disabled)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        let issuer = format!("{}/api/v2", public_url.unwrap_or(&url));
        Self {
            url,
            issuer,
            keys,
            state,
            handle,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, StubState> {
        self.state.lock().unwrap()
    }

    /// A checktoken payload as the hub builds it, issued now.
    pub fn payload(&self, introspection: Value) -> Value {
        json!({
            "iss": self.issuer,
            "aud": DEFAULT_CLIENT_ID,
            "iat": chrono::Utc::now().timestamp(),
            "token_introspection": introspection,
        })
    }

    /// Answers the next v2 checktoken calls with `payload` signed by `signer`.
    pub fn reply_signed(&self, signer: &Signer<'_>, payload: &Value) {
        let jws = sign_jwt(signer, payload).unwrap();
        self.state().v2_reply = Reply::new(200, "application/token-introspection+jwt", jws);
    }

    /// Answers the next v2 checktoken calls: an active token for `identity` with `scope`.
    pub fn reply_active(&self, identity: Value, scope: &str) {
        let payload = self.payload(introspection(identity, scope));
        self.reply_signed(&Signer::Ec(&self.keys.ec), &payload);
    }

    pub fn reply_v2_raw(&self, reply: Reply) {
        self.state().v2_reply = reply;
    }

    pub fn reply_v1(&self, reply: Reply) {
        self.state().v1_reply = reply;
    }

    /// Publishes new keys (key rotation) and returns them.
    pub fn rotate_keys(&self, prefix: &str) -> EcKey {
        let key = EcKey::generate(format!("{prefix}:ES256"));
        self.state().jwks = json!({ "keys": [key.public_jwk()] });
        key
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// The identité pivot of `3_melaine`, as the hub sends it.
pub fn melaine() -> Value {
    json!({
        "given_name": "Mélaine Évelyne",
        "given_name_array": ["Mélaine", "Évelyne"],
        "family_name": "TROIS",
        "birthdate": "1981-07-27",
        "gender": "female",
        "birthplace": "95277",
        "birthcountry": "99100",
    })
}

pub fn person(given: &str, family: &str, birthdate: &str, gender: &str) -> Value {
    json!({
        "given_name": given, "family_name": family, "birthdate": birthdate, "gender": gender,
        "birthplace": "59350", "birthcountry": "99100",
    })
}

/// A `token_introspection` object for an active token.
pub fn introspection(identity: Value, scope: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut out = json!({
        "active": true,
        "aud": SP_CLIENT_ID,
        "sub": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855v1",
        "iat": now,
        "exp": now + 60,
        "acr": "eidas1",
        "jti": "jti-1",
        "scope": scope,
    });
    for (k, v) in identity.as_object().unwrap() {
        out[k] = v.clone();
    }
    out
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    /// The DP's shared state (journal, health, records).
    pub state: actix_web::web::Data<data_provider_example::routes::AppState>,
}

pub const ADMIN_TOKEN: &str = "admin-token-of-the-dp-tests-0123456789";

impl TestApp {
    /// The DP in front of `hub`, with `customize` applied to the local configuration.
    pub async fn spawn(hub: &StubHub, customize: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::local();
        config.hub_url = hub.url.clone();
        config.hub_timeout_secs = 5;
        // The stub answers signed JWSs unless a test pins encryption (tests/api/encryption.rs).
        config.checktoken_encryption_alg = data_provider_example::CheckTokenEncryption::None;
        customize(&mut config);
        Self::spawn_with(config).await
    }

    pub async fn spawn_with(config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let app = Application::build(config, listener).await.unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { url, client, state }
    }

    /// `GET /situations/ir/assiettes/annrev/2024` with `Authorization: {authorization}`.
    pub async fn get_data(
        &self,
        authorization: Option<&str>,
        correlation_id: Option<&str>,
    ) -> reqwest::Response {
        self.get_path(
            "/situations/ir/assiettes/annrev/2024",
            authorization,
            correlation_id,
        )
        .await
    }

    pub async fn get_path(
        &self,
        path: &str,
        authorization: Option<&str>,
        correlation_id: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.url));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        if let Some(id) = correlation_id {
            request = request.header("X-Correlation-ID", id);
        }
        request.send().await.unwrap()
    }
}

/// Status, `WWW-Authenticate` and JSON body of a response.
/// `GET /exchanges/{id}`: status and the journal of the call with that correlation id.
pub async fn exchanges(app: &TestApp, id: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/exchanges/{id}", app.url))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

pub async fn parts(response: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap();
    (status, challenge, body)
}

pub const BEARER: &str = "Bearer an-access-token-of-the-sp-0123456789abcdef";
pub const TOKEN: &str = "an-access-token-of-the-sp-0123456789abcdef";
pub const SECRET: &str = DEFAULT_CLIENT_SECRET;
