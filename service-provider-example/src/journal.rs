//! Step 6 — "Journal des échanges": every exchange of the journey, in order (SPEC §1.3, §7).
//!
//! FranceConnect expects nothing here: this page exists so that an integrator can *see* the
//! protocol. Each entry is one exchange — the browser redirects (authorize, callback, logout) and
//! the server-to-server calls (token, userinfo, SP → data provider, and the data provider's
//! checktoken calls to the hub, fetched from the DP) — with method, URL, status, duration, headers
//! and bodies, and every JWT decoded (header + payload) with the result of its signature check.
//! That result is the one of the check that actually decided (the callback's, the userinfo
//! check's, or the data provider's for checktoken): the journal decodes JWTs for display only and
//! verifies a signature itself only when nobody else did, once, when the entry is recorded.
//!
//! The journal lives in memory on the server, in a [`JournalStore`] shared by every worker: the
//! session only carries the journal's id. Keeping the entries (bodies, tokens, curl commands: tens
//! of kilobytes) in the session made every request of the SP deserialize and re-serialize them,
//! and the session store clone them (BENCHMARKS.md, finding 1). The store is bounded twice: at
//! most [`MAX_ENTRIES`] exchanges per journal, at most `max_journals` journals (the least recently
//! used is dropped first), each forgotten after the session idle time without use. The `client_secret` is masked as
//! `********` before an entry is stored; tokens are shown (it is a demo) but never logged. Each
//! back-channel call also gets its `curl` command (secret still masked), to replay it by hand.
//! FranceConnect's own description of these exchanges:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_session::Session;
use actix_web::{HttpResponse, web};
use fc_plumbing::jose::{self, Jwa};
use fc_plumbing::{BackChannel, BackChannelError};
use openidconnect::core::CoreJsonWebKeySet;
use openidconnect::{HttpRequest, HttpResponse as OidcResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SpError;
use crate::startup::AppState;

/// How many exchanges a session keeps (the oldest are dropped).
pub const MAX_ENTRIES: usize = 100;
/// Bodies longer than this are cut (a journal is for reading, not for archiving).
const MAX_BODY_CHARS: usize = 16 * 1024;
const MASK: &str = "********";
/// The session key holding the journal id (the entries live in the [`JournalStore`]).
const SESSION_KEY: &str = "journal_id";

/// One exchange, as shown on the journal page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Exchange {
    /// What this step is, in French ("Échange du code contre les jetons (token)").
    pub step: String,
    /// Who talks to whom ("SP → FranceConnect").
    pub actors: String,
    /// When it happened (RFC 3339).
    pub at: String,
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub duration_ms: Option<u64>,
    /// Query or form parameters, decoded.
    pub params: Vec<(String, String)>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub jwts: Vec<JwtView>,
    pub notes: Vec<String>,
    /// A server-to-server call (as opposed to a browser redirect): it gets a `curl` command.
    #[serde(default)]
    pub back_channel: bool,
    /// The call as a `curl` command, built from the masked request.
    #[serde(default)]
    pub curl: Option<String>,
}

/// A JWT taken apart for display.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JwtView {
    pub label: String,
    pub header: String,
    pub payload: String,
    /// The signature check result, in words.
    pub signature: String,
}

impl Exchange {
    /// A browser redirect (no duration: the browser makes the request).
    pub fn redirect(step: &str, actors: &str, url: &str, status: u16) -> Self {
        Self {
            step: step.into(),
            actors: actors.into(),
            at: now(),
            method: "GET".into(),
            url: url.into(),
            status: Some(status),
            params: query_pairs(url),
            ..Self::default()
        }
    }

    /// Hides the client secret wherever it may appear: form parameters, query parameters, form
    /// bodies and HTTP Basic credentials. Also cuts long bodies.
    pub fn masked(mut self) -> Self {
        for (name, value) in &mut self.params {
            if name == "client_secret" {
                *value = MASK.into();
            }
        }
        for (name, value) in &mut self.request_headers {
            if name.eq_ignore_ascii_case("authorization")
                && value.to_ascii_lowercase().starts_with("basic ")
            {
                *value = format!("Basic {MASK}");
            }
        }
        self.url = mask_form(&self.url);
        self.request_body = self.request_body.map(|b| cut(mask_form(&b)));
        self.response_body = self.response_body.map(cut);
        // Built last, from the masked request only.
        self.curl = self.back_channel.then(|| curl_command(&self));
        self
    }
}

