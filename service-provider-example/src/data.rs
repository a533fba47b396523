//! Step 4 — call the data provider with the access token.
//!
//! FranceConnect's access token is the user's authorisation: the SP sends it to the data provider
//! as `Authorization: Bearer <access token>`; the data provider checks it at the hub
//! (`/checktoken`), which tells it who the user is and which data scopes were granted. The token
//! lives 60 seconds: past that, the user goes through FranceConnect again (SSO makes it quick).
//!
//! A fresh `X-Correlation-ID` goes with every call, so the data provider's own exchanges with the
//! hub can be traced (the journal shows them). The answer is shown in words for the person
//! ([`crate::tax_data`]), with the raw JSON below.
//! Partner documentation (data providers and checktoken): <https://docs.partenaires.franceconnect.gouv.fr/>.

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use openidconnect::HttpResponse as OidcResponse;
use serde_json::Value;

use crate::error::SpError;
use crate::hub::Platform;
use crate::journal::{Http, pretty};
use crate::startup::AppState;
use crate::{formats, session, tax_data};

/// The resource called: the "API Impôt particulier" look-alike, income of 2024.
pub const DP_RESOURCE: &str = "/situations/ir/assiettes/annrev/2024";

/// `GET /data`
pub async fn data_get(
    app: web::Data<AppState>,
    session: Session,
    http: Http,
) -> Result<HttpResponse, SpError> {
    let Some(grant) = session::data_grant(&session)? else {
        // A new authorization, at the hub the person logged in through.
        let hub = session::user(&session)?.map(|u| u.hub).unwrap_or_default();
        let location = match hub {
            Platform::FranceConnect => "/data/login".to_owned(),
            other => format!("/data/login?hub={}", other.as_str()),
        };
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish());
    };
    let url = format!("{}{DP_RESOURCE}", app.config.dp_url.trim_end_matches('/'));
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let request = openidconnect::http::Request::get(&url)
        .header(
            header::AUTHORIZATION.as_str(),
            format!("Bearer {}", grant.access_token),
        )
        .header("X-Correlation-ID", correlation_id.as_str())
        .header(header::ACCEPT.as_str(), "application/json")
        .body(Vec::new())
        .map_err(|e| SpError::Session(e.to_string()))?;
    let answer = http.send(request).await.ok();

    let status = answer.as_ref().map(|r| r.status().as_u16());
    let (outcome, message) = outcome(status);
    let json = answer.as_ref().and_then(json_of);
    let mut context = app.pages.context(&session)?;
    context.insert("outcome", outcome);
    context.insert("message", message);
    context.insert("status", &status);
    context.insert("sections", &json.as_ref().map(tax_data::sections));
    context.insert("data_json", &data_text(answer.as_ref(), json.as_ref()));
    context.insert("url", &url);
    context.insert("correlation_id", &correlation_id);
    context.insert("grant_scope", &grant.scope);
    context.insert(
        "grant_expires_at",
        &grant.expires_at.and_then(formats::date_time),
    );
    app.pages.render("data.html", &context)
}

/// What the data provider's answer means for the person.
fn outcome(status: Option<u16>) -> (&'static str, &'static str) {
    match status {
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
    }
}

/// The answer as a JSON object, when it is one.
fn json_of(answer: &OidcResponse) -> Option<Value> {
    serde_json::from_slice::<Value>(answer.body())
        .ok()
        .filter(Value::is_object)
}

/// The raw answer, indented when it is JSON.
fn data_text(answer: Option<&OidcResponse>, json: Option<&Value>) -> String {
    match (json, answer) {
        (Some(json), _) => pretty(json),
        (None, Some(answer)) => String::from_utf8_lossy(answer.body())
            .chars()
            .take(16 * 1024)
            .collect(),
        (None, None) => String::new(),
    }
}
