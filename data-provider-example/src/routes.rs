//! HTTP routes of the example data provider.
//!
//! - `GET /situations/ir/assiettes/annrev/{year}` and its alias `GET /api/dgfip`: the protected
//!   resource. Steps, in order: bearer header (no hub call when it is missing or malformed),
//!   token check at the hub, DP scopes, identity reconciliation, scoped answer. `{year}` must be
//!   four digits; the demo's records are not per year, so any such year gets the same data.
//! - `GET /exchanges/{correlation_id}`: the DP ↔ hub exchanges recorded for one SP call (see
//!   [`crate::exchanges`]); `200 []` when the id is unknown.
//! - `GET /.well-known/jwks.json`: the DP's public encryption keys, for the hub to encrypt
//!   checktoken answers to (the `jwks_uri` of its registration).
//! - `GET /` (a JSON description), `GET /health` (the program and the hub's reachability, see
//!   [`crate::health`]), the favicon, and the admin API ([`crate::admin`]).
//! - Any other path: JSON `404`, or a French page when a browser asks (`Accept: text/html`) for a
//!   path outside the API's prefixes.
//!
//! CORS is open for `GET` (public demo data): every answer carries
//! `Access-Control-Allow-Origin: *` (and exposes `WWW-Authenticate`), and every route answers the
//! `OPTIONS` preflight with the methods and headers a browser may use.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::http::header::{
    ACCEPT, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    AUTHORIZATION,
};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, web};
use fc_plumbing::Secret;
use serde_json::json;

use crate::dgfip;
use crate::error::AppError;
use crate::exchanges::{Journal, valid_correlation_id};
use crate::health::HubHealth;
use crate::hub::{HubClient, TokenStatus, token_fingerprint};
use crate::records::Reconciliation;
use crate::store::RecordStore;

/// The header under which the SP names its call.
pub const CORRELATION_HEADER: &str = "X-Correlation-ID";
/// Longer bearer tokens are refused before any hub call.
pub const MAX_TOKEN_LEN: usize = 4096;

/// Paths under these prefixes are the API: unknown ones get JSON, never the HTML page.
const API_PREFIXES: [&str; 5] = ["/situations/", "/api/", "/exchanges/", "/admin/", "/health"];

const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");
const FAVICON_ICO: &[u8] = include_bytes!("../assets/favicon.ico");

/// Everything the handlers share, built once in [`crate::Application::build`].
pub struct AppState {
    pub records: RecordStore,
    pub hub: HubClient,
    pub journal: Journal,
    pub health: Arc<HubHealth>,
    pub public_url: String,
    /// The admin API's bearer token; `None`: no admin API.
    pub admin_token: Option<Secret>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Every route answers the CORS preflight too (see `cors_preflight_options`).
    let preflight = || {
        web::route()
            .method(Method::OPTIONS)
            .to(cors_preflight_options)
    };
    cfg.service(
        web::resource("/")
            .route(web::get().to(index_get))
            .route(preflight()),
    )
    .service(
        web::resource("/health")
            .route(web::get().to(health_get))
            .route(preflight()),
    )
    .service(
        web::resource("/situations/ir/assiettes/annrev/{year}")
            .route(web::get().to(annrev_get))
            .route(preflight()),
    )
    .service(
        web::resource("/api/dgfip")
            .route(web::get().to(api_dgfip_get))
            .route(preflight()),
    )
    .service(
        web::resource("/exchanges/{correlation_id}")
            .route(web::get().to(exchanges_get))
            .route(preflight()),
    )
    .service(
        web::resource("/.well-known/jwks.json")
            .route(web::get().to(jwks_get))
            .route(preflight()),
    )
    .service(web::resource("/static/demo.css").route(web::get().to(fc_plumbing::assets::css_get)))
    .service(web::resource("/favicon.svg").route(web::get().to(favicon_svg_get)))
    .service(web::resource("/favicon.ico").route(web::get().to(favicon_ico_get)))
    .configure(crate::admin::configure);
}

