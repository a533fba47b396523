//! Step 4 — call the data provider with the access token (SPEC §6, §7).
//!
//! FranceConnect's access token is the user's authorisation: the SP sends it to the data provider
//! as `Authorization: Bearer <access token>`; the data provider checks it at the hub
//! (`/checktoken`), which tells it who the user is and which data scopes were granted. The token
//! lives 60 seconds: past that, the user goes through FranceConnect again (SSO makes it quick).
//!
//! A fresh `X-Correlation-ID` goes with every call, so the data provider's own exchanges with the
//! hub can be fetched afterwards (`GET {dp_url}/exchanges/{id}`) and shown in the journal.
//! Partner documentation (data providers and checktoken): <https://docs.partenaires.franceconnect.gouv.fr/>.

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use serde_json::Value;

use crate::error::SpError;
use std::collections::BTreeMap;

use serde::Deserialize;

use crate::journal::{Exchange, Journal, Recorder, jwt_view, jwt_view_checked, pretty};
use crate::session;
use crate::startup::AppState;

/// The resource called: the "API Impôt particulier" look-alike, income of 2024.
const DP_RESOURCE: &str = "/situations/ir/assiettes/annrev/2024";

/// `GET /data`
pub async fn data_get(app: web::Data<AppState>, session: Session) -> Result<HttpResponse, SpError> {
    let Some(grant) = session::data_grant(&session)? else {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, "/data/login"))
            .finish());
    };
    let dp_url = app.config.dp_url.trim_end_matches('/');
    let url = format!("{dp_url}{DP_RESOURCE}");
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let mut journal = Journal::open(&app.journals, &session)?;

    let request = openidconnect::http::Request::get(&url)
        .header(
            header::AUTHORIZATION.as_str(),
            format!("Bearer {}", grant.access_token),
        )
        .header("X-Correlation-ID", correlation_id.as_str())
        .header(header::ACCEPT.as_str(), "application/json")
        .body(Vec::new())
        .map_err(|e| SpError::Session(e.to_string()))?;
    let recorder = Recorder::new();
    let sent = recorder.send(&app.back_channel, request).await;
    recorder
        .take(
            "Appel du fournisseur de données avec le jeton d'accès",
            "SP → fournisseur de données",
        )
        .into_iter()
        .for_each(|x| journal.push(x));
    data_provider_exchanges(&app, dp_url, &correlation_id)
        .await
        .into_iter()
        .for_each(|x| journal.push(x));

    let (status, body) = match &sent {
        Ok(response) => (
            Some(response.status().as_u16()),
            String::from_utf8_lossy(response.body()).into_owned(),
        ),
        Err(_) => (None, String::new()),
    };
    let (outcome, message) = match status {
        Some(200) => ("ok", "Données transmises par le fournisseur de données."),
        Some(401) => (
            "expired",
            "Le jeton d'accès a expiré ou n'est plus valide (il ne vit que 60 secondes). \
             Recommencez : FranceConnect vous reconnaîtra sans vous redemander de vous identifier.",
        ),
        Some(403) => (
            "scope",
            "Le jeton d'accès ne donne pas accès à ces données : aucun des scopes du fournisseur \
             de données n'a été accordé.",
        ),
        Some(404) => (
            "not_found",
            "Le fournisseur de données ne connaît pas cette personne : aucune donnée n'est disponible.",
        ),
        Some(_) => (
            "error",
            "Le fournisseur de données a répondu par une erreur.",
        ),
        None => (
            "unreachable",
            "Le fournisseur de données ne répond pas. Vérifiez qu'il est démarré.",
        ),
    };
    let data_json = serde_json::from_str::<Value>(&body)
        .map(|v| pretty(&v))
        .unwrap_or(body);

    let mut context = app.pages.context(&session)?;
    context.insert("outcome", outcome);
    context.insert("message", message);
    context.insert("status", &status);
    context.insert("data_json", &data_json);
    context.insert("url", &url);
    context.insert("correlation_id", &correlation_id);
    context.insert("grant_scope", &grant.scope);
    context.insert("grant_expires_at", &grant.expires_at);
    app.pages.render("data.html", &context)
}

/// One exchange as the data provider records it (`GET {dp_url}/exchanges/{id}`); every field is
/// optional so that a different shape degrades to less detail, not to an error.
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

/// The data provider's verdict on a JWS answer: whether the signature verified and, if the
/// answer was refused, why.
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

/// The data provider's exchanges with the hub (checktoken, JWKS), as it recorded them under our
/// correlation id; "indisponible" when it cannot give them.
async fn data_provider_exchanges(
    app: &AppState,
    dp_url: &str,
    correlation_id: &str,
) -> Vec<Exchange> {
    let url = format!("{dp_url}/exchanges/{correlation_id}");
    let fetched = async {
        let response = app.back_channel.get(&url).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json::<Vec<DpExchange>>().await.ok()
    }
    .await;
    let exchanges = match fetched {
        Some(exchanges) if !exchanges.is_empty() => exchanges,
        _ => {
            return vec![Exchange {
                step: "Vérification du jeton par le fournisseur de données (checktoken)".into(),
                actors: "fournisseur de données → FranceConnect".into(),
                at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                method: "GET".into(),
                url,
                notes: vec![
                    "Échanges du fournisseur de données avec FranceConnect : indisponible.".into(),
                ],
                ..Exchange::default()
            }];
        }
    };
    let metadata = app.hub.metadata().await.ok();
    exchanges
        .into_iter()
        .map(|dp| {
            let body = dp.response.as_ref().map(|r| r.body.trim().to_owned());
            let jwt = body.as_deref().filter(|b| b.split('.').count() == 3);
            Exchange {
                back_channel: true,
                step: format!(
                    "Le fournisseur de données interroge FranceConnect ({})",
                    dp.kind
                ),
                actors: "fournisseur de données → FranceConnect".into(),
                at: dp.started_at,
                params: match dp.request.method.as_str() {
                    "POST" => url::form_urlencoded::parse(
                        dp.request.body.as_deref().unwrap_or("").as_bytes(),
                    )
                    .into_owned()
                    .collect(),
                    _ => Vec::new(),
                },
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
                jwts: jwt
                    .map(|jwt| {
                        let label = "Réponse de checktoken";
                        // The data provider verified it: show its verdict. Without one (an older
                        // data provider), verify it here, once, as the entry is recorded.
                        vec![
                            match dp.jws.as_ref().map(|j| (j.signature_valid, &j.error)) {
                                Some((Some(true), error)) => jwt_view(
                                    label,
                                    jwt,
                                    match error {
                                        None => "Signature valide (vérifiée par le fournisseur de \
                                             données)"
                                            .to_owned(),
                                        Some(e) => format!(
                                            "Signature valide (vérifiée par le fournisseur de \
                                         données) — réponse refusée : {e}"
                                        ),
                                    },
                                ),
                                Some((Some(false), error)) => jwt_view(
                                    label,
                                    jwt,
                                    format!(
                                        "Signature non validée par le fournisseur de données : {}",
                                        error.as_deref().unwrap_or("non vérifiée")
                                    ),
                                ),
                                _ => jwt_view_checked(
                                    label,
                                    jwt,
                                    metadata.as_ref().map(|m| m.jwks()),
                                    None,
                                ),
                            },
                        ]
                    })
                    .unwrap_or_default(),
                response_body: body,
                notes: dp.error.into_iter().collect(),
                // Written by `Journal::push`, from the masked request.
                curl: None,
            }
        })
        .collect()
}
