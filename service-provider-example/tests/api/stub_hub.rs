//! A stub FranceConnect hub (and data provider) for the tests: discovery, JWKS, authorize, token,
//! userinfo, end-session, plus the data provider's resource and exchanges, and the v1 surface
//! (`/api/v1/authorize|token|userinfo|logout`: HS256 ID token with the hub URL as issuer, plain
//! JSON userinfo). Each test can make it hostile (wrong nonce, iss, aud, signature, expiry,
//! algorithm, unknown key, keys unavailable…) through [`Behaviour`]. Its keys are ES256 only (no
//! RSA key to generate: tests start fast).
//!
//! Started with [`StubHub::start_plus`], it plays FranceConnect+: the ID token and the userinfo
//! answer are encrypted (ECDH-ES, A256GCM) to the keys the SP publishes at its `jwks_uri`, and
//! can come encrypted with another algorithm, to another key, altered, or in clear.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use fc_plumbing::jose::{EcKey, Signer, sign_jwt};
use fc_plumbing::jwe::{ContentEnc, DecryptionKeys, Encrypter, EncryptionJwk, KeyAlg};
use serde_json::{Value, json};

pub const SUB: &str = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1";

/// How the stub misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    pub wrong_nonce: bool,
    pub wrong_iss: bool,
    pub wrong_aud: bool,
    /// Sign the ID token with a key that is not in the JWKS (same `kid`).
    pub bad_signature: bool,
    pub expired: bool,
    /// The userinfo JWT names another `sub` than the ID token.
    pub userinfo_other_sub: bool,
    /// `/authorize` answers with this error and description.
    pub authorize_error: Option<(String, String)>,
    /// The ID token is signed HS256 with the SP's client secret (algorithm confusion).
    pub hs256_id_token: bool,
    /// The userinfo JWT is signed HS256 with the SP's client secret.
    pub hs256_userinfo: bool,
    /// The ID token is signed with a key whose `kid` the JWKS never lists.
    pub unknown_kid: bool,
    /// The JWKS endpoint answers 503.
    pub jwks_down: bool,
    /// The `acr` of the ID token, instead of the level asked.
    pub acr: Option<String>,
    /// FranceConnect+: encrypt with this algorithm (to the SP's key for it) instead of ECDH-ES.
    pub jwe_alg: Option<KeyAlg>,
    /// FranceConnect+: encrypt to a key that is not the SP's.
    pub jwe_foreign_key: bool,
    /// FranceConnect+: alter one character of the ciphertext.
    pub jwe_tampered: bool,
    /// FranceConnect+: send the signed tokens in clear (a downgrade).
    pub jwe_clear: bool,
    /// FranceConnect+: the `jwe_*` behaviours above spoil the userinfo answer only (the ID
    /// token comes as it should).
    pub jwe_userinfo_only: bool,
}

/// The v1 HS256 key when the stub signs with a secret that is not the SP's.
const WRONG_SECRET: &str = "not-the-client-secret-of-the-sp-at-all";

pub struct StubState {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    keys: Mutex<EcKey>,
    /// Same `kid` as `keys`, another key: a bad signature.
    foreign_key: EcKey,
    /// A `kid` the JWKS never lists.
    stranger_key: EcKey,
    /// code → (nonce, acr) of the authorize request.
    codes: Mutex<HashMap<String, (String, String)>>,
    /// FranceConnect+: where the SP publishes its encryption keys.
    pub sp_jwks_uri: Option<String>,
    access_tokens: Mutex<Vec<String>>,
    pub token_calls: AtomicUsize,
    pub jwks_calls: AtomicUsize,
    pub discovery_calls: AtomicUsize,
    /// The form of the last token request.
    pub last_token_form: Mutex<HashMap<String, String>>,
    /// The path of every authorize request received, in order.
    pub authorize_paths: Mutex<Vec<String>>,
    pub behaviour: Mutex<Behaviour>,
    /// What the stub data provider reports as its own check of the checktoken answer (`jws`);
    /// `null` (an older data provider) by default.
    pub dp_jws_verdict: Mutex<Value>,
}

pub struct StubHub {
    pub url: String,
    pub state: Arc<StubState>,
    handle: ServerHandle,
}

impl StubHub {
    pub async fn start(client_id: &str, client_secret: &str) -> StubHub {
        Self::start_with(client_id, client_secret, None).await
    }

    /// A stub FranceConnect+: tokens encrypted to the keys the SP publishes at `sp_jwks_uri`.
    pub async fn start_plus(client_id: &str, client_secret: &str, sp_jwks_uri: &str) -> StubHub {
        Self::start_with(client_id, client_secret, Some(sp_jwks_uri.to_owned())).await
    }

