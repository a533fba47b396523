//! `POST /api/v2/token` and `GET /api/v2/userinfo` (SPEC §4.6).
//!
//! The token endpoint authenticates the SP (`client_secret_post` or `client_secret_basic`,
//! constant-time compare), redeems the code once and answers exactly FranceConnect's five keys.
//! The ID token is signed with the algorithm the SP registered: ES256 or RS256 with the hub's
//! keys (`kid` in the header), HS256 with the SP's own secret. Userinfo answers a signed JWT
//! holding only the claims of the granted scopes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::{Value, json};

use crate::error::HubError;
use crate::provider::scopes::identity_claims;
use crate::provider::tokens::{AccessToken, RedeemError};
use crate::registry::ServiceProvider;
use crate::startup::HubState;

fn invalid_request(description: &str) -> HubError {
    HubError::oauth(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_client(basic: bool) -> HubError {
    HubError::OAuth {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        description: "client authentication failed".into(),
        www_authenticate: basic.then(|| "Basic realm=\"franceconnect\"".to_owned()),
    }
}

/// `client_id`/`client_secret` from the Basic header or the body, never both.
fn client_credentials(
    req: &HttpRequest,
    form: &[(String, String)],
) -> Result<(String, String, bool), HubError> {
    let body_id = form
        .iter()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.clone());
    let body_secret = form
        .iter()
        .find(|(k, _)| k == "client_secret")
        .map(|(_, v)| v.clone());
    let basic = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(str::trim);
    match (basic, body_secret) {
        (Some(_), Some(_)) => Err(invalid_request(
            "client authentication by both Basic and body",
        )),
        (Some(b64), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| invalid_client(true))?;
            let text = String::from_utf8(decoded).map_err(|_| invalid_client(true))?;
            let (id, secret) = text.split_once(':').ok_or_else(|| invalid_client(true))?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Ok((
                decode(id).unwrap_or_default(),
                decode(secret).unwrap_or_default(),
                true,
            ))
        }
        (None, Some(secret)) => Ok((body_id.unwrap_or_default(), secret, false)),
        (None, None) => Err(invalid_client(false)),
    }
}

pub fn authenticate_sp<'a>(
    state: &'a HubState,
    req: &HttpRequest,
    form: &[(String, String)],
) -> Result<&'a ServiceProvider, HubError> {
    let (client_id, secret, basic) = client_credentials(req, form)?;
    state
        .config
        .registry
        .service_provider(&client_id)
        .filter(|sp| sp.active && fc_plumbing::random::secure_eq(&sp.client_secret, &secret))
        .ok_or_else(|| invalid_client(basic))
}

pub async fn token_post(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    token(&req, &body, &state, "v2")
}

/// The v1 token endpoint: same engine, ID token HS256 keyed by the client secret with the v1
/// issuer (the hub's URL without path), and no `scope` in the answer, as FranceConnect v1 did.
pub async fn token_v1_post(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    token(&req, &body, &state, "v1")
}

fn token(
    req: &HttpRequest,
    body: &[u8],
    state: &HubState,
    api: &str,
) -> Result<HttpResponse, HubError> {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    for (i, (k, _)) in form.iter().enumerate() {
        if form[..i].iter().any(|(n, _)| n == k) {
            return Err(invalid_request(&format!("parameter {k} is repeated")));
        }
    }
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let sp = authenticate_sp(state, req, &form)?;
    if !sp.api_versions.iter().any(|v| v == api) {
        return Err(invalid_client(false));
    }
    match get("grant_type") {
        Some("authorization_code") => {}
        None => return Err(invalid_request("missing required parameter 'grant_type'")),
        Some(_) => {
            return Err(HubError::oauth(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "unsupported grant_type requested",
            ));
        }
    }
    let code = get("code").ok_or_else(|| invalid_request("missing required parameter 'code'"))?;
    let redirect_uri = get("redirect_uri")
        .ok_or_else(|| invalid_request("missing required parameter 'redirect_uri'"))?;
    let (access_token, record) = state
        .tokens
        .redeem_code(code, &sp.client_id, redirect_uri, get("code_verifier"))
        .map_err(|e: RedeemError| {
            HubError::oauth(StatusCode::BAD_REQUEST, "invalid_grant", e.description())
        })?;
    let id_token = sign_id_token(state, sp, &record)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"))
        .json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": record.exp - record.iat,
            "id_token": id_token,
            "scope": record.grant.scopes.join(" "),
        })))
}

fn sign_id_token(
    state: &HubState,
    sp: &ServiceProvider,
    token: &AccessToken,
) -> Result<String, HubError> {
    let g = &token.grant;
    let v1 = g.api_version == "v1";
    let mut claims = json!({
        "iss": if v1 { state.config.public_url.as_str() } else { state.issuer.as_str() },
        "aud": sp.client_id,
        "exp": token.iat + 60,
        "iat": token.iat,
        "sub": g.sub,
        "acr": g.acr,
        "nonce": g.nonce,
        "auth_time": g.auth_time,
    });
    if let Some(amr) = &g.amr {
        claims["amr"] = json!(amr);
    }
    // FranceConnect v1 signed every ID token HS256 with the client secret.
    let alg = if v1 {
        fc_plumbing::Jwa::HS256
    } else {
        sp.id_token_signed_response_alg
    };
    let signer = state.keys.signer(alg, &sp.client_secret);
    fc_plumbing::jose::sign_jwt(&signer, &claims).map_err(|e| HubError::internal(e.to_string()))
}

/// The bearer token of a request (header, or `access_token` query as FranceConnect allows).
pub fn bearer(req: &HttpRequest) -> Option<String> {
    if let Some(v) = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = v.split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .then(|| token.trim().to_owned());
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
}

pub async fn userinfo_get(
    req: HttpRequest,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    userinfo(&req, &state, "v2")
}

/// v1 userinfo: plain JSON.
pub async fn userinfo_v1_get(
    req: HttpRequest,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    userinfo(&req, &state, "v1")
}

fn userinfo(req: &HttpRequest, state: &HubState, api: &str) -> Result<HttpResponse, HubError> {
    let token = bearer(req).ok_or_else(|| HubError::invalid_token("no access token provided"))?;
    let record = state
        .tokens
        .access_token(&token)
        .filter(|t| t.grant.api_version == api)
        .ok_or_else(|| {
            HubError::invalid_token("invalid token provided (access token not found)")
        })?;
    let g = &record.grant;
    let sp = state
        .config
        .registry
        .service_provider(&g.client_id)
        .ok_or_else(|| HubError::invalid_token("client no longer registered"))?;
    let mut claims = identity_claims(&g.identity, &g.scopes);
    claims.insert("sub".into(), json!(g.sub));
    if g.api_version == "v1" {
        return Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(Value::Object(claims)));
    }
    let now = state.config.clock.now();
    claims.insert("iss".into(), json!(state.issuer));
    claims.insert("aud".into(), json!(sp.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + 60));
    let signer = state
        .keys
        .signer(sp.userinfo_signed_response_alg, &sp.client_secret);
    let jwt = fc_plumbing::jose::sign_jwt(&signer, &Value::Object(claims))
        .map_err(|e| HubError::internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type("application/jwt")
        .body(jwt))
}
