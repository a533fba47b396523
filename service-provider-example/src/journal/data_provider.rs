//! The data provider's own exchanges with FranceConnect (checktoken, JWKS), fetched from it for
//! the journal.
//!
//! The SP sends a fresh `X-Correlation-ID` with each call to the data provider, which keeps what
//! it exchanged with the hub under that id (`GET {dp_url}/exchanges/{id}`). The checktoken answer
//! is shown with the data provider's own verdict on its signature; without one (an older data
//! provider), the SP checks it once, against the hub's keys, as the entry is recorded.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::exchange::{Exchange, JwtView, form_pairs, jwt_view, jwt_view_checked};
use crate::formats::utc_timestamp;
use crate::startup::AppState;

const ACTORS: &str = "fournisseur de données → FranceConnect";
const CHECKTOKEN: &str = "Réponse de checktoken";

/// One exchange as the data provider records it; every field is optional so that a different
/// shape degrades to less detail, not to an error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DpExchange {
    kind: String,
    started_at: String,
    duration_ms: Option<u64>,
    request: DpRequest,
    response: Option<DpResponse>,
    /// The JWS answer as the data provider decoded and checked it.
    jws: Option<DpJws>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DpJws {
    signature_valid: Option<bool>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DpRequest {
    method: String,
    url: String,
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DpResponse {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

/// The data provider's exchanges behind each call `recorded` made to it with a correlation id.
pub async fn exchanges(app: &AppState, recorded: &[Exchange]) -> Vec<Exchange> {
    let dp_url = app.config.dp_url.trim_end_matches('/');
    let mut out = Vec::new();
    for call in recorded.iter().filter(|e| e.url.starts_with(dp_url)) {
        let Some((_, id)) = call
            .request_headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-correlation-id"))
        else {
            continue;
        };
        out.extend(fetch(app, &format!("{dp_url}/exchanges/{id}")).await);
    }
    out
}

async fn fetch(app: &AppState, url: &str) -> Vec<Exchange> {
    let fetched = async {
        let response = app.back_channel.get(url).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json::<Vec<DpExchange>>().await.ok()
    }
    .await;
    match fetched {
        Some(list) if !list.is_empty() => list.into_iter().map(|dp| entry(app, dp)).collect(),
        _ => vec![Exchange {
            step: "Vérification du jeton par le fournisseur de données (checktoken)".into(),
            actors: ACTORS.into(),
            at: utc_timestamp(app.clock.now_millis()),
            method: "GET".into(),
            url: url.into(),
            notes: vec![
                "Échanges du fournisseur de données avec FranceConnect : indisponibles.".into(),
            ],
            ..Exchange::default()
        }],
    }
}

fn entry(app: &AppState, dp: DpExchange) -> Exchange {
    let body = dp.response.as_ref().map(|r| r.body.trim().to_owned());
    let jwts = body
        .as_deref()
        .filter(|b| b.split('.').count() == 3)
        .map(|jwt| vec![checktoken_view(app, jwt, dp.jws.as_ref())])
        .unwrap_or_default();
    let params = match dp.request.method.as_str() {
        "POST" => form_pairs(dp.request.body.as_deref().unwrap_or("")),
        _ => Vec::new(),
    };
    Exchange {
        back_channel: true,
        step: format!(
            "Le fournisseur de données interroge FranceConnect ({})",
            dp.kind
        ),
        actors: ACTORS.into(),
        at: dp.started_at,
        params,
        method: dp.request.method,
        url: dp.request.url,
        status: dp.response.as_ref().map(|r| r.status),
        duration_ms: dp.duration_ms,
        request_headers: dp.request.headers.into_iter().collect(),
        request_body: dp.request.body,
        response_headers: dp
            .response
            .map(|r| r.headers.into_iter().collect())
            .unwrap_or_default(),
        jwts,
        response_body: body,
        notes: dp.error.into_iter().collect(),
        // Written when the entry is stored, from the masked request.
        curl: None,
    }
}

/// The checktoken answer with the data provider's verdict, or the SP's own check without one.
fn checktoken_view(app: &AppState, jwt: &str, verdict: Option<&DpJws>) -> JwtView {
    const BY_DP: &str = "Signature valide (vérifiée par le fournisseur de données)";
    match verdict.map(|j| (j.signature_valid, j.error.as_deref())) {
        Some((Some(true), None)) => jwt_view(CHECKTOKEN, jwt, BY_DP),
        Some((Some(true), Some(e))) => {
            jwt_view(CHECKTOKEN, jwt, format!("{BY_DP} — réponse refusée : {e}"))
        }
        Some((Some(false), error)) => jwt_view(
            CHECKTOKEN,
            jwt,
            format!(
                "Signature non validée par le fournisseur de données : {}",
                error.unwrap_or("non vérifiée")
            ),
        ),
        _ => jwt_view_checked(CHECKTOKEN, jwt, &app.hub.cached_keys()),
    }
}
