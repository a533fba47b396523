//! One peer's JWKS, cached, refetched when the peer's keys change.
//!
//! Every JWS a program checks comes from a peer that publishes its keys at a `jwks_uri`: the SP
//! checks the hub's ID tokens and userinfo, the DP the hub's checktoken answers, the hub the IdP's
//! ID tokens. Peers rotate keys — a hub restarted without a keys folder has new keys under new
//! kids (`docs/keys.md`) — so a verifier must not keep stale keys forever, nor fetch the JWKS for
//! every token. The rules:
//! - keys are fetched on first need (or seeded) and kept;
//! - a token naming an unknown kid, or failing its signature, triggers **one** refetch and one
//!   retry; a refetch happens at most once per `min_refetch_interval` per peer (a flood of forged
//!   tokens costs the peer one request per interval), and concurrent callers share one fetch;
//! - a failed fetch (transport, status, content type, size, JSON) keeps the keys already cached;
//! - HS256 tokens (keyed by the client secret, not the JWKS) and tokens refused for their own
//!   sake (malformed, wrong algorithm) never cause a fetch.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::backchannel::BackChannel;
use crate::clock::Clock;
use crate::jose::{JoseError, Jwa, JwkSet, Verified};

/// Default minimum time between two fetches of one peer's JWKS.
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// Largest JWKS body accepted: a real one is a few kilobytes.
pub const MAX_JWKS_BODY_BYTES: usize = 256 * 1024;

/// Why fetching a JWKS failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("transport error: {0}")]
    Transport(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("content type {0:?} is not a JSON JWKS")]
    ContentType(String),
    #[error("body larger than {MAX_JWKS_BODY_BYTES} bytes")]
    TooLarge,
    #[error("invalid JWKS: {0}")]
    Invalid(String),
    #[error("no usable signature key in the JWKS")]
    NoUsableKey,
}

/// Why [`JwksCache::verify`] refused a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// The token is refused for its own sake (malformed, wrong algorithm, no HS256 secret):
    /// no fetch was attempted.
    #[error(transparent)]
    Token(JoseError),
    /// No key of the peer matches. `refetched`: the keys were fetched again for this token (or
    /// by a concurrent caller); when false, the last fetch was too recent to try again.
    #[error("no key of the peer matches the token (kid {kid:?}, refetched: {refetched})")]
    UnknownKey {
        kid: Option<String>,
        refetched: bool,
    },
    /// A key matches but the signature is wrong (`refetched` as above).
    #[error("signature verification failed (refetched: {refetched})")]
    BadSignature { refetched: bool },
    /// The token did not verify with the cached keys and fetching new ones failed; the cached
    /// keys are kept.
    #[error("fetching the JWKS at {url} failed: {cause} (cached keys kept)")]
    FetchFailed { url: String, cause: FetchError },
}

impl JwksError {
    fn from_jose(error: JoseError, refetched: bool) -> Self {
        match error {
            JoseError::UnknownKey(kid) => JwksError::UnknownKey { kid, refetched },
            JoseError::BadSignature => JwksError::BadSignature { refetched },
            other => JwksError::Token(other),
        }
    }
}

/// The cached JWKS of one peer. Cheap to clone (clones share the cache).
#[derive(Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    back_channel: BackChannel,
    clock: Clock,
    min_refetch_interval_ms: i64,
    state: RwLock<State>,
    /// Held while a fetch is in flight: callers queue behind it and then reuse its result.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    keys: Arc<JwkSet>,
    /// Bumped each time the keys change, so a caller knows whether keys are newer than its try.
    generation: u64,
    /// When the last fetch started (successful or not), in clock milliseconds.
    last_attempt_ms: Option<i64>,
}

enum Refetch {
    Fresh(Arc<JwkSet>),
    TooSoon,
    Failed(FetchError),
}

