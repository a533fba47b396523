//! Endpoints service and data providers call: token, revocation, userinfo, checktoken, health.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::domain::ApiVersion;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::provider::token::{self, ClientRequest};
use crate::provider::userinfo::{self, UserinfoAnswer};
use crate::provider::{introspect, scenario};

type P = web::Data<Platform>;
type Version = web::Data<ApiVersion>;

/// The form of a back-channel POST; any other body (JSON…) is a client mistake, said plainly.
fn form(req: &HttpRequest, body: &[u8]) -> Result<Vec<(String, String)>> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(Error::invalid_request(
            "the body must be a form (application/x-www-form-urlencoded)",
        ));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

fn authorization(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
}

fn no_store() -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"));
    response
}

pub async fn token_post(
    req: HttpRequest,
    body: web::Bytes,
    platform: P,
    version: Version,
) -> Result<HttpResponse> {
    let form = form(&req, &body)?;
    let request = ClientRequest {
        form: &form,
        authorization: authorization(&req),
    };
    let answer = token::exchange(&platform, request, **version).await?;
    if answer.malformed {
        return Ok(no_store()
            .content_type("application/json")
            .body(scenario::malformed_json(&answer)));
    }
    Ok(no_store().json(answer))
}

pub async fn revocation_post(
    req: HttpRequest,
    body: web::Bytes,
    platform: P,
) -> Result<HttpResponse> {
    let form = form(&req, &body)?;
    let request = ClientRequest {
        form: &form,
        authorization: authorization(&req),
    };
    token::revoke(&platform, request).await?;
    Ok(no_store().finish())
}

/// The bearer token of a request (header, or `access_token` query as FranceConnect allows).
fn bearer(req: &HttpRequest) -> Option<String> {
    if let Some(v) = authorization(req) {
        let (scheme, token) = v.split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .then(|| token.trim().to_owned());
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
}

pub async fn userinfo_get(req: HttpRequest, platform: P, version: Version) -> Result<HttpResponse> {
    let token = bearer(&req);
    Ok(
        match userinfo::answer(&platform, token.as_deref(), **version).await? {
            UserinfoAnswer::Jwt(jwt) => no_store().content_type("application/jwt").body(jwt),
            UserinfoAnswer::Json(json) => no_store().json(json),
        },
    )
}

pub async fn checktoken_post(
    req: HttpRequest,
    body: web::Bytes,
    platform: P,
) -> Result<HttpResponse> {
    let form = form(&req, &body)?;
    let jws = introspect::check(&platform, &form).await?;
    Ok(no_store()
        .content_type("application/token-introspection+jwt")
        .body(jws))
}

#[derive(Deserialize)]
pub struct CheckTokenV1 {
    token: String,
}

/// `POST /api/v1/checktoken`: FranceConnect v1's JSON answer, no DP credentials.
pub async fn checktoken_v1_post(
    body: web::Json<CheckTokenV1>,
    platform: P,
) -> Result<HttpResponse> {
    Ok(match introspect::check_v1(&platform, &body.token).await? {
        Some(answer) => no_store().json(answer),
        None => HttpResponse::Unauthorized()
            .insert_header(("Cache-Control", "no-store"))
            .json(json!({"status": "fail", "message": "token_not_found_or_expired"})),
    })
}

/// Liveness, and the peers as last probed (never probed on the request itself).
pub async fn health_get(health: web::Data<crate::health::PeerHealth>) -> HttpResponse {
    let snapshot = health.snapshot();
    HttpResponse::Ok()
        .json(json!({"status": "ok", "store": snapshot.store, "peers": snapshot.peers}))
}
