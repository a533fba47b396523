//! Checking an access token at the hub (FranceConnect's checktoken, the data provider's first
//! step on each call).
//!
//! v2 (default): `POST {hub}/api/v2/checktoken` with the DP's credentials as a form. The answer
//! (`application/token-introspection+jwt`) is, as FranceConnect v2 sends it to a DP that
//! registered encryption keys, a compact JWE: its `alg` and `enc` must be the pinned ones (any
//! other is refused before a key is touched), the DP decrypts it with its own key, and finds
//! inside the compact JWS the hub signed — decrypting proves nothing about the sender, so the
//! JWS is then checked as if it had come in clear. A DP that pins no encryption takes the JWS
//! directly and refuses a JWE. The JWS is only trusted after:
//! - its signature verifies with a key of the hub's JWKS (`{hub}/api/v2/jwks`), with the
//!   algorithm pinned by configuration, never taken from the JWS header (algorithm confusion,
//!   see [`crate::jwks`], which also caches the JWKS and fetches it again on key rotation);
//! - `iss` is the hub's issuer byte for byte, `aud` is this DP's client_id, and `iat` is within
//!   [`MAX_IAT_SKEW_SECS`] of now (a replayed old answer is refused).
//!
//! v1 (legacy): `POST {hub}/api/v1/checktoken` with `{"token"}` as JSON, plain JSON back.
//!
//! Outcomes: an active token (scopes + identité pivot), an inactive one (v2 `active: false`, v1
//! 401), or a [`HubError`] — the hub could not be reached, refused the DP's own credentials (v2
//! 400 `invalid_request` / 401 `invalid_client`: a configuration problem of the DP), or said
//! something that cannot be trusted. Every exchange is returned for the journal, with
//! `client_secret` masked; logs carry neither the token nor the secret.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fc_plumbing::jose::{JwkSet, decode_unverified};
use fc_plumbing::jwe::{self, ContentEnc, DecryptionKeys, KeyAlg};
use fc_plumbing::{BackChannel, Clock, Jwa, Secret};
use reqwest::header::{ACCEPT, HeaderMap};
use serde_json::{Value, json};

use crate::config::CheckTokenVersion;
use crate::exchanges::{Exchange, RecordedJwe, RecordedJws, RecordedRequest, RecordedResponse};
use crate::jwks::{HubKeys, MIN_REFETCH_INTERVAL, checked_alg};
use crate::records::PivotIdentity;

/// How far `iat` of a checktoken answer may be from now, in seconds.
pub const MAX_IAT_SKEW_SECS: i64 = 60;
/// Larger hub answers are refused (a checktoken answer is a few kilobytes).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// What replaces the client secret in the journal.
pub const MASK: &str = "********";

/// What the hub says about an active token.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveToken {
    /// The token's scopes (v2: already ∩ the DP's scopes; v1: all of them).
    pub scopes: Vec<String>,
    pub identity: PivotIdentity,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenStatus {
    Active(ActiveToken),
    Inactive,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HubError {
    #[error("the hub cannot be reached: {0}")]
    Unreachable(String),
    #[error(
        "the hub refused this data provider's request ({status} {error}{}): check its client_id, client_secret and registration",
        description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    Refused {
        status: u16,
        error: String,
        /// The hub's `error_description`, when it gave one.
        description: Option<String>,
    },
    #[error("invalid answer from the hub: {0}")]
    InvalidAnswer(String),
}

/// The hub as seen by the DP; shared by all workers.
pub struct HubClient {
    back_channel: BackChannel,
    hub_url: String,
    client_id: String,
    client_secret: Secret,
    version: CheckTokenVersion,
    /// The one algorithm a checktoken answer may be signed with (see [`crate::jwks`]).
    alg: Jwa,
    keys: HubKeys,
    /// The JWE `alg` and `enc` answers must carry, when they come encrypted.
    encryption: Option<(KeyAlg, ContentEnc)>,
    /// The DP's own keys, which decrypt the answers (their public half is published).
    own_keys: DecryptionKeys,
    clock: Clock,
}

/// How the DP reaches and authenticates to the hub.
pub struct HubSettings<'a> {
    pub hub_url: &'a str,
    pub client_id: &'a str,
    pub client_secret: Secret,
    pub version: CheckTokenVersion,
    pub alg: Jwa,
    /// The pinned JWE `alg` and `enc` of answers; `None`: answers are not encrypted.
    pub encryption: Option<(KeyAlg, ContentEnc)>,
    pub own_keys: DecryptionKeys,
}