impl JwksCache {
    /// A cache for the JWKS at `jwks_url` (a public URL: `back_channel` rewrites it to the
    /// internal one), with no keys yet. See [`DEFAULT_MIN_REFETCH_INTERVAL`].
    pub fn new(
        jwks_url: impl Into<String>,
        back_channel: BackChannel,
        clock: Clock,
        min_refetch_interval: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                url: jwks_url.into(),
                back_channel,
                clock,
                min_refetch_interval_ms: i64::try_from(min_refetch_interval.as_millis())
                    .unwrap_or(i64::MAX),
                state: RwLock::default(),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The keys cached now (for display).
    pub fn keys(&self) -> Arc<JwkSet> {
        self.read().keys.clone()
    }

    /// Replaces the cached keys without fetching (keys known in advance, tests). The next unknown
    /// kid still refetches, subject to the interval.
    pub fn seed(&self, keys: JwkSet) {
        let mut state = self.write();
        state.keys = Arc::new(keys);
        state.generation += 1;
    }

    /// Fetches the keys now unless a fetch started less than the minimum interval ago, in which
    /// case the cached keys are returned as they are.
    pub async fn refresh(&self) -> Result<Arc<JwkSet>, JwksError> {
        let seen = self.read().generation;
        match self.refetch(seen).await {
            Refetch::Fresh(keys) => Ok(keys),
            Refetch::TooSoon => Ok(self.keys()),
            Refetch::Failed(cause) => Err(self.fetch_failed(cause)),
        }
    }

    /// Verifies a compact JWS signed with `expected` by this peer (HS256: keyed by
    /// `hmac_secret`), refetching the keys once if the token's key is unknown or its signature
    /// fails (module documentation).
    pub async fn verify(
        &self,
        jwt: &str,
        expected: Jwa,
        hmac_secret: Option<&str>,
    ) -> Result<Verified, JwksError> {
        let (keys, seen) = {
            let state = self.read();
            (state.keys.clone(), state.generation)
        };
        let first = match keys.verify(jwt, expected, hmac_secret) {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        let new_keys_may_help = expected != Jwa::HS256
            && matches!(first, JoseError::UnknownKey(_) | JoseError::BadSignature);
        if !new_keys_may_help {
            return Err(JwksError::from_jose(first, false));
        }
        match self.refetch(seen).await {
            Refetch::Fresh(keys) => keys
                .verify(jwt, expected, hmac_secret)
                .map_err(|e| JwksError::from_jose(e, true)),
            Refetch::TooSoon => Err(JwksError::from_jose(first, false)),
            Refetch::Failed(cause) => Err(self.fetch_failed(cause)),
        }
    }

    /// New keys for a caller that saw generation `seen`: those a concurrent caller fetched
    /// meanwhile, else a fetch of its own if the interval allows.
    async fn refetch(&self, seen: u64) -> Refetch {
        let _one_fetch_at_a_time = self.inner.fetching.lock().await;
        {
            let mut state = self.write();
            if state.generation != seen {
                return Refetch::Fresh(state.keys.clone());
            }
            let now = self.inner.clock.now_millis();
            // A clock that went backwards allows a fetch rather than blocking until it catches up.
            let too_soon = state.last_attempt_ms.is_some_and(|last| {
                (0..self.inner.min_refetch_interval_ms).contains(&now.saturating_sub(last))
            });
            if too_soon {
                return Refetch::TooSoon;
            }
            state.last_attempt_ms = Some(now);
        }
        match self.fetch().await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                let mut state = self.write();
                state.keys = keys.clone();
                state.generation += 1;
                Refetch::Fresh(keys)
            }
            Err(cause) => Refetch::Failed(cause),
        }
    }

    /// One GET of the JWKS, logged in one line (never any key material).
    async fn fetch(&self) -> Result<JwkSet, FetchError> {
        let started = Instant::now();
        let (status, result) = self.download().await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let peer = self.inner.url.as_str();
        match &result {
            Ok(keys) => tracing::info!(
                peer,
                status,
                duration_ms,
                keys = keys.len(),
                skipped = keys.skipped(),
                "JWKS fetched"
            ),
            Err(e) => tracing::warn!(
                peer,
                status,
                duration_ms,
                error = %e,
                "JWKS fetch failed, cached keys kept"
            ),
        }
        result
    }