    async fn start_with(
        client_id: &str,
        client_secret: &str,
        sp_jwks_uri: Option<String>,
    ) -> StubHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(StubState {
            issuer: format!("{url}/api/v2"),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            keys: Mutex::new(EcKey::generate("stub:ES256")),
            foreign_key: EcKey::generate("stub:ES256"),
            stranger_key: EcKey::generate("stranger:ES256"),
            codes: Mutex::default(),
            sp_jwks_uri,
            access_tokens: Mutex::default(),
            token_calls: AtomicUsize::new(0),
            jwks_calls: AtomicUsize::new(0),
            discovery_calls: AtomicUsize::new(0),
            last_token_form: Mutex::default(),
            authorize_paths: Mutex::default(),
            behaviour: Mutex::default(),
            dp_jws_verdict: Mutex::default(),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/api/v2/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/api/v2/jwks", web::get().to(jwks))
                .route("/api/v2/authorize", web::get().to(authorize))
                .route("/api/v2/token", web::post().to(token))
                .route("/api/v2/userinfo", web::get().to(userinfo))
                .route("/api/v2/session/end", web::get().to(end_session))
                .route("/api/v1/authorize", web::get().to(authorize))
                .route("/api/v1/token", web::post().to(token_v1))
                .route("/api/v1/userinfo", web::get().to(userinfo_v1))
                .route("/api/v1/logout", web::get().to(end_session))
                .route(
                    "/situations/ir/assiettes/annrev/2024",
                    web::get().to(dp_resource),
                )
                .route("/exchanges/{id}", web::get().to(dp_exchanges))
                .route("/health", web::get().to(HttpResponse::Ok))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        StubHub { url, state, handle }
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.state.behaviour.lock().unwrap() = behaviour;
    }

    /// A new signing key with a new `kid`, as a hub rotating its keys would.
    pub fn rotate_keys(&self) {
        let kid = format!("stub-{}:ES256", fc_plumbing::random::token(4));
        *self.state.keys.lock().unwrap() = EcKey::generate(kid);
    }

    /// A new signing key under the same `kid` (a hub that reuses its key names).
    pub fn rotate_keys_same_kid(&self) {
        *self.state.keys.lock().unwrap() = EcKey::generate("stub:ES256");
    }

    pub fn token_calls(&self) -> usize {
        self.state.token_calls.load(Ordering::SeqCst)
    }

    pub fn jwks_calls(&self) -> usize {
        self.state.jwks_calls.load(Ordering::SeqCst)
    }

    pub fn discovery_calls(&self) -> usize {
        self.state.discovery_calls.load(Ordering::SeqCst)
    }

    pub fn last_token_form(&self) -> HashMap<String, String> {
        self.state.last_token_form.lock().unwrap().clone()
    }

    /// Forgets every access token, as when they expire after 60 seconds.
    pub fn expire_access_tokens(&self) {
        self.state.access_tokens.lock().unwrap().clear();
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn discovery(state: web::Data<StubState>) -> HttpResponse {
    state.discovery_calls.fetch_add(1, Ordering::SeqCst);
    let i = &state.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "end_session_endpoint": format!("{i}/session/end"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "userinfo_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
        "scopes_supported": ["openid", "given_name", "family_name"],
    }))
}

async fn jwks(state: web::Data<StubState>) -> HttpResponse {
    state.jwks_calls.fetch_add(1, Ordering::SeqCst);
    if state.behaviour.lock().unwrap().jwks_down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::Ok().json(json!({"keys": [state.keys.lock().unwrap().public_jwk()]}))
}

async fn authorize(
    state: web::Data<StubState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    state
        .authorize_paths
        .lock()
        .unwrap()
        .push(request.path().to_owned());
    let redirect_uri = &query["redirect_uri"];
    let behaviour = state.behaviour.lock().unwrap().clone();
    let params: Vec<(&str, &str)> = match &behaviour.authorize_error {
        Some((error, description)) => vec![
            ("error", error),
            ("error_description", description),
            ("state", &query["state"]),
            ("iss", &state.issuer),
        ],
        None => {
            let code = fc_plumbing::random::token(16);
            let acr = query.get("acr_values").cloned().unwrap_or_default();
            state
                .codes
                .lock()
                .unwrap()
                .insert(code.clone(), (query["nonce"].clone(), acr));
            let location = fc_plumbing::web::url_with_query(
                redirect_uri,
                &[
                    ("code", &code),
                    ("state", &query["state"]),
                    ("iss", &state.issuer),
                ],
            );
            return HttpResponse::Found()
                .insert_header(("Location", location))
                .finish();
        }
    };
    let location = fc_plumbing::web::url_with_query(redirect_uri, &params);
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

async fn token(
    state: web::Data<StubState>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let mut answer = issue_tokens(&state, &form, false);
    if let Some(id_token) = answer.get("id_token").and_then(Value::as_str) {
        let sealed = seal(&state, id_token, false).await;
        answer["id_token"] = json!(sealed);
    }
    respond(answer)
}

fn respond(answer: Value) -> HttpResponse {
    match answer.get("error") {
        Some(e) if e == "invalid_client" => HttpResponse::Unauthorized().json(answer),
        Some(_) => HttpResponse::BadRequest().json(answer),
        None => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(answer),
    }
}

/// FranceConnect+: `jws` encrypted to the SP's published key, as the behaviour wants it.
async fn seal(state: &StubState, jws: &str, userinfo: bool) -> String {
    let Some(uri) = &state.sp_jwks_uri else {
        return jws.to_owned();
    };
    let mut b = state.behaviour.lock().unwrap().clone();
    if b.jwe_userinfo_only && !userinfo {
        b = Behaviour::default();
    }
    if b.jwe_clear {
        return jws.to_owned();
    }
    let alg = b.jwe_alg.unwrap_or(KeyAlg::EcdhEs);
    let published: Value = reqwest::get(uri).await.unwrap().json().await.unwrap();
    let jwks = if b.jwe_foreign_key {
        DecryptionKeys::generate().unwrap().jwks()
    } else {
        published
    };
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == alg.key_type())
        .unwrap();
    let recipient = EncryptionJwk::from_jwk(key).unwrap();
    let sealed = Encrypter::new(alg, ContentEnc::A256Gcm)
        .header("iss", state.issuer.as_str())
        .header("aud", state.client_id.as_str())
        .encrypt(jws, &recipient)
        .unwrap();
    if !b.jwe_tampered {
        return sealed;
    }
    let mut parts: Vec<String> = sealed.split('.').map(str::to_owned).collect();
    let flipped = if parts[3].starts_with('A') { "B" } else { "A" };
    parts[3].replace_range(0..1, flipped);
    parts.join(".")
}

/// v1: ID token HS256 keyed by the client secret, `iss` = the hub URL without path, no `scope`.
async fn token_v1(
    state: web::Data<StubState>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    respond(issue_tokens(&state, &form, true))
}

fn issue_tokens(state: &StubState, form: &HashMap<String, String>, v1: bool) -> Value {
    state.token_calls.fetch_add(1, Ordering::SeqCst);
    *state.last_token_form.lock().unwrap() = form.clone();
    if form.get("client_id") != Some(&state.client_id)
        || form.get("client_secret") != Some(&state.client_secret)
    {
        return json!({"error": "invalid_client"});
    }
    let Some((nonce, acr)) = form
        .get("code")
        .and_then(|c| state.codes.lock().unwrap().remove(c))
    else {
        return json!({"error": "invalid_grant"});
    };
    let id_token = id_token(state, nonce, acr, v1);
    let access_token = fc_plumbing::random::token(32);
    state
        .access_tokens
        .lock()
        .unwrap()
        .push(access_token.clone());
    let mut answer = json!({
        "access_token": access_token, "token_type": "Bearer", "expires_in": 60,
        "id_token": id_token, "scope": "openid given_name family_name",
    });
    if v1 {
        answer.as_object_mut().unwrap().remove("scope");
    }
    answer
}

/// The ID token for the authorize request that sent `nonce`, as the behaviour wants it.
fn id_token(state: &StubState, nonce: String, acr: String, v1: bool) -> String {
    let b = state.behaviour.lock().unwrap().clone();
    let (iat, exp) = if b.expired {
        (now() - 700, now() - 600)
    } else {
        (now(), now() + 60)
    };
    let issuer = if v1 {
        state.issuer.trim_end_matches("/api/v2").to_owned()
    } else {
        state.issuer.clone()
    };
    let claims = json!({
        "iss": if b.wrong_iss { "http://evil.example/api/v2".to_owned() } else { issuer },
        "aud": if b.wrong_aud { "another-client".to_owned() } else { state.client_id.clone() },
        "exp": exp, "iat": iat, "auth_time": iat,
        "sub": SUB, "acr": b.acr.clone().unwrap_or(if acr.is_empty() { "eidas1".into() } else { acr }),
        "amr": ["pwd"],
        "nonce": if b.wrong_nonce { "a-nonce-that-was-never-sent-by-the-sp".to_owned() } else { nonce },
    });
    if v1 || b.hs256_id_token {
        let secret = if b.bad_signature {
            WRONG_SECRET
        } else {
            &state.client_secret
        };
        sign_jwt(&Signer::Hmac(secret), &claims).unwrap()
    } else {
        let key = state.keys.lock().unwrap().clone();
        let signing = match (b.bad_signature, b.unknown_kid) {
            (true, _) => &state.foreign_key,
            (_, true) => &state.stranger_key,
            _ => &key,
        };
        sign_jwt(&Signer::Ec(signing), &claims).unwrap()
    }
}

fn bearer_is_known(state: &StubState, request: &HttpRequest) -> bool {
    let header = request
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    header
        .strip_prefix("Bearer ")
        .is_some_and(|t| state.access_tokens.lock().unwrap().iter().any(|k| k == t))
}

/// v1 userinfo: the claims as plain JSON.
async fn userinfo_v1(state: web::Data<StubState>, request: HttpRequest) -> HttpResponse {
    if !bearer_is_known(&state, &request) {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_token"}));
    }
    HttpResponse::Ok().json(json!({
        "sub": SUB, "given_name": "Mélaine Évelyne", "family_name": "TROIS",
        "birthdate": "1981-07-27", "gender": "female", "birthplace": "95277",
        "birthcountry": "99100", "address": {"formatted": "26 rue Desaix, 75015 Paris"},
    }))
}

async fn userinfo(state: web::Data<StubState>, request: HttpRequest) -> HttpResponse {
    if !bearer_is_known(&state, &request) {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_token"}));
    }
    let b = state.behaviour.lock().unwrap().clone();
    let claims = json!({
        "iss": state.issuer, "aud": state.client_id, "iat": now(), "exp": now() + 60,
        "sub": if b.userinfo_other_sub { "someone-else" } else { SUB },
        "given_name": "Mélaine Évelyne", "given_name_array": ["Mélaine", "Évelyne"],
        "family_name": "TROIS", "birthdate": "1981-07-27", "gender": "female",
        "birthplace": "95277", "birthcountry": "99100", "email": "melaine.trois@example.fr",
        "preferred_username": "",
    });
    let jwt = if b.hs256_userinfo {
        sign_jwt(&Signer::Hmac(&state.client_secret), &claims).unwrap()
    } else {
        sign_jwt(&Signer::Ec(&state.keys.lock().unwrap()), &claims).unwrap()
    };
    let jwt = seal(&state, &jwt, true).await;
    HttpResponse::Ok().content_type("application/jwt").body(jwt)
}

async fn end_session(query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let location = fc_plumbing::web::url_with_query(
        &query["post_logout_redirect_uri"],
        &[("state", &query["state"])],
    );
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

async fn dp_resource(state: web::Data<StubState>, request: HttpRequest) -> HttpResponse {
    if !bearer_is_known(&state, &request) {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer error=\"invalid_token\""))
            .json(json!({"error": "invalid_token"}));
    }
    HttpResponse::Ok().json(json!({
        "rfr": 28000, "nbPart": 1.5, "sitFam": "C",
        "pac": {"nbPac": 1, "enfants": 1, "invalides": 0, "rattaches": 0},
        "aft": "12 RUE DE LA REPUBLIQUE 95200 SARCELLES",
        "cnam": {"paiements_ij": 1250.4},
    }))
}

async fn dp_exchanges(state: web::Data<StubState>, id: web::Path<String>) -> HttpResponse {
    let jwt = sign_jwt(
        &Signer::Ec(&state.keys.lock().unwrap()),
        &json!({"iss": state.issuer, "token_introspection": {"active": true}}),
    )
    .unwrap();
    HttpResponse::Ok().json(json!([{
        "kind": "checktoken", "started_at": "2025-01-01T00:00:00Z", "duration_ms": 3,
        "request": {"method": "POST", "url": format!("{}/checktoken", state.issuer),
                    "headers": {"content-type": "application/x-www-form-urlencoded", "x-correlation-id": id.into_inner()},
                    "body": "token=abc&client_id=dp&client_secret=dp-secret"},
        "response": {"status": 200, "headers": {"content-type": "application/token-introspection+jwt"}, "body": jwt},
        "jws": state.dp_jws_verdict.lock().unwrap().clone(), "error": null,
    }]))
}

/// The query of a URL as a map (for assertions).
pub fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}
