//! Checktoken (`docs/hub.md`, "Checktoken"): a data provider asks who an access token belongs to.
//!
//! v2: the DP authenticates with its own credentials in a form with exactly `token`, `client_id`,
//! `client_secret`. The answer is a JWS signed with the hub's key (encrypted to the DP's key when
//! it registered `checktoken_encrypted_response_alg/enc`), for that DP only (`aud`), with
//! the DP's own pairwise sub and only the scopes it serves; a dead token gives `{"active":false}`
//! and nothing else, so a DP cannot tell an expired token from a forged one.
//!
//! v1 took no credentials and answered JSON. A token answers only through the API version it
//! was issued by (v1 and v2 were two platforms), and an anonymous (`openid`-only) token reveals no
//! identity: it serves no data provider scope, so it answers as if unknown.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::claims::sign;
use super::scopes::pivot_claims;
use super::sub::pairwise_sub;
use super::tokens::{self, AccessToken};
use crate::domain::{Acr, ApiVersion};
use crate::error::{Error, OAuthError, Result};
use crate::platform::Platform;
use crate::registry::DataProvider;

/// `POST /api/v2/checktoken`: the signed (and maybe encrypted) introspection JWT.
pub async fn check(platform: &Platform, form: &[(String, String)]) -> Result<String> {
    let mut names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if names != ["client_id", "client_secret", "token"] || form.iter().any(|(_, v)| v.is_empty()) {
        return Err(Error::invalid_request(
            "Required parameter missing or invalid.",
        ));
    }
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let registry = platform.registry();
    let dp = registry
        .data_provider(get("client_id"))
        .filter(|dp| dp.client_secret.matches(get("client_secret")))
        .ok_or_else(|| Error::oauth(OAuthError::InvalidClient, "Client authentication failed."))?;
    let record = tokens::access_token(platform, get("token"))
        .await?
        .filter(|t| t.grant.request.api_version == ApiVersion::V2);
    let introspection = match record {
        Some(record) => match introspection(platform, dp, &record, get("token")) {
            Some(active) => {
                tracing::info!(dp = %dp.title, scope = %active["scope"], "DP_VERIFIED_FC_CHECKTOKEN");
                Value::Object(active)
            }
            None => inactive(dp),
        },
        None => inactive(dp),
    };
    let payload = json!({
        "iss": platform.settings.issuer,
        "aud": dp.client_id,
        "iat": platform.clock.now(),
        "token_introspection": introspection,
    });
    let jws = sign(
        platform,
        dp.checktoken_signed_response_alg,
        dp.client_secret.expose(),
        &payload,
    )?;
    super::encryption::for_dp(platform, dp, jws).await
}

fn inactive(dp: &DataProvider) -> Value {
    tracing::info!(dp = %dp.title, "DP_USED_INVALID_ACCESS_TOKEN");
    json!({"active": false})
}

/// What an active token says to this DP: `None` when it grants none of the DP's scopes (an
/// anonymous token, or one for another provider's data), which answers as inactive.
fn introspection(
    platform: &Platform,
    dp: &DataProvider,
    record: &AccessToken,
    token: &str,
) -> Option<Map<String, Value>> {
    let g = &record.grant;
    let scope: Vec<&str> = g
        .request
        .scopes
        .iter()
        .filter(|s| dp.scopes.contains(s))
        .map(String::as_str)
        .collect();
    if scope.is_empty() {
        return None;
    }
    let mut t = pivot_claims(&g.identity);
    t.insert("active".into(), json!(true));
    t.insert("aud".into(), json!(g.request.client_id));
    t.insert(
        "sub".into(),
        json!(pairwise_sub(
            &dp.client_id,
            &g.identity,
            platform.settings.sub_secret.expose()
        )),
    );
    t.insert("iat".into(), json!(record.iat));
    t.insert("exp".into(), json!(record.exp));
    t.insert("acr".into(), json!(g.acr));
    t.insert("jti".into(), json!(token));
    t.insert("scope".into(), json!(scope.join(" ")));
    Some(t)
}

/// FranceConnect v1's checktoken answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V1Introspection {
    pub scope: Vec<String>,
    pub identity: Map<String, Value>,
    pub client: V1Client,
    pub identity_provider_id: String,
    pub identity_provider_host: String,
    pub acr: Acr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V1Client {
    pub client_id: String,
    pub client_name: String,
}

/// `POST /api/v1/checktoken`: `None` for a token v1 does not know (unknown, expired, revoked,
/// issued through v2, or anonymous).
pub async fn check_v1(platform: &Platform, token: &str) -> Result<Option<V1Introspection>> {
    let Some(record) = tokens::access_token(platform, token)
        .await?
        .filter(|t| t.grant.request.api_version == ApiVersion::V1)
        .filter(|t| !t.grant.request.is_anonymous())
    else {
        return Ok(None);
    };
    let g = &record.grant;
    let registry = platform.registry();
    let mut identity = pivot_claims(&g.identity);
    identity.insert("email".into(), json!(g.identity.email));
    if let Some(u) = &g.identity.preferred_username {
        identity.insert("preferred_username".into(), json!(u));
    }
    let client_name = registry
        .service_provider(&g.request.client_id)
        .map(|sp| sp.name.clone())
        .unwrap_or_default();
    let identity_provider_host = registry
        .identity_provider(&g.idp_uid)
        .and_then(|idp| url::Url::parse(&idp.issuer).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(Some(V1Introspection {
        scope: g.request.scopes.clone(),
        identity,
        client: V1Client {
            client_id: g.request.client_id.clone(),
            client_name,
        },
        identity_provider_id: g.idp_uid.clone(),
        identity_provider_host,
        acr: g.acr,
    }))
}