/// The request as a `curl` command line: method, URL, headers and body, each quoted for a POSIX
/// shell so that no value can break out of its argument.
pub fn curl_command(exchange: &Exchange) -> String {
    let mut command = String::from("curl");
    if exchange.method != "GET" {
        command.push_str(" -X ");
        command.push_str(&shell_quote(&exchange.method));
    }
    command.push(' ');
    command.push_str(&shell_quote(&exchange.url));
    for (name, value) in &exchange.request_headers {
        command.push_str(" \\\n  -H ");
        command.push_str(&shell_quote(&format!("{name}: {value}")));
    }
    if let Some(body) = &exchange.request_body {
        command.push_str(" \\\n  --data-raw ");
        command.push_str(&shell_quote(body));
    }
    command
}

/// `'…'` with every `'` written `'\''`: nothing inside single quotes is special to the shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Every session's journal, in memory, bounded (see the module header). One mutex guards it all:
/// each operation moves a few entries in or clones one journal out, so it is held briefly.
pub struct JournalStore {
    inner: Mutex<StoreInner>,
    capacity: usize,
    idle: Duration,
}

#[derive(Default)]
struct StoreInner {
    by_id: HashMap<String, Slot>,
    /// Journal ids by last use: the first one is the least recently used, so it is both the next
    /// to expire and the one evicted when the store is full.
    order: BTreeMap<u64, String>,
    next_tick: u64,
}

struct Slot {
    tick: u64,
    last_used: Instant,
    entries: VecDeque<Exchange>,
}

impl StoreInner {
    fn forget_expired(&mut self, now: Instant, idle: Duration) {
        while let Some((&tick, id)) = self.order.first_key_value() {
            let expired = self
                .by_id
                .get(id)
                .is_none_or(|slot| now.saturating_duration_since(slot.last_used) >= idle);
            if !expired {
                break;
            }
            if let Some(id) = self.order.remove(&tick) {
                self.by_id.remove(&id);
            }
        }
    }

    /// Marks `id` as just used, creating its journal if needed, and evicts beyond `capacity`.
    fn touch(&mut self, id: &str, now: Instant, capacity: usize) -> Option<&mut Slot> {
        let tick = self.next_tick;
        self.next_tick += 1;
        match self.by_id.get_mut(id) {
            Some(slot) => {
                self.order.remove(&slot.tick);
                slot.tick = tick;
                slot.last_used = now;
            }
            None => {
                self.by_id.insert(
                    id.to_owned(),
                    Slot {
                        tick,
                        last_used: now,
                        entries: VecDeque::new(),
                    },
                );
            }
        }
        self.order.insert(tick, id.to_owned());
        // The journal just touched is the most recent: with capacity >= 1 it is never evicted.
        while self.by_id.len() > capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.by_id.remove(&oldest);
        }
        self.by_id.get_mut(id)
    }
}

impl JournalStore {
    /// At most `capacity` journals (at least one), each forgotten after `idle` without use.
    pub fn new(capacity: usize, idle: Duration) -> Self {
        Self {
            inner: Mutex::new(StoreInner::default()),
            capacity: capacity.max(1),
            idle,
        }
    }

    /// Appends `exchange` (masked first) to journal `id`, creating it if needed.
    pub fn push(&self, id: &str, exchange: Exchange) {
        self.push_at(id, exchange, Instant::now());
    }

    /// [`JournalStore::push`] at a given time (tests drive the clock).
    pub fn push_at(&self, id: &str, exchange: Exchange, now: Instant) {
        // Masking and the curl command are built outside the lock.
        let exchange = exchange.masked();
        let mut inner = self.lock();
        inner.forget_expired(now, self.idle);
        if let Some(slot) = inner.touch(id, now, self.capacity) {
            slot.entries.push_back(exchange);
            while slot.entries.len() > MAX_ENTRIES {
                slot.entries.pop_front();
            }
        }
    }