/// CORS headers of every answer: the data is public demo data, so any origin may read it from
/// a browser (e.g. an SP written as a single-page app). No credentials are involved: the bearer
/// token travels in a header the page sets itself, so `*` is allowed (Fetch standard).
pub fn cors_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .add((ACCESS_CONTROL_EXPOSE_HEADERS, "WWW-Authenticate"))
}

/// `OPTIONS` (CORS preflight): `Authorization` and `X-Correlation-ID` are not CORS-safelisted
/// headers, so a browser asks first. Only `GET` is offered.
async fn cors_preflight_options() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((ACCESS_CONTROL_ALLOW_METHODS, "GET, OPTIONS"))
        .insert_header((
            ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, X-Correlation-ID",
        ))
        .insert_header((ACCESS_CONTROL_MAX_AGE, "600"))
        .finish()
}

async fn index_get(state: web::Data<AppState>) -> HttpResponse {
    let base = state.public_url.trim_end_matches('/');
    HttpResponse::Ok().json(json!({
        "name": "data-provider-example",
        "description": "Fournisseur de données de démonstration (sosie de l'« API Impôt particulier ») : \
                        il vérifie le jeton d'accès auprès de FranceConnect puis renvoie les données \
                        autorisées par ses scopes.",
        "endpoints": {
            "data": format!("{base}/situations/ir/assiettes/annrev/{{year}}"),
            "data_alias": format!("{base}/api/dgfip"),
            "exchanges": format!("{base}/exchanges/{{correlation_id}}"),
            "jwks": format!("{base}/.well-known/jwks.json"),
            "health": format!("{base}/health"),
        },
        "authentication": "Authorization: Bearer <access token issued by FranceConnect>",
        "scopes": dgfip::DP_SCOPES,
        "records": state.records.current().len(),
    }))
}

/// Always `200` while the program serves requests; the hub's reachability is in `peers`
/// (see [`crate::health`] for why).
async fn health_get(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "peers": { "hub": state.health.status() },
        "records": state.records.current().len(),
    }))
}

/// The DP's public encryption keys (`use: "enc"`): the `jwks_uri` it registers at the hub, which
/// encrypts checktoken answers to them.
async fn jwks_get(state: web::Data<AppState>) -> HttpResponse {
    // The RSA key may still be being generated at start-up: wait off the async workers (the
    // blocking pool only fails while the server shuts down).
    let jwks = web::block(move || state.hub.public_keys())
        .await
        .unwrap_or_else(|_| json!({"keys": []}));
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header(("Cache-Control", "public, max-age=600"))
        .body(jwks.to_string())
}

async fn favicon_svg_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(FAVICON_SVG)
}

async fn favicon_ico_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/x-icon")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(FAVICON_ICO)
}

async fn annrev_get(
    req: HttpRequest,
    year: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = bearer_token(&req)?;
    parse_year(&year)?;
    tax_situation(&req, token, &state).await
}

async fn api_dgfip_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = bearer_token(&req)?;
    tax_situation(&req, token, &state).await
}

/// The `{year}` of the data path: four digits.
pub fn parse_year(year: &str) -> Result<u16, AppError> {
    let invalid = || {
        AppError::InvalidRequest(format!(
            "{:?} is not a year (YYYY)",
            fc_plumbing::request_log::capped(year)
        ))
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    year.parse().map_err(|_| invalid())
}

async fn exchanges_get(
    correlation_id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.journal.get(&correlation_id))
}

/// Unknown paths: JSON 404 like every other answer of this API, or a French page for a browser
/// that asked for a page outside the API.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let api = API_PREFIXES.iter().any(|p| req.path().starts_with(p));
    let wants_html = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !api {
        return Err(AppError::NotFoundPage);
    }
    Err(AppError::NotFound("unknown path".into()))
}