/// A raw answer: status and (bounded) body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl HubClient {
    /// A client of the hub; refused when the pinned algorithm is not one the hub signs with.
    pub fn new(
        back_channel: BackChannel,
        settings: HubSettings<'_>,
        clock: Clock,
    ) -> Result<Self, String> {
        // A base URL, not an issuer: a trailing slash here would only double the one below.
        let hub_url = settings.hub_url.trim_end_matches('/').to_owned();
        let jwks_url = format!("{hub_url}/api/v2/jwks");
        Ok(Self {
            keys: HubKeys::new(
                &jwks_url,
                back_channel.clone(),
                clock.clone(),
                MIN_REFETCH_INTERVAL,
            ),
            back_channel,
            hub_url,
            client_id: settings.client_id.to_owned(),
            client_secret: settings.client_secret,
            version: settings.version,
            alg: checked_alg(settings.alg)?,
            encryption: settings.encryption,
            own_keys: settings.own_keys,
            clock,
        })
    }

    /// The DP's public encryption keys, as it publishes them for the hub (`jwks_uri`). May wait
    /// for the RSA key's generation on first use: call it off the async workers.
    pub fn public_keys(&self) -> Value {
        self.own_keys.jwks()
    }

    /// The hub's issuer, `{hub_url}/api/v2`.
    pub fn issuer(&self) -> String {
        format!("{}/api/v2", self.hub_url)
    }

    /// Asks the hub about `token`; the exchanges it took are appended to `journal`.
    pub async fn check(
        &self,
        token: &str,
        journal: &mut Vec<Exchange>,
    ) -> Result<TokenStatus, HubError> {
        match self.version {
            CheckTokenVersion::V2 => self.check_v2(token, journal).await,
            CheckTokenVersion::V1 => self.check_v1(token, journal).await,
        }
    }

    async fn check_v2(
        &self,
        token: &str,
        journal: &mut Vec<Exchange>,
    ) -> Result<TokenStatus, HubError> {
        let url = format!("{}/checktoken", self.issuer());
        let form = [
            ("token", token),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        let shown = serde_urlencoded::to_string([
            ("token", token),
            ("client_id", self.client_id.as_str()),
            ("client_secret", MASK),
        ])
        .unwrap_or_default();
        let request = self
            .back_channel
            .post(&url)
            .header(ACCEPT, "application/token-introspection+jwt")
            .form(&form);
        let (mut exchange, answer) = self
            .send("checktoken", "POST", &url, request, Some(shown))
            .await;
        let mut jwks_exchanges = Vec::new();
        let result = match answer {
            Ok(answer) => {
                self.read_v2_answer(answer, &mut exchange, &mut jwks_exchanges)
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            exchange.error.get_or_insert_with(|| e.to_string());
        }
        journal.push(exchange);
        journal.extend(jwks_exchanges);
        result
    }

    async fn read_v2_answer(
        &self,
        answer: Answer,
        exchange: &mut Exchange,
        journal: &mut Vec<Exchange>,
    ) -> Result<TokenStatus, HubError> {
        match answer.status {
            200 => {}
            400 | 401 => {
                let body = serde_json::from_slice::<Value>(&answer.body).ok();
                let member = |name: &str| {
                    body.as_ref()
                        .and_then(|v| v.get(name).and_then(Value::as_str).map(str::to_owned))
                };
                return Err(HubError::Refused {
                    status: answer.status,
                    error: member("error").unwrap_or_else(|| "no error code".to_owned()),
                    description: member("error_description"),
                });
            }
            other => {
                return Err(HubError::InvalidAnswer(format!(
                    "unexpected status {other}"
                )));
            }
        }
        let body = std::str::from_utf8(&answer.body)
            .map(str::trim)
            .map_err(|_| HubError::InvalidAnswer("the answer is not text".into()))?;
        let jws = self.open(body, &mut exchange.jwe)?;
        let jws = jws.as_str();
        let decoded = decode_unverified(jws)
            .map_err(|e| HubError::InvalidAnswer(format!("not a JWS: {e}")))?;
        let record = exchange.jws.insert(RecordedJws {
            header: decoded.header,
            payload: decoded.payload,
            signature_valid: false,
            error: None,
        });

        let payload = match self.verify_signature(jws, journal).await {
            Ok(payload) => payload,
            Err(e) => {
                record.error = Some(e.to_string());
                return Err(e);
            }
        };
        record.signature_valid = true;
        let now = self.clock.now();
        let status = read_introspection(&payload, &self.issuer(), &self.client_id, now).map_err(
            |reason| {
                record.error = Some(reason.clone());
                HubError::InvalidAnswer(reason)
            },
        )?;
        Ok(status)
    }

    /// The signed answer: `body` itself when no encryption is pinned, else the JWS inside the
    /// JWE `body`, decrypted with the DP's key after its `alg` and `enc` were found to be the
    /// pinned ones. The JWE's header and outcome are recorded for the journal.
    fn open(&self, body: &str, recorded: &mut Option<RecordedJwe>) -> Result<String, HubError> {
        let parts = body.split('.').count();
        let Some((alg, enc)) = self.encryption else {
            if parts == 5 {
                return Err(HubError::InvalidAnswer(
                    "the answer is encrypted (JWE) but this data provider pins no encryption \
                     (--checktoken-encryption-alg)"
                        .into(),
                ));
            }
            return Ok(body.to_owned());
        };
        if parts != 5 {
            return Err(HubError::InvalidAnswer(format!(
                "expected an encrypted answer (JWE {alg}/{enc}), got {parts} parts: is \
                 checktoken_encrypted_response_alg registered at the hub?"
            )));
        }
        let header = jwe::peek_header(body)
            .map_err(|e| HubError::InvalidAnswer(format!("not a JWE: {e}")))?;
        let record = recorded.insert(RecordedJwe {
            header,
            kid: None,
            decrypted: false,
            error: None,
        });
        match jwe::decrypt(body, &self.own_keys, alg, enc) {
            Ok(opened) => {
                record.decrypted = true;
                record.kid = Some(opened.kid);
                Ok(opened.plaintext)
            }
            Err(e) => {
                let reason = format!("the JWE is refused: {e}");
                record.error = Some(reason.clone());
                Err(HubError::InvalidAnswer(reason))
            }
        }
    }

    /// Verifies `jws` with the hub's keys ([`crate::jwks`]); the JWKS fetches it takes are
    /// appended to `journal` (the first one in full, a refetch of the cache as a plain GET).
    async fn verify_signature(
        &self,
        jws: &str,
        journal: &mut Vec<Exchange>,
    ) -> Result<Value, HubError> {
        let checked = self
            .keys
            .verify(jws, self.alg, async || self.fetch_jwks(journal).await)
            .await;
        if checked.refetched {
            journal.push(self.refetch_exchange());
        }
        checked.payload
    }

    /// The cache fetched the hub's keys again (its own call, logged by it): the journal says so.
    fn refetch_exchange(&self) -> Exchange {
        Exchange {
            kind: "jwks",
            started_at: timestamp(self.clock.now_millis()),
            duration_ms: 0,
            request: RecordedRequest {
                method: "GET".to_owned(),
                url: self.keys.url().to_owned(),
                headers: BTreeMap::new(),
                body: None,
            },
            response: None,
            jwe: None,
            jws: None,
            error: None,
        }
    }

    async fn fetch_jwks(&self, journal: &mut Vec<Exchange>) -> Result<JwkSet, HubError> {
        let url = self.keys.url().to_owned();
        let request = self
            .back_channel
            .get(&url)
            .header(ACCEPT, "application/json");
        let (mut exchange, answer) = self.send("jwks", "GET", &url, request, None).await;
        let result = answer.and_then(|answer| {
            if answer.status != 200 {
                return Err(HubError::InvalidAnswer(format!(
                    "JWKS: unexpected status {}",
                    answer.status
                )));
            }
            let doc: Value = serde_json::from_slice(&answer.body)
                .map_err(|_| HubError::InvalidAnswer("JWKS: not JSON".into()))?;
            JwkSet::from_json(&doc).map_err(|e| HubError::InvalidAnswer(format!("JWKS: {e}")))
        });
        if let Err(e) = &result {
            exchange.error.get_or_insert_with(|| e.to_string());
        }
        journal.push(exchange);
        result
    }

    async fn check_v1(
        &self,
        token: &str,
        journal: &mut Vec<Exchange>,
    ) -> Result<TokenStatus, HubError> {
        let url = format!("{}/api/v1/checktoken", self.hub_url);
        let body = json!({ "token": token });
        let request = self.back_channel.post(&url).json(&body);
        let (mut exchange, answer) = self
            .send("checktoken", "POST", &url, request, Some(body.to_string()))
            .await;
        let result = answer.and_then(|answer| match answer.status {
            200 => read_v1_answer(&answer.body),
            401 => Ok(TokenStatus::Inactive),
            other => Err(HubError::InvalidAnswer(format!(
                "unexpected status {other}"
            ))),
        });
        if let Err(e) = &result {
            exchange.error.get_or_insert_with(|| e.to_string());
        }
        journal.push(exchange);
        result
    }

    /// Sends one request, recording it; the answer body is read up to [`MAX_ANSWER_BYTES`].
    async fn send(
        &self,
        kind: &'static str,
        method: &str,
        public_url: &str,
        request: reqwest::RequestBuilder,
        shown_body: Option<String>,
    ) -> (Exchange, Result<Answer, HubError>) {
        let started = Instant::now();
        let mut exchange = Exchange {
            kind,
            started_at: timestamp(self.clock.now_millis()),
            duration_ms: 0,
            request: RecordedRequest {
                method: method.to_owned(),
                url: public_url.to_owned(),
                headers: BTreeMap::new(),
                body: shown_body,
            },
            response: None,
            jwe: None,
            jws: None,
            error: None,
        };
        let (_, request) = request.build_split();
        let result = match request {
            Ok(request) => {
                exchange.request.headers = recorded_headers(request.headers());
                self.execute(request, &mut exchange).await
            }
            Err(e) => Err(HubError::Unreachable(error_chain(&e))),
        };
        exchange.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Err(e) = &result {
            exchange.error = Some(e.to_string());
        }
        tracing::info!(
            kind,
            url = public_url,
            status = exchange.response.as_ref().map(|r| r.status),
            duration_ms = exchange.duration_ms,
            error = exchange.error.as_deref(),
            "hub call"
        );
        (exchange, result)
    }

    async fn execute(
        &self,
        request: reqwest::Request,
        exchange: &mut Exchange,
    ) -> Result<Answer, HubError> {
        let mut response = self
            .back_channel
            .execute(request)
            .await
            .map_err(|e| HubError::Unreachable(e.cause()))?;
        let status = response.status().as_u16();
        let headers = recorded_headers(response.headers());
        let mut body = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| HubError::Unreachable(error_chain(&e)))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                too_large = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        exchange.response = Some(RecordedResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        if too_large {
            return Err(HubError::InvalidAnswer(format!(
                "answer larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        Ok(Answer { status, body })
    }
}

/// Checks the claims of a verified v2 answer and reads its `token_introspection`.
pub fn read_introspection(
    payload: &Value,
    issuer: &str,
    client_id: &str,
    now: i64,
) -> Result<TokenStatus, String> {
    let iss = payload.get("iss").and_then(Value::as_str);
    if iss != Some(issuer) {
        return Err(format!("iss {iss:?} is not {issuer:?}"));
    }
    let aud_ok = match payload.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("aud is not this data provider ({client_id})"));
    }
    let iat = payload
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or("no numeric iat")?;
    if (now - iat).abs() > MAX_IAT_SKEW_SECS {
        return Err(format!(
            "iat {iat} is more than {MAX_IAT_SKEW_SECS} s away from now ({now})"
        ));
    }
    let introspection = payload
        .get("token_introspection")
        .and_then(Value::as_object)
        .ok_or("no token_introspection object")?;
    match introspection.get("active").and_then(Value::as_bool) {
        Some(true) => {}
        Some(false) => return Ok(TokenStatus::Inactive),
        None => return Err("token_introspection.active is not a boolean".into()),
    }
    // The hub decides, but an answer about an already expired token is not worth serving.
    if introspection
        .get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|exp| exp <= now)
    {
        return Ok(TokenStatus::Inactive);
    }
    let scopes = match introspection.get("scope") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(_) => return Err("token_introspection.scope is not a string".into()),
    };
    let identity = serde_json::from_value(Value::Object(introspection.clone()))
        .map_err(|e| format!("token_introspection: {e}"))?;
    Ok(TokenStatus::Active(ActiveToken { scopes, identity }))
}

/// Reads a v1 `200` answer: `{"scope": [...], "identity": {...}, ...}`.
fn read_v1_answer(body: &[u8]) -> Result<TokenStatus, HubError> {
    #[derive(serde::Deserialize)]
    struct V1Answer {
        scope: Vec<String>,
        identity: PivotIdentity,
    }
    let answer: V1Answer = serde_json::from_slice(body)
        .map_err(|e| HubError::InvalidAnswer(format!("v1 checktoken: {e}")))?;
    Ok(TokenStatus::Active(ActiveToken {
        scopes: answer.scope,
        identity: answer.identity,
    }))
}

fn recorded_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if name == reqwest::header::AUTHORIZATION {
                MASK.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

/// `error: cause: cause…` — reqwest's top-level message alone rarely says what went wrong.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// A short, non-reversible label for a token, for logs.
pub fn token_fingerprint(token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    hex::encode(digest.get(..6).unwrap_or_default())
}

/// `millis` as RFC 3339 UTC, for the journal.
fn timestamp(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The timeout a [`BackChannel`] to the hub gets.
pub fn timeout(secs: u64) -> Duration {
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "http://localhost:8000/api/v2";
    const DP: &str = "dp-client";

    fn payload(introspection: Value) -> Value {
        json!({"iss": ISS, "aud": DP, "iat": 1_000_000, "token_introspection": introspection})
    }

    fn active() -> Value {
        json!({
            "active": true, "aud": "sp", "sub": "abc", "exp": 1_000_060, "scope": "dgfip_rfr dgfip_aft",
            "given_name": "Mélaine Évelyne", "family_name": "TROIS", "birthdate": "1981-07-27",
            "gender": "female", "birthplace": "95277", "birthcountry": "99100"
        })
    }

    #[test]
    fn an_active_answer_gives_scopes_and_identity() {
        let TokenStatus::Active(token) =
            read_introspection(&payload(active()), ISS, DP, 1_000_001).unwrap()
        else {
            panic!("inactive");
        };
        assert_eq!(token.scopes, vec!["dgfip_rfr", "dgfip_aft"]);
        assert_eq!(token.identity.family_name.as_deref(), Some("TROIS"));
        assert_eq!(token.identity.birthcountry.as_deref(), Some("99100"));
    }

    #[test]
    fn inactive_and_expired_tokens_are_inactive() {
        let inactive = payload(json!({"active": false}));
        assert_eq!(
            read_introspection(&inactive, ISS, DP, 1_000_000),
            Ok(TokenStatus::Inactive)
        );
        let mut expired = payload(active());
        expired["iat"] = json!(1_000_060);
        assert_eq!(
            read_introspection(&expired, ISS, DP, 1_000_060),
            Ok(TokenStatus::Inactive)
        );
    }

    #[test]
    fn issuer_audience_and_freshness_are_checked() {
        let now = 1_000_000;
        let mut wrong_iss = payload(active());
        wrong_iss["iss"] = json!("http://localhost:8000/api/v2/");
        assert!(
            read_introspection(&wrong_iss, ISS, DP, now)
                .unwrap_err()
                .contains("iss")
        );
        let mut wrong_aud = payload(active());
        wrong_aud["aud"] = json!("sp");
        assert!(
            read_introspection(&wrong_aud, ISS, DP, now)
                .unwrap_err()
                .contains("aud")
        );
        let mut listed_aud = payload(active());
        listed_aud["aud"] = json!(["other", DP]);
        assert!(read_introspection(&listed_aud, ISS, DP, now).is_ok());
        assert!(read_introspection(&payload(active()), ISS, DP, now + 60).is_ok());
        assert!(
            read_introspection(&payload(active()), ISS, DP, now + 61)
                .unwrap_err()
                .contains("iat")
        );
        assert!(
            read_introspection(&payload(active()), ISS, DP, now - 61)
                .unwrap_err()
                .contains("iat")
        );
        let mut no_iat = payload(active());
        no_iat.as_object_mut().unwrap().remove("iat");
        assert!(read_introspection(&no_iat, ISS, DP, now).is_err());
    }

    #[test]
    fn malformed_introspections_are_refused() {
        let now = 1_000_000;
        assert!(
            read_introspection(&json!({"iss": ISS, "aud": DP, "iat": now}), ISS, DP, now).is_err()
        );
        assert!(read_introspection(&payload(json!({"active": "yes"})), ISS, DP, now).is_err());
        let mut bad_scope = active();
        bad_scope["scope"] = json!(["dgfip_rfr"]);
        assert!(read_introspection(&payload(bad_scope), ISS, DP, now).is_err());
        let mut bad_name = active();
        bad_name["family_name"] = json!(42);
        assert!(read_introspection(&payload(bad_name), ISS, DP, now).is_err());
    }

    #[test]
    fn v1_answers_are_read() {
        let body = json!({
            "scope": ["openid", "dgfip_rfr"],
            "identity": {"given_name": "Mélaine", "family_name": "TROIS"},
            "client": {"client_id": "sp", "client_name": "SP"},
            "identity_provider_id": "idp", "identity_provider_host": "localhost", "acr": "eidas1"
        });
        let TokenStatus::Active(token) = read_v1_answer(body.to_string().as_bytes()).unwrap()
        else {
            panic!("inactive");
        };
        assert_eq!(token.scopes, vec!["openid", "dgfip_rfr"]);
        assert!(read_v1_answer(b"<html>").is_err());
    }

    #[test]
    fn token_fingerprints_are_short_and_stable() {
        assert_eq!(token_fingerprint("abc"), token_fingerprint("abc"));
        assert_eq!(token_fingerprint("abc").len(), 12);
        assert_ne!(token_fingerprint("abc"), token_fingerprint("abd"));
    }
}