    /// The entries of journal `id`, oldest first (none when unknown, expired or evicted).
    pub fn entries(&self, id: &str) -> Vec<Exchange> {
        self.entries_at(id, Instant::now())
    }

    /// [`JournalStore::entries`] at a given time (tests drive the clock).
    pub fn entries_at(&self, id: &str, now: Instant) -> Vec<Exchange> {
        let mut inner = self.lock();
        inner.forget_expired(now, self.idle);
        if !inner.by_id.contains_key(id) {
            return Vec::new();
        }
        // Reading the journal is a use: it keeps it alive like the session it belongs to.
        inner
            .touch(id, now, self.capacity)
            .map(|slot| slot.entries.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many journals are kept.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StoreInner> {
        // Every operation leaves the maps consistent before it could panic: a poisoned lock is
        // still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The journal of one session: its id (kept in the session) and the store holding its entries.
pub struct Journal<'a> {
    store: &'a JournalStore,
    id: String,
}

impl<'a> Journal<'a> {
    /// The journal of this session, created (with a new random id) if it has none yet.
    pub fn open(store: &'a JournalStore, session: &Session) -> Result<Self, SpError> {
        let id = match journal_id(session) {
            Some(id) => id,
            None => {
                let id = fc_plumbing::random::token(16);
                session.insert(SESSION_KEY, &id)?;
                id
            }
        };
        Ok(Self { store, id })
    }

    /// Attaches this journal to `session` again: after `Session::clear` (logout), so that the
    /// journey stays readable under the new session.
    pub fn keep_in(&self, session: &Session) -> Result<(), SpError> {
        if journal_id(session).as_deref() != Some(self.id.as_str()) {
            session.insert(SESSION_KEY, &self.id)?;
        }
        Ok(())
    }

    pub fn push(&mut self, exchange: Exchange) {
        self.store.push(&self.id, exchange);
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The journal id of this session, if it has one (an unreadable value counts as none).
fn journal_id(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_KEY).ok().flatten()
}

/// The entries of this session's journal, without creating one.
pub fn session_entries(store: &JournalStore, session: &Session) -> Vec<Exchange> {
    journal_id(session)
        .map(|id| store.entries(&id))
        .unwrap_or_default()
}

/// Records what goes through the back channel, so the journal shows the real requests that
/// `openidconnect` (or our own code) sent, and the real answers.
#[derive(Default)]
pub struct Recorder {
    calls: Mutex<Vec<Exchange>>,
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `request` through the back channel and records it. Usable as `openidconnect`'s HTTP
    /// client: `let http = |r| recorder.send(&back_channel, r);`.
    pub async fn send(
        &self,
        back_channel: &BackChannel,
        request: HttpRequest,
    ) -> Result<OidcResponse, BackChannelError> {
        let mut exchange = Exchange {
            back_channel: true,
            at: now(),
            method: request.method().to_string(),
            url: request.uri().to_string(),
            request_headers: header_pairs(request.headers()),
            request_body: body_text(request.body()),
            ..Exchange::default()
        };
        exchange.params = match exchange.method.as_str() {
            "POST" => form_pairs(exchange.request_body.as_deref().unwrap_or("")),
            _ => query_pairs(&exchange.url),
        };
        let started = Instant::now();
        let result = back_channel.send_oidc(request).await;
        exchange.duration_ms =
            Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        // The log line names the endpoint only: no query, no header, no body (tokens stay out).
        let endpoint = exchange.url.split('?').next().unwrap_or("");
        match &result {
            Ok(response) => tracing::info!(
                method = exchange.method,
                url = endpoint,
                status = response.status().as_u16(),
                ms = exchange.duration_ms,
                "back-channel call"
            ),
            Err(e) => tracing::warn!(
                method = exchange.method,
                url = endpoint,
                error = %e,
                "back-channel call failed"
            ),
        }
        match &result {
            Ok(response) => {
                exchange.status = Some(response.status().as_u16());
                exchange.response_headers = header_pairs(response.headers());
                exchange.response_body = body_text(response.body());
            }
            Err(e) => exchange.notes.push(format!("Échec de la requête : {e}")),
        }
        self.lock().push(exchange.masked());
        result
    }

    /// The recorded exchanges, oldest first, each labelled with `step` and `actors`.
    pub fn take(&self, step: &str, actors: &str) -> Vec<Exchange> {
        std::mem::take(&mut *self.lock())
            .into_iter()
            .map(|mut e| {
                e.step = step.into();
                e.actors = actors.into();
                e
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Exchange>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Decodes `jwt` for display only, with `signature`: the result of the check that the caller
/// (or the party that received the JWT) already made. Decoding costs microseconds; verifying an
/// ES256 signature again would cost ~440 µs per JWT shown.
pub fn jwt_view(label: &str, jwt: &str, signature: impl Into<String>) -> JwtView {
    match jose::decode_unverified(jwt) {
        Ok(decoded) => JwtView {
            label: label.into(),
            header: pretty(&decoded.header),
            payload: pretty(&decoded.payload),
            signature: signature.into(),
        },
        Err(e) => JwtView {
            label: label.into(),
            signature: format!("JWT illisible : {e}"),
            ..JwtView::default()
        },
    }
}

/// The words for a signature that was verified and found valid, naming the key from the header.
pub fn valid_signature(jwt: &str) -> String {
    let header = jose::decode_unverified(jwt)
        .map(|d| d.header)
        .unwrap_or_default();
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("?");
    if alg == Jwa::HS256.as_str() {
        return "Signature HS256 valide (clé : client_secret)".to_owned();
    }
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or("?");
    format!("Signature {alg} valide (clé « {kid} » du JWKS de FranceConnect)")
}

/// The words for a signature found invalid.
pub fn invalid_signature(error: &dyn std::fmt::Display) -> String {
    format!("Signature INVALIDE : {error}")
}

/// Decodes `jwt` for display and checks its signature against the hub's keys (or, for HS256, the
/// client secret). Only for a JWT nobody verified (a refusal before the signature check, a
/// checktoken answer without the data provider's verdict): called once, when the entry is
/// recorded. The algorithm must be one the hub uses, never `none`.
pub fn jwt_view_checked(
    label: &str,
    jwt: &str,
    hub_jwks: Option<&CoreJsonWebKeySet>,
    client_secret: Option<&str>,
) -> JwtView {
    let alg = jose::decode_unverified(jwt)
        .ok()
        .and_then(|d| {
            d.header
                .get("alg")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let signature = match (alg.parse::<Jwa>(), hub_jwks) {
        (Err(_), _) => format!("Algorithme {alg:?} refusé : non vérifiée"),
        (Ok(_), None) => "Non vérifiée (clés du hub indisponibles)".to_owned(),
        (Ok(alg), Some(jwks)) => match jose::verify_jwt(jwt, alg, jwks, client_secret) {
            Ok(_) => valid_signature(jwt),
            Err(e) => invalid_signature(&e),
        },
    };
    jwt_view(label, jwt, signature)
}

pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// `GET /journal`: the timeline of this session.
pub async fn journal_get(
    app: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, SpError> {
    let entries = session_entries(&app.journals, &session);
    let mut context = app.pages.context(&session)?;
    context.insert("entries", &entries);
    context.insert("max_entries", &MAX_ENTRIES);
    app.pages.render("journal.html", &context)
}

/// `GET /journal.json`: the same timeline, to download.
pub async fn journal_json_get(app: web::Data<AppState>, session: Session) -> HttpResponse {
    let entries = session_entries(&app.journals, &session);
    HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"journal-franceconnect.json\"",
        ))
        .json(entries)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn header_pairs(headers: &openidconnect::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn body_text(body: &[u8]) -> Option<String> {
    (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned())
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

fn form_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// Replaces the value of every `client_secret=` pair of a form body or URL query.
fn mask_form(text: &str) -> String {
    const NAME: &str = "client_secret=";
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find(NAME) {
        let at = search_from + found;
        let value_start = at + NAME.len();
        search_from = value_start;
        let starts_a_pair = at == 0 || text[..at].ends_with(['&', '?']);
        if starts_a_pair {
            let value_end = text[value_start..]
                .find(['&', '#'])
                .map_or(text.len(), |end| value_start + end);
            out.push_str(&text[copied..value_start]);
            out.push_str(MASK);
            copied = value_end;
            search_from = value_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn cut(text: String) -> String {
    if text.chars().count() <= MAX_BODY_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_BODY_CHARS).collect();
    cut.push_str("\n… (tronqué)");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_secret_is_masked_everywhere() {
        let exchange = Exchange {
            url: "http://hub/token?client_secret=s3cr3t&x=1".into(),
            params: vec![
                ("client_secret".into(), "s3cr3t".into()),
                ("code".into(), "abc".into()),
            ],
            request_headers: vec![("Authorization".into(), "Basic czNjcjN0".into())],
            request_body: Some(
                "grant_type=authorization_code&code=abc&client_secret=s3cr3t&client_id=id".into(),
            ),
            ..Exchange::default()
        }
        .masked();
        let all = serde_json::to_string(&exchange).unwrap();
        assert!(!all.contains("s3cr3t"), "{all}");
        assert!(!all.contains("czNjcjN0"), "{all}");
        assert_eq!(
            exchange.request_body.as_deref(),
            Some("grant_type=authorization_code&code=abc&client_secret=********&client_id=id")
        );
        assert_eq!(exchange.url, "http://hub/token?client_secret=********&x=1");
        assert_eq!(exchange.params[1], ("code".into(), "abc".into()));
    }

    #[test]
    fn masking_leaves_other_parameters_and_bearer_tokens_alone() {
        let body = "client_secret=a&not_client_secret=b";
        assert_eq!(
            mask_form(body),
            "client_secret=********&not_client_secret=b"
        );
        let exchange = Exchange {
            request_headers: vec![("authorization".into(), "Bearer tok".into())],
            ..Exchange::default()
        }
        .masked();
        assert_eq!(exchange.request_headers[0].1, "Bearer tok");
    }

    fn step(i: usize) -> Exchange {
        Exchange {
            step: i.to_string(),
            ..Exchange::default()
        }
    }

    const IDLE: Duration = Duration::from_secs(30 * 60);

    #[test]
    fn the_journal_keeps_the_last_entries_in_order() {
        let store = JournalStore::new(10, IDLE);
        for i in 0..(MAX_ENTRIES + 5) {
            store.push("a", step(i));
        }
        let entries = store.entries("a");
        assert_eq!(entries.len(), MAX_ENTRIES);
        assert_eq!(entries.first().map(|e| e.step.as_str()), Some("5"));
        assert_eq!(
            entries.last().map(|e| e.step.clone()),
            Some((MAX_ENTRIES + 4).to_string())
        );
    }

    #[test]
    fn journals_are_separate_and_the_least_recently_used_is_evicted() {
        let store = JournalStore::new(2, IDLE);
        let t0 = Instant::now();
        store.push_at("a", step(1), t0);
        store.push_at("b", step(2), t0);
        // Reading "a" makes "b" the least recently used.
        assert_eq!(store.entries_at("a", t0).len(), 1);
        store.push_at("c", step(3), t0);
        assert_eq!(store.len(), 2);
        assert!(store.entries_at("b", t0).is_empty(), "b was evicted");
        assert_eq!(store.entries_at("a", t0)[0].step, "1");
        assert_eq!(store.entries_at("c", t0)[0].step, "3");
        // Reading an unknown journal creates nothing.
        assert!(store.entries_at("zzz", t0).is_empty());
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn journals_expire_after_the_session_idle_time_unless_used() {
        let store = JournalStore::new(10, IDLE);
        let t0 = Instant::now();
        store.push_at("old", step(1), t0);
        store.push_at("used", step(2), t0);
        let later = t0 + IDLE - Duration::from_secs(1);
        store.push_at("used", step(3), later);
        let expiry = t0 + IDLE;
        assert!(store.entries_at("old", expiry).is_empty());
        assert_eq!(store.entries_at("used", expiry).len(), 2);
        assert_eq!(store.len(), 1, "the expired journal is gone from memory");
        // Reading is a use too: it expires one idle time after the last read.
        assert_eq!(
            store
                .entries_at("used", expiry + IDLE - Duration::from_secs(1))
                .len(),
            2
        );
        assert!(store.entries_at("used", expiry + IDLE * 3).is_empty());
        assert!(store.is_empty());
    }

    #[test]
    fn the_session_carries_only_the_journal_id() {
        use actix_session::SessionExt;
        let request = actix_web::test::TestRequest::default().to_http_request();
        let session = request.get_session();
        let store = JournalStore::new(10, IDLE);
        let mut journal = Journal::open(&store, &session).unwrap();
        for i in 0..50 {
            journal.push(Exchange {
                response_body: Some(format!("{i}{}", "x".repeat(4_000))),
                ..step(i)
            });
        }
        let state = serde_json::to_string(&*session.entries()).unwrap();
        assert!(state.len() < 100, "session state: {state}");
        assert_eq!(session_entries(&store, &session).len(), 50);
        // The same session opens the same journal.
        assert_eq!(Journal::open(&store, &session).unwrap().id(), journal.id());
        // After `clear` (logout), `keep_in` attaches it again.
        session.clear();
        assert!(session_entries(&store, &session).is_empty());
        journal.keep_in(&session).unwrap();
        assert_eq!(session_entries(&store, &session).len(), 50);
    }

    #[test]
    fn back_channel_calls_get_a_quoted_curl_command_with_the_secret_masked() {
        let exchange = Exchange {
            back_channel: true,
            method: "POST".into(),
            url: "http://hub/api/v2/token".into(),
            request_headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            request_body: Some("code=it's&client_secret=s3cr3t".into()),
            ..Exchange::default()
        }
        .masked();
        let curl = exchange.curl.unwrap();
        assert!(
            curl.starts_with("curl -X 'POST' 'http://hub/api/v2/token'"),
            "{curl}"
        );
        assert!(curl.contains("-H 'content-type: application/x-www-form-urlencoded'"));
        assert!(
            curl.ends_with(r"--data-raw 'code=it'\''s&client_secret=********'"),
            "{curl}"
        );
        assert!(!curl.contains("s3cr3t"));
        let redirect = Exchange::redirect("x", "y", "http://hub/authorize?a=b", 302).masked();
        assert!(redirect.curl.is_none());
    }

    #[test]
    fn long_bodies_are_cut() {
        let exchange = Exchange {
            response_body: Some("x".repeat(MAX_BODY_CHARS + 10)),
            ..Exchange::default()
        }
        .masked();
        assert!(exchange.response_body.unwrap().ends_with("(tronqué)"));
    }

    #[test]
    fn jwts_are_decoded_for_display_with_the_given_verdict() {
        let keys = fc_plumbing::KeySet::generate("t").unwrap();
        let jwt = jose::sign_jwt(
            &keys.signer(Jwa::ES256, ""),
            &serde_json::json!({"sub": "s"}),
        )
        .unwrap();
        let view = jwt_view("ID token", &jwt, valid_signature(&jwt));
        assert!(
            view.signature.starts_with("Signature ES256 valide (clé « "),
            "{}",
            view.signature
        );
        assert!(view.payload.contains("\"sub\""));
        assert!(view.header.contains("ES256"));
        let unreadable = jwt_view("x", "not-a-jwt", "ignored");
        assert!(unreadable.signature.starts_with("JWT illisible"));
    }

    #[test]
    fn unverified_jwts_are_checked_once_when_recorded() {
        let keys = fc_plumbing::KeySet::generate("t").unwrap();
        let jwks = jose::parse_jwks(&keys.jwks()).unwrap();
        let jwt = jose::sign_jwt(
            &keys.signer(Jwa::ES256, ""),
            &serde_json::json!({"sub": "s"}),
        )
        .unwrap();
        let view = jwt_view_checked("ID token", &jwt, Some(&jwks), None);
        assert!(
            view.signature.starts_with("Signature ES256 valide"),
            "{}",
            view.signature
        );

        let other = fc_plumbing::KeySet::generate("t").unwrap();
        let forged = jose::sign_jwt(
            &other.signer(Jwa::ES256, ""),
            &serde_json::json!({"sub": "s"}),
        )
        .unwrap();
        assert!(
            jwt_view_checked("x", &forged, Some(&jwks), None)
                .signature
                .contains("INVALIDE")
        );
        assert!(
            jwt_view_checked("x", &jwt, None, None)
                .signature
                .starts_with("Non vérifiée")
        );
    }
}