/// The steps after the bearer header: token check at the hub, scopes, reconciliation, answer.
async fn tax_situation(
    req: &HttpRequest,
    token: &str,
    state: &AppState,
) -> Result<HttpResponse, AppError> {
    let correlation_id = req
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| valid_correlation_id(id));
    tracing::info!(token = %token_fingerprint(token), correlation_id, "checking a token at the hub");

    let mut exchanges = Vec::new();
    let status = state.hub.check(token, &mut exchanges).await;
    if let Some(id) = correlation_id {
        // Only a token the hub vouched for puts its call in the tier floods cannot reach.
        let verified = matches!(status, Ok(TokenStatus::Active(_)));
        state.journal.record(id, exchanges, verified);
    }
    let token = match status? {
        TokenStatus::Active(token) => token,
        TokenStatus::Inactive => return Err(AppError::InvalidToken),
    };

    let scopes = dgfip::granted_scopes(&token.scopes);
    if scopes.is_empty() {
        return Err(AppError::InsufficientScope);
    }

    let records = state.records.current();
    let record = match records.reconcile(&token.identity) {
        Reconciliation::Found(record) => record,
        Reconciliation::NoRecord => {
            return Err(AppError::NotFound("no record matches this identity".into()));
        }
        Reconciliation::Several(n) => {
            return Err(AppError::NotFound(format!(
                "{n} records match this identity: refusing to choose one"
            )));
        }
        Reconciliation::Unusable(reason) => {
            return Err(AppError::NotFound(format!(
                "the identity cannot be matched: {reason}"
            )));
        }
    };
    Ok(HttpResponse::Ok().json(dgfip::tax_situation(record, &scopes)))
}

/// The token of `Authorization: Bearer <token>` (RFC 6750 §2.1).
pub fn bearer_token(req: &HttpRequest) -> Result<&str, AppError> {
    let mut values = req.headers().get_all(AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(AppError::MissingToken);
    };
    if values.next().is_some() {
        return Err(AppError::InvalidRequest(
            "several Authorization headers".into(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| AppError::InvalidRequest("the Authorization header is not ASCII".into()))?;
    parse_bearer(value)
}

/// Parses the value of an `Authorization` header: the scheme is case-insensitive, then exactly
/// one space and a non-empty `b64token`.
pub fn parse_bearer(value: &str) -> Result<&str, AppError> {
    let malformed =
        || AppError::InvalidRequest("expected `Authorization: Bearer <access token>`".into());
    let mut parts = value.split(' ');
    let (Some(scheme), Some(token), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("bearer") || !is_b64token(token) || token.len() > MAX_TOKEN_LEN
    {
        return Err(malformed());
    }
    Ok(token)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any `{year}` segment and any `Authorization` value: a value or a typed error.
        #[test]
        fn paths_and_headers_are_parsed_or_refused(year in "\\PC{0,8}", header in "\\PC{0,60}") {
            match parse_year(&year) {
                Ok(parsed) => proptest::prop_assert_eq!(format!("{parsed:04}"), year),
                Err(e) => proptest::prop_assert!(matches!(e, AppError::InvalidRequest(_))),
            }
            match parse_bearer(&header) {
                Ok(token) => proptest::prop_assert!(is_b64token(token) && header.ends_with(token)),
                Err(e) => proptest::prop_assert!(matches!(e, AppError::InvalidRequest(_))),
            }
        }
    }

    #[test]
    fn bearer_headers_are_parsed_strictly() {
        assert_eq!(
            parse_bearer("Bearer abc-DEF_123.~+/==").unwrap(),
            "abc-DEF_123.~+/=="
        );
        assert_eq!(parse_bearer("bearer abc").unwrap(), "abc");
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer  abc",
            "Bearer abc def",
            "Basic abc",
            "Bearerabc",
            "Bearer ===",
            "Bearer a\"b",
            "Bearer abc ",
        ] {
            assert!(
                matches!(parse_bearer(bad), Err(AppError::InvalidRequest(_))),
                "{bad:?}"
            );
        }
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert!(parse_bearer(&long).is_err());
    }
}
