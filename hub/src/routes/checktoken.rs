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
