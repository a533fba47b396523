//! `POST /api/v2/checktoken` (SPEC §4.8): a data provider asks who an access token belongs to.
//!
//! The DP authenticates with its own credentials in a form with exactly `token`, `client_id`,
//! `client_secret`. The answer is a JWS signed with the hub's key, for that DP only (`aud`), with
//! the DP's own pairwise sub and only the scopes it serves; a dead token gives `{"active":false}`
//! and nothing else, so a DP cannot tell an expired token from a forged one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::HubError;
use crate::provider::scopes::pivot_claims;
use crate::provider::sub::pairwise_sub;
use crate::startup::HubState;

pub async fn checktoken_post(
    body: web::Bytes,
    state: web::Data<HubState>,
) -> Result<HttpResponse, HubError> {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if names != ["client_id", "client_secret", "token"] || form.iter().any(|(_, v)| v.is_empty()) {
        return Err(HubError::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required parameter missing or invalid.",
        ));
    }
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let dp = state
        .config
        .registry
        .data_provider(get("client_id"))
        .filter(|dp| fc_plumbing::random::secure_eq(&dp.client_secret, get("client_secret")))
        .ok_or_else(|| {
            HubError::oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed.",
            )
        })?;

    let introspection = match state.tokens.access_token(get("token")) {
        None => {
            tracing::info!(dp = %dp.title, "DP_USED_INVALID_ACCESS_TOKEN");
            json!({"active": false})
        }
        Some(record) => {
            let g = &record.grant;
            let scope: Vec<&str> = g
                .scopes
                .iter()
                .filter(|s| dp.scopes.contains(s))
                .map(String::as_str)
                .collect();
            let mut t = pivot_claims(&g.identity);
            t.insert("active".into(), json!(true));
            t.insert("aud".into(), json!(g.client_id));
            t.insert(
                "sub".into(),
                json!(pairwise_sub(
                    &dp.client_id,
                    &g.identity,
                    &state.config.sub_secret
                )),
            );
            t.insert("iat".into(), json!(record.iat));
            t.insert("exp".into(), json!(record.exp));
            t.insert("acr".into(), json!(g.acr));
            t.insert("jti".into(), json!(get("token")));
            t.insert("scope".into(), json!(scope.join(" ")));
            tracing::info!(dp = %dp.title, scope = %scope.join(" "), "DP_VERIFIED_FC_CHECKTOKEN");
            serde_json::Value::Object(t)
        }
    };
    let payload = json!({
        "iss": state.issuer,
        "aud": dp.client_id,
        "iat": state.config.clock.now(),
        "token_introspection": introspection,
    });
    let signer = state
        .keys
        .signer(dp.checktoken_signed_response_alg, &dp.client_secret);
    let jws = fc_plumbing::jose::sign_jwt(&signer, &payload)
        .map_err(|e| HubError::internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type("application/token-introspection+jwt")
        .body(jws))
}

#[derive(serde::Deserialize)]
pub struct CheckTokenV1 {
    token: String,
}

/// `POST /api/v1/checktoken`: FranceConnect v1's JSON answer, no DP credentials.
pub async fn checktoken_v1_post(
    body: web::Json<CheckTokenV1>,
    state: web::Data<HubState>,
) -> HttpResponse {
    let Some(record) = state.tokens.access_token(&body.token) else {
        return HttpResponse::Unauthorized()
            .insert_header(("Cache-Control", "no-store"))
            .json(json!({"status": "fail", "message": "token_not_found_or_expired"}));
    };
    let g = &record.grant;
    let registry = &state.config.registry;
    let mut identity = pivot_claims(&g.identity);
    identity.insert("email".into(), json!(g.identity.email));
    if let Some(u) = &g.identity.preferred_username {
        identity.insert("preferred_username".into(), json!(u));
    }
    let client_name = registry
        .service_provider(&g.client_id)
        .map(|sp| sp.name.clone())
        .unwrap_or_default();
    let idp_host = registry
        .identity_provider(&g.idp_uid)
        .and_then(|idp| url::Url::parse(&idp.issuer).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "scope": g.scopes,
            "identity": identity,
            "client": {"client_id": g.client_id, "client_name": client_name},
            "identity_provider_id": g.idp_uid,
            "identity_provider_host": idp_host,
            "acr": g.acr,
        }))
}
