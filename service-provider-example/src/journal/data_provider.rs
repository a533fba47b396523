//! The data provider's own exchanges with FranceConnect (checktoken, JWKS), fetched from it for
//! the journal.
//!
//! The SP sends a fresh `X-Correlation-ID` with each call to the data provider, which keeps what
//! it exchanged with the hub under that id (`GET {dp_url}/exchanges/{id}`). The checktoken answer
//! is shown with the data provider's own verdict on its signature; without one (an older data
//! provider), the SP checks it once, against the keys of the hub that issued it, as the entry is
//! recorded. When the hub encrypted the answer to the data provider (a JWE), the SP cannot open
//! it: it shows the JWE header and the key the data provider says it used, then the signed
//! answer inside as the data provider decoded it.

use std::collections::BTreeMap;

use serde::Deserialize;

use serde_json::Value;

use super::exchange::{Exchange, JwtContent, JwtView, jwe_view, jwt_view, jwt_view_checked};
use crate::formats::utc_timestamp;
use crate::hub::Platform;
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
    /// The JWE answer as the data provider opened it (an encrypted checktoken answer).
    jwe: Option<DpJwe>,
    /// The JWS answer as the data provider decoded and checked it.
    jws: Option<DpJws>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DpJwe {
    header: Value,
    kid: Option<String>,
    decrypted: bool,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DpJws {
    header: Option<Value>,
    payload: Option<Value>,
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
        let response = app
            .back_channel
            .send(app.back_channel.get(url))
            .await
            .ok()?;
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
    let jwts = match (body.as_deref(), &dp.jwe) {
        (Some(jwe), Some(opened)) if jwe.split('.').count() == 5 => {
            encrypted_views(opened, dp.jws.as_ref())
        }
        (Some(jwt), _) if jwt.split('.').count() == 3 => {
            vec![checktoken_view(app, jwt, dp.jws.as_ref())]
        }
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
    }
}

/// An encrypted checktoken answer: the JWE as the data provider opened it, then the JWS inside
/// as it decoded it, with its verdict.
fn encrypted_views(opened: &DpJwe, jws: Option<&DpJws>) -> Vec<JwtView> {
    let verdict = match (&opened.kid, opened.decrypted, &opened.error) {
        (Some(kid), true, _) => {
            format!("Déchiffré par le fournisseur de données avec sa clé « {kid} »")
        }
        (_, _, Some(error)) => {
            format!("Non déchiffré par le fournisseur de données : {error}")
        }
        _ => "Non déchiffré par le fournisseur de données".to_owned(),
    };
    let mut views = vec![jwe_view(CHECKTOKEN, Some(&opened.header), verdict)];
    if let Some(jws) = jws.filter(|_| opened.decrypted) {
        views.push(JwtView {
            label: CHECKTOKEN.into(),
            content: JwtContent::Decoded {
                header: jws.header.clone(),
                payload: jws.payload.clone(),
            },
            verdict: dp_verdict(jws.signature_valid, jws.error.as_deref())
                .unwrap_or_else(|| "Non vérifiée".to_owned())
                .into(),
            encrypted: false,
        });
    }
    views
}

const BY_DP: &str = "Signature valide (vérifiée par le fournisseur de données)";

/// The data provider's verdict on the signature, in words (none when it gave none).
fn dp_verdict(valid: Option<bool>, error: Option<&str>) -> Option<String> {
    match (valid, error) {
        (Some(true), None) => Some(BY_DP.to_owned()),
        (Some(true), Some(e)) => Some(format!("{BY_DP} — réponse refusée : {e}")),
        (Some(false), error) => Some(format!(
            "Signature non validée par le fournisseur de données : {}",
            error.unwrap_or("non vérifiée")
        )),
        (None, _) => None,
    }
}

/// The checktoken answer with the data provider's verdict, or the SP's own check without one,
/// with the keys of the hub that issued it.
fn checktoken_view(app: &AppState, jwt: &str, verdict: Option<&DpJws>) -> JwtView {
    match verdict.and_then(|j| dp_verdict(j.signature_valid, j.error.as_deref())) {
        Some(words) => jwt_view(CHECKTOKEN, jwt, words),
        None => {
            let issuer = fc_plumbing::jose::decode_unverified(jwt)
                .ok()
                .and_then(|d| {
                    d.payload
                        .get("iss")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
            let hub = issuer
                .and_then(|iss| app.hubs.by_issuer(&iss))
                .unwrap_or(app.hubs.get(Platform::FranceConnect));
            jwt_view_checked(CHECKTOKEN, jwt, &hub.cached_keys())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shown(views: &[JwtView]) -> Vec<Value> {
        views
            .iter()
            .map(|v| serde_json::to_value(v).unwrap())
            .collect()
    }

    #[test]
    fn an_encrypted_checktoken_answer_shows_the_jwe_then_the_jws_the_data_provider_opened() {
        let opened = DpJwe {
            header: json!({"alg": "ECDH-ES", "enc": "A256GCM", "kid": "dp-key"}),
            kid: Some("dp-key".into()),
            decrypted: true,
            error: None,
        };
        let jws = DpJws {
            header: Some(json!({"alg": "ES256"})),
            payload: Some(json!({"token_introspection": {"active": true}})),
            signature_valid: Some(true),
            error: None,
        };
        let views = shown(&encrypted_views(&opened, Some(&jws)));
        assert_eq!(views.len(), 2);
        assert_eq!(views[0]["encrypted"], true);
        assert!(views[0]["header"].as_str().unwrap().contains("ECDH-ES"));
        assert_eq!(
            views[0]["signature"],
            "Déchiffré par le fournisseur de données avec sa clé « dp-key »"
        );
        assert!(
            views[1]["payload"]
                .as_str()
                .unwrap()
                .contains("token_introspection")
        );
        assert_eq!(views[1]["encrypted"], false, "the JWS found inside");
        assert_eq!(views[1]["signature"], BY_DP);

        let refused = DpJwe {
            decrypted: false,
            kid: None,
            error: Some("clé inconnue".into()),
            ..opened
        };
        let views = shown(&encrypted_views(&refused, Some(&jws)));
        assert_eq!(
            views.len(),
            1,
            "nothing inside is shown when it did not open"
        );
        assert_eq!(
            views[0]["signature"],
            "Non déchiffré par le fournisseur de données : clé inconnue"
        );
    }
}
