//! The HTTP client every step uses for its server-to-server calls: the shared back channel, with
//! each exchange of the request recorded for the journal, exactly as sent and received.
//!
//! Steps receive it as an extractor ([`Http`]) and use it as `openidconnect`'s HTTP client
//! (`let http = |r| client.send(r);`). The checks of the hub's JWTs, all made through
//! [`crate::hub::Hub::verify_jwt`], leave their verdict here too, so the journal shows the result
//! of the check that decided without verifying anything twice — and, for a token FranceConnect+
//! encrypted, which of our keys opened it.

use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use fc_plumbing::{BackChannel, BackChannelError, Clock};
use openidconnect::{HttpRequest as OidcRequest, HttpResponse as OidcResponse};

use super::exchange::Exchange;
use crate::startup::AppState;

/// What one request exchanged through the back channel, and the verdicts on the JWTs received.
#[derive(Debug, Default)]
pub struct Recorder {
    calls: Mutex<Vec<Exchange>>,
    verdicts: Mutex<Vec<JwtCheck>>,
    openings: Mutex<Vec<Opening>>,
    clock: Clock,
}

/// The outcome of the decryption of one JWE of the hub (FranceConnect+).
#[derive(Debug, Clone)]
pub struct Opening {
    pub jwe: String,
    /// Its protected header, when readable.
    pub header: Option<serde_json::Value>,
    /// The `kid` of our key that opened it, or why it did not open.
    pub outcome: Result<String, String>,
    /// What it held: the signed JWT, whose verdict follows.
    pub plaintext: Option<String>,
}

/// A decryption's outcome: the `kid` of our key and the JWT inside, or why it failed.
pub type Opened<'a> = Result<(&'a str, &'a str), &'a str>;

/// What one request recorded: the exchanges, the verdicts on the JWTs, the JWE decryptions.
#[derive(Debug, Default)]
pub struct Recorded {
    pub calls: Vec<Exchange>,
    pub verdicts: Vec<JwtCheck>,
    pub openings: Vec<Opening>,
}

/// The outcome of the check of one JWT of the hub.
#[derive(Debug, Clone)]
pub struct JwtCheck {
    pub jwt: String,
    /// Why it was refused; `None` when it passed.
    pub refused: Option<String>,
}

impl Recorder {
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            ..Self::default()
        }
    }

    /// The exchanges recorded so far, oldest first, with the verdicts on the JWTs received and
    /// the decryptions of the JWEs.
    pub fn take(&self) -> Recorded {
        Recorded {
            calls: std::mem::take(&mut *lock(&self.calls)),
            verdicts: std::mem::take(&mut *lock(&self.verdicts)),
            openings: std::mem::take(&mut *lock(&self.openings)),
        }
    }

    /// When it is, as the journal writes it.
    pub fn now(&self) -> String {
        crate::formats::utc_timestamp(self.clock.now_millis())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The back channel of one request, recording for its journal (or not, outside a request).
#[derive(Clone)]
pub struct Http {
    back_channel: BackChannel,
    recorder: Option<Arc<Recorder>>,
}

impl Http {
    /// A client whose exchanges go nowhere (health probes, background work).
    pub fn unrecorded(back_channel: BackChannel) -> Self {
        Self {
            back_channel,
            recorder: None,
        }
    }

    pub fn recording(back_channel: BackChannel, recorder: Arc<Recorder>) -> Self {
        Self {
            back_channel,
            recorder: Some(recorder),
        }
    }

    /// Sends `request` and records it. Usable as `openidconnect`'s HTTP client.
    pub async fn send(&self, request: OidcRequest) -> Result<OidcResponse, BackChannelError> {
        let Some(recorder) = &self.recorder else {
            return self.back_channel.send_oidc(request).await;
        };
        let mut exchange = request_exchange(&request, recorder.now());
        let started = Instant::now();
        let result = self.back_channel.send_oidc(request).await;
        exchange.duration_ms = u64::try_from(started.elapsed().as_millis()).ok();
        log_call(&exchange, &result);
        match &result {
            Ok(response) => {
                exchange.status = Some(response.status().as_u16());
                exchange.response_headers = header_pairs(response.headers());
                exchange.response_body = body_text(response.body());
            }
            Err(e) => exchange.notes.push(format!("Échec de la requête : {e}")),
        }
        // Masked once, by the journal store, when the request's exchanges are appended.
        lock(&recorder.calls).push(exchange);
        result
    }

    /// The verdict of the check of `jwt` (a JWT received from the hub): `refused` says why.
    pub fn verdict(&self, jwt: &str, refused: Option<String>) {
        if let Some(recorder) = &self.recorder {
            let jwt = jwt.to_owned();
            lock(&recorder.verdicts).push(JwtCheck { jwt, refused });
        }
    }
}

impl Http {
    /// The decryption of `jwe` (a token the hub encrypted to our key): which key opened it, or
    /// why it did not open.
    pub fn opened(&self, jwe: &str, header: Option<serde_json::Value>, outcome: Opened<'_>) {
        if let Some(recorder) = &self.recorder {
            let (outcome, plaintext) = match outcome {
                Ok((kid, plaintext)) => (Ok(kid.to_owned()), Some(plaintext.to_owned())),
                Err(why) => (Err(why.to_owned()), None),
            };
            lock(&recorder.openings).push(Opening {
                jwe: jwe.to_owned(),
                header,
                outcome,
                plaintext,
            });
        }
    }
}

fn request_exchange(request: &OidcRequest, at: String) -> Exchange {
    Exchange {
        back_channel: true,
        at,
        method: request.method().to_string(),
        url: request.uri().to_string(),
        request_headers: header_pairs(request.headers()),
        request_body: body_text(request.body()),
        ..Exchange::default()
    }
}

/// One log line per call, naming the endpoint only: no query, header or body (tokens stay out).
fn log_call(exchange: &Exchange, result: &Result<OidcResponse, BackChannelError>) {
    let endpoint = exchange.url.split('?').next().unwrap_or("");
    match result {
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
}

fn header_pairs(headers: &openidconnect::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.to_string(), value)
        })
        .collect()
}

fn body_text(body: &[u8]) -> Option<String> {
    (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned())
}

/// The client of this request: recording when the journal's middleware runs (it puts the
/// request's [`Recorder`] in the request's extensions), else unrecorded.
impl FromRequest for Http {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(app) = request.app_data::<web::Data<AppState>>() else {
            return ready(Err(actix_web::error::ErrorInternalServerError(
                "application state missing",
            )));
        };
        let back_channel = app.back_channel.clone();
        let recorder = request.extensions().get::<Arc<Recorder>>().cloned();
        ready(Ok(match recorder {
            Some(recorder) => Http::recording(back_channel, recorder),
            None => Http::unrecorded(back_channel),
        }))
    }
}
