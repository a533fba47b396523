//! `private_key_jwt` client authentication at the token endpoint (RFC 7523 §2.2 and §3, as
//! FranceConnect v2 offers it): instead of a secret, the SP sends a short-lived JWT it signed
//! with one of the keys it registered (`jwks`, or `jwks_uri` fetched and cached).
//!
//! The assertion must say who it is from (`iss` = `sub` = the client id), for whom (`aud`: the
//! token endpoint or the issuer), until when (`exp`, at most 10 minutes ahead) and be used once
//! (`jti`, remembered in the store until it expires, so a replay fails on every replica). Only
//! asymmetric algorithms are accepted — never HS256, never `none` — and each key is used with the
//! algorithm of its type, so no algorithm confusion is possible. Every refusal is `invalid_client`.

use std::time::Duration;

use fc_plumbing::{Jwa, jose};
use serde_json::Value;

use super::token::ClientRequest;
use crate::error::{Error, OAuthError, Result};
use crate::platform::Platform;
use crate::registry::{ServiceProvider, SpAuthMethod};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may live: short-lived, as RFC 7523 §3 asks.
const MAX_LIFETIME_SECS: i64 = 600;
const LEEWAY: i64 = 30;

fn refuse(why: impl Into<String>) -> Error {
    Error::oauth(OAuthError::InvalidClient, why)
}

pub async fn authenticate(
    platform: &Platform,
    request: &ClientRequest<'_>,
) -> Result<ServiceProvider> {
    if request.get("client_assertion_type") != Some(ASSERTION_TYPE) {
        return Err(refuse(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    if request.get("client_secret").is_some() || request.authorization.is_some() {
        return Err(Error::invalid_request(
            "client authentication by both an assertion and a secret",
        ));
    }
    let assertion = request
        .get("client_assertion")
        .ok_or_else(|| refuse("client_assertion is missing"))?;
    let unverified =
        jose::decode_unverified(assertion).map_err(|e| refuse(format!("client_assertion: {e}")))?;
    let claim = |name: &str| unverified.payload.get(name).and_then(Value::as_str);
    let client_id = claim("iss").unwrap_or_default();
    if claim("sub") != Some(client_id) {
        return Err(refuse(
            "client_assertion: iss and sub must both be the client id",
        ));
    }
    if request.get("client_id").is_some_and(|id| id != client_id) {
        return Err(refuse("client_assertion: iss is not the client_id sent"));
    }
    let registry = platform.registry();
    let sp = registry
        .service_provider(client_id)
        .filter(|sp| sp.active && sp.token_endpoint_auth_method == SpAuthMethod::PrivateKeyJwt)
        .ok_or_else(|| {
            refuse("client_assertion: unknown client, or not registered for private_key_jwt")
        })?
        .clone();
    let claims = verify(platform, &sp, assertion, &unverified.header).await?;
    check_claims(platform, &claims)?;
    spend_jti(platform, &sp, &claims).await?;
    Ok(sp)
}

/// Verifies the signature with the SP's keys; on an unknown key, its `jwks_uri` is fetched again
/// (at most once per interval) before giving up.
async fn verify(
    platform: &Platform,
    sp: &ServiceProvider,
    assertion: &str,
    header: &Value,
) -> Result<Value> {
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("ES256") => Jwa::ES256,
        Some("RS256") => Jwa::RS256,
        other => {
            return Err(refuse(format!(
                "client_assertion: algorithm {other:?} is not accepted (ES256 or RS256)"
            )));
        }
    };
    let check = |doc: &Value| -> Result<Value, String> {
        let keys = jose::parse_jwks(doc).map_err(|e| e.to_string())?;
        jose::verify_jwt(assertion, alg, &keys, None).map_err(|e| e.to_string())
    };
    if let Some(doc) = &sp.jwks {
        return check(doc).map_err(|e| refuse(format!("client_assertion: {e}")));
    }
    let url = sp
        .jwks_uri
        .as_deref()
        .ok_or_else(|| refuse("client_assertion: the client registered no keys"))?;
    let cache = format!("sp:{}", sp.client_id);
    let doc = crate::jwks::key_set(platform, &sp.name, &cache, url, false)
        .await
        .map_err(|e| refuse(format!("client_assertion: {e}")))?;
    match check(&doc) {
        Ok(claims) => Ok(claims),
        Err(_) => {
            let doc = crate::jwks::key_set(platform, &sp.name, &cache, url, true)
                .await
                .map_err(|e| refuse(format!("client_assertion: {e}")))?;
            check(&doc).map_err(|e| refuse(format!("client_assertion: {e}")))
        }
    }
}

fn check_claims(platform: &Platform, claims: &Value) -> Result<()> {
    let issuer = &platform.settings.issuer;
    let token_endpoint = format!("{issuer}/token");
    let audience_ok = |a: &Value| {
        a.as_str()
            .is_some_and(|a| a == token_endpoint || a == issuer)
    };
    let aud_ok = match claims.get("aud") {
        Some(Value::Array(all)) => all.iter().any(audience_ok),
        Some(one) => audience_ok(one),
        None => false,
    };
    if !aud_ok {
        return Err(refuse(format!(
            "client_assertion: aud must be {token_endpoint} or {issuer}"
        )));
    }
    let now = platform.clock.now();
    match claims.get("exp").and_then(Value::as_i64) {
        None => return Err(refuse("client_assertion: exp is missing")),
        Some(exp) if exp + LEEWAY <= now => return Err(refuse("client_assertion: expired")),
        Some(exp) if exp > now + MAX_LIFETIME_SECS => {
            return Err(refuse(format!(
                "client_assertion: exp is more than {MAX_LIFETIME_SECS} s ahead"
            )));
        }
        Some(_) => {}
    }
    if claims
        .get("iat")
        .and_then(Value::as_i64)
        .is_some_and(|iat| iat > now + LEEWAY)
    {
        return Err(refuse("client_assertion: iat is in the future"));
    }
    Ok(())
}

/// A `jti` is accepted once per client until the assertion expires.
async fn spend_jti(platform: &Platform, sp: &ServiceProvider, claims: &Value) -> Result<()> {
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| refuse("client_assertion: jti is missing or longer than 256 characters"))?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let ttl = (exp - platform.clock.now() + LEEWAY).clamp(1, MAX_LIFETIME_SECS + LEEWAY);
    let key = crate::store::hashed("jti", &format!("{}\n{jti}", sp.client_id));
    let first = platform
        .store
        .put_new(&key, b"1".to_vec(), Duration::from_secs(ttl.unsigned_abs()))
        .await?;
    if !first {
        return Err(refuse("client_assertion: jti already used"));
    }
    Ok(())
}