    async fn download(&self) -> (Option<u16>, Result<JwkSet, FetchError>) {
        let transport = |e: reqwest::Error| FetchError::Transport(e.to_string());
        let back_channel = &self.inner.back_channel;
        let request = back_channel.get(&self.inner.url).header(
            reqwest::header::ACCEPT,
            "application/jwk-set+json, application/json",
        );
        let mut response = match back_channel.send(request).await {
            Ok(response) => response,
            Err(e) => return (None, Err(FetchError::Transport(e.to_string()))),
        };
        let status = response.status().as_u16();
        let result = async {
            if !response.status().is_success() {
                return Err(FetchError::Status(status));
            }
            check_content_type(&response)?;
            if response
                .content_length()
                .is_some_and(|n| n > MAX_JWKS_BODY_BYTES as u64)
            {
                return Err(FetchError::TooLarge);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(transport)? {
                if body.len() + chunk.len() > MAX_JWKS_BODY_BYTES {
                    return Err(FetchError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            let keys = JwkSet::from_slice(&body).map_err(|e| FetchError::Invalid(e.to_string()))?;
            if !keys
                .keys()
                .iter()
                .any(|k| k.can_verify(Jwa::ES256) || k.can_verify(Jwa::RS256))
            {
                return Err(FetchError::NoUsableKey);
            }
            Ok(keys)
        }
        .await;
        (Some(status), result)
    }

    fn fetch_failed(&self, cause: FetchError) -> JwksError {
        JwksError::FetchFailed {
            url: self.inner.url.clone(),
            cause,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// `application/json` or `application/jwk-set+json` (RFC 7517 §8.5), parameters allowed.
fn check_content_type(response: &reqwest::Response) -> Result<(), FetchError> {
    let value = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("application/jwk-set+json")
    {
        Ok(())
    } else {
        Err(FetchError::ContentType(value.chars().take(64).collect()))
    }
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("url", &self.inner.url)
            .field("keys", &self.read().keys.len())
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::backchannel::UrlRewrite;
    use crate::clock::ManualClock;
    use crate::jose::{KeySet, sign_jwt};
    use actix_web::{App, HttpResponse, HttpServer, web};
    use serde_json::json;
    use std::sync::Mutex;

    const INTERVAL: Duration = Duration::from_secs(5);
    /// The peer as its tokens name it; the back channel sends requests to the test server.
    const PUBLIC_URL: &str = "http://peer.test";

    /// What the test peer answers on `GET /jwks`, and how many times it was asked.
    struct Answer {
        status: u16,
        content_type: &'static str,
        body: String,
        hits: usize,
    }

    struct Peer {
        answer: Arc<Mutex<Answer>>,
        server: actix_web::dev::ServerHandle,
        cache: JwksCache,
        hand: ManualClock,
    }

    impl Peer {
        async fn start(keys: &KeySet) -> Peer {
            let answer = Arc::new(Mutex::new(Answer {
                status: 200,
                content_type: "application/json",
                body: keys.jwks().to_string(),
                hits: 0,
            }));
            let data = web::Data::from(answer.clone());
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .route("/jwks", web::get().to(serve))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
            let handle = server.handle();
            tokio::spawn(server);
            let back_channel = BackChannel::new(
                Duration::from_secs(5),
                vec![UrlRewrite::new(
                    PUBLIC_URL,
                    format!("http://127.0.0.1:{port}"),
                )],
            )
            .unwrap();
            let (clock, hand) = Clock::manual();
            let cache = JwksCache::new(format!("{PUBLIC_URL}/jwks"), back_channel, clock, INTERVAL);
            Peer {
                answer,
                server: handle,
                cache,
                hand,
            }
        }

        fn serve_keys(&self, keys: &KeySet) {
            self.answer(200, "application/json", keys.jwks().to_string());
        }

        fn answer(&self, status: u16, content_type: &'static str, body: String) {
            let mut answer = self.answer.lock().unwrap();
            (answer.status, answer.content_type, answer.body) = (status, content_type, body);
        }

        fn hits(&self) -> usize {
            self.answer.lock().unwrap().hits
        }

        fn wait_out_the_interval(&self) {
            self.hand
                .advance_millis(i64::try_from(INTERVAL.as_millis()).unwrap());
        }
    }

    async fn serve(answer: web::Data<Mutex<Answer>>) -> HttpResponse {
        let mut answer = answer.lock().unwrap();
        answer.hits += 1;
        HttpResponse::build(actix_web::http::StatusCode::from_u16(answer.status).unwrap())
            .content_type(answer.content_type)
            .body(answer.body.clone())
    }

    fn token(keys: &KeySet, alg: Jwa) -> String {
        sign_jwt(&keys.signer(alg, "secret"), &json!({"sub": "a"})).unwrap()
    }

    #[tokio::test]
    async fn keys_are_fetched_once_then_refetched_once_after_a_rotation() {
        let old = KeySet::generate("old").unwrap();
        let peer = Peer::start(&old).await;
        for alg in [Jwa::ES256, Jwa::RS256, Jwa::ES256] {
            let verified = peer
                .cache
                .verify(&token(&old, alg), alg, None)
                .await
                .unwrap();
            assert_eq!(verified.claims["sub"], "a");
        }
        assert_eq!(peer.hits(), 1, "fetched on first need, then cached");
        assert_eq!(peer.cache.keys().len(), 2);

        // The peer restarts with new keys: new kids. Too soon after the first fetch, the cache
        // does not ask again; once the interval has passed, one refetch and the token verifies.
        let new = KeySet::generate("new").unwrap();
        peer.serve_keys(&new);
        let rotated = token(&new, Jwa::ES256);
        assert_eq!(
            peer.cache.verify(&rotated, Jwa::ES256, None).await,
            Err(JwksError::UnknownKey {
                kid: Some(new.ec.kid().to_owned()),
                refetched: false
            })
        );
        assert_eq!(peer.hits(), 1);
        peer.wait_out_the_interval();
        assert!(peer.cache.verify(&rotated, Jwa::ES256, None).await.is_ok());
        assert!(
            peer.cache
                .verify(&token(&new, Jwa::RS256), Jwa::RS256, None)
                .await
                .is_ok()
        );
        assert_eq!(peer.hits(), 2, "one refetch for the new kids, then cached");
        // Tokens of the old keys are now unknown, and the interval forbids asking again.
        assert!(matches!(
            peer.cache
                .verify(&token(&old, Jwa::ES256), Jwa::ES256, None)
                .await,
            Err(JwksError::UnknownKey {
                refetched: false,
                ..
            })
        ));
        assert_eq!(peer.hits(), 2);
        peer.server.stop(false).await;
    }

    #[tokio::test]
    async fn a_flood_of_bad_tokens_costs_the_peer_one_fetch_per_interval() {
        let keys = KeySet::generate("peer").unwrap();
        let peer = Peer::start(&keys).await;
        peer.cache.seed(keys.jwk_set());
        let stranger = KeySet::generate("stranger").unwrap();
        let unknown_kid = token(&stranger, Jwa::ES256);
        let forged = {
            let mut parts: Vec<String> = token(&keys, Jwa::ES256)
                .split('.')
                .map(str::to_owned)
                .collect();
            parts[1] = "eyJzdWIiOiJiIn0".into();
            parts.join(".")
        };
        for round in 1..=3 {
            let tasks: Vec<_> = (0..40)
                .map(|i| {
                    let cache = peer.cache.clone();
                    let jwt = if i % 2 == 0 {
                        unknown_kid.clone()
                    } else {
                        forged.clone()
                    };
                    tokio::spawn(async move { cache.verify(&jwt, Jwa::ES256, None).await })
                })
                .collect();
            for task in tasks {
                let result = task.await.unwrap();
                assert!(
                    matches!(
                        result,
                        Err(JwksError::UnknownKey { .. } | JwksError::BadSignature { .. })
                    ),
                    "{result:?}"
                );
            }
            assert_eq!(peer.hits(), round, "round {round}");
            // Half the interval: still no new fetch allowed.
            peer.hand.advance_millis(2_500);
            assert!(peer.cache.verify(&forged, Jwa::ES256, None).await.is_err());
            assert_eq!(peer.hits(), round);
            peer.hand.advance_millis(2_500);
        }
        // Good tokens were never at risk: the keys are the peer's.
        assert!(
            peer.cache
                .verify(&token(&keys, Jwa::ES256), Jwa::ES256, None)
                .await
                .is_ok()
        );
        peer.server.stop(false).await;
    }

    #[tokio::test]
    async fn concurrent_callers_after_a_rotation_share_one_fetch() {
        let old = KeySet::generate("old").unwrap();
        let peer = Peer::start(&old).await;
        peer.cache.seed(old.jwk_set());
        let new = KeySet::generate("new").unwrap();
        peer.serve_keys(&new);
        let rotated = token(&new, Jwa::ES256);
        // On this single-threaded test runtime every task runs up to its wait for the first
        // task's fetch before that fetch can complete: all of them need the new keys.
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, jwt) = (peer.cache.clone(), rotated.clone());
                tokio::spawn(async move { cache.verify(&jwt, Jwa::ES256, None).await })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_ok());
        }
        assert_eq!(peer.hits(), 1);
        peer.server.stop(false).await;
    }

    #[tokio::test]
    async fn a_failing_peer_keeps_the_cached_keys() {
        let keys = KeySet::generate("peer").unwrap();
        let peer = Peer::start(&keys).await;
        let good = token(&keys, Jwa::ES256);
        assert!(peer.cache.verify(&good, Jwa::ES256, None).await.is_ok());
        let unknown = token(&KeySet::generate("other").unwrap(), Jwa::ES256);
        let huge = format!(
            "{{\"keys\": [], \"pad\": \"{}\"}}",
            "a".repeat(MAX_JWKS_BODY_BYTES)
        );
        let no_sig_key = json!({"keys": [{"kty": "oct", "k": "AA"}]}).to_string();
        let failures: [(u16, &'static str, String, FetchError); 6] = [
            (500, "text/plain", "down".into(), FetchError::Status(500)),
            (302, "text/plain", String::new(), FetchError::Status(302)),
            (
                200,
                "text/html",
                "<html>".into(),
                FetchError::ContentType("text/html".into()),
            ),
            (200, "application/json", huge, FetchError::TooLarge),
            (
                200,
                "application/json",
                "{\"keys\": 3}".into(),
                FetchError::Invalid("key error: a JWKS is an object with a \"keys\" array".into()),
            ),
            (
                200,
                "application/jwk-set+json",
                no_sig_key,
                FetchError::NoUsableKey,
            ),
        ];
        for (round, (status, content_type, body, cause)) in failures.into_iter().enumerate() {
            peer.answer(status, content_type, body);
            peer.wait_out_the_interval();
            assert_eq!(
                peer.cache.verify(&unknown, Jwa::ES256, None).await,
                Err(JwksError::FetchFailed {
                    url: format!("{PUBLIC_URL}/jwks"),
                    cause
                })
            );
            assert_eq!(peer.hits(), round + 2);
            assert!(peer.cache.verify(&good, Jwa::ES256, None).await.is_ok());
            assert_eq!(peer.cache.keys().len(), 2);
        }
        peer.server.stop(false).await;

        // A peer that is gone entirely (nothing listens on its port): the seeded keys stay.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let back_channel = BackChannel::new(Duration::from_secs(5), Vec::new()).unwrap();
        let gone = JwksCache::new(
            format!("http://127.0.0.1:{port}/jwks"),
            back_channel,
            Clock::system(),
            INTERVAL,
        );
        gone.seed(keys.jwk_set());
        let result = gone.verify(&unknown, Jwa::ES256, None).await;
        assert!(
            matches!(
                result,
                Err(JwksError::FetchFailed {
                    cause: FetchError::Transport(_),
                    ..
                })
            ),
            "{result:?}"
        );
        assert!(gone.verify(&good, Jwa::ES256, None).await.is_ok());
    }

    #[tokio::test]
    async fn tokens_refused_for_their_own_sake_never_cause_a_fetch() {
        let keys = KeySet::generate("peer").unwrap();
        let peer = Peer::start(&keys).await;
        let hs = token(&keys, Jwa::HS256);
        assert!(
            peer.cache
                .verify(&hs, Jwa::HS256, Some("secret"))
                .await
                .is_ok()
        );
        assert_eq!(
            peer.cache.verify(&hs, Jwa::HS256, Some("wrong")).await,
            Err(JwksError::BadSignature { refetched: false })
        );
        assert!(matches!(
            peer.cache.verify(&hs, Jwa::ES256, None).await,
            Err(JwksError::Token(JoseError::Algorithm { .. }))
        ));
        assert!(matches!(
            peer.cache.verify("not.a.jwt!", Jwa::ES256, None).await,
            Err(JwksError::Token(JoseError::Malformed(_)))
        ));
        assert_eq!(peer.hits(), 0);
        assert!(peer.cache.keys().is_empty());
        peer.server.stop(false).await;
    }

    #[tokio::test]
    async fn refresh_and_seed_fill_the_cache() {
        let keys = KeySet::generate("peer").unwrap();
        let peer = Peer::start(&keys).await;
        peer.answer(
            200,
            "application/json; charset=utf-8",
            keys.jwks().to_string(),
        );
        let fetched = peer.cache.refresh().await.unwrap();
        assert_eq!(fetched.to_json(), keys.jwks());
        // Within the interval, refresh answers from the cache.
        peer.cache.refresh().await.unwrap();
        assert_eq!(peer.hits(), 1);
        peer.cache.seed(JwkSet::default());
        assert!(peer.cache.keys().is_empty());
        let shown = format!("{:?}", peer.cache);
        assert!(
            shown.contains("peer.test") && shown.contains("keys: 0"),
            "{shown}"
        );
        peer.server.stop(false).await;
    }
}
