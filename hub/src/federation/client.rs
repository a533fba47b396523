//! The back-channel half of an IdP login: code → tokens → verified ID token → userinfo →
//! validated identity. Every answer is read with a size cap and every failure is typed, so the
//! callback can show FranceConnect's code for it.

use fc_plumbing::{Jwa, jose};
use openidconnect::core::CoreJsonWebKeySet;
use serde::Deserialize;
use serde_json::Value;

use super::IdpLeg;
use crate::domain::identity::identity_from_claims;
use crate::domain::{Acr, Identity};
use crate::error::ErrorCode;
use crate::jwks;
use crate::platform::Platform;
use crate::registry::{IdentityProvider, TokenAuthMethod};

/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY: i64 = 30;

/// What a successful IdP leg yields.
#[derive(Debug, Clone)]
pub struct IdpLogin {
    pub identity: Identity,
    pub acr: Acr,
    pub id_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("IdP token call failed: {0}")]
    TokenCall(String),
    #[error("IdP ID token rejected: {0}")]
    IdToken(String),
    #[error("IdP userinfo call failed: {0}")]
    Userinfo(String),
    #[error("IdP userinfo sub is missing or differs from the ID token's")]
    UserinfoSub,
    #[error("IdP identity is invalid: {0}")]
    InvalidIdentity(String),
    #[error("IdP acr {got:?} is lower than the requested {asked}")]
    AcrTooLow { got: String, asked: Acr },
    #[error("IdP acr {0} is not allowed for this IdP")]
    AcrNotAllowed(Acr),
}

impl FederationError {
    /// FranceConnect's code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            FederationError::TokenCall(_) => ErrorCode::Y020026,
            FederationError::IdToken(_) => ErrorCode::Y020030,
            FederationError::Userinfo(_) => ErrorCode::Y020027,
            FederationError::UserinfoSub => ErrorCode::Y020029,
            FederationError::InvalidIdentity(_) => ErrorCode::Y600006,
            FederationError::AcrTooLow { .. } => ErrorCode::Y100001,
            FederationError::AcrNotAllowed(_) => ErrorCode::Y100018,
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    access_token: Option<String>,
}

/// Exchanges the code and fetches, checks and returns the identity.
pub async fn complete_login(
    platform: &Platform,
    idp: &IdentityProvider,
    leg: &IdpLeg,
    code: &str,
) -> Result<IdpLogin, FederationError> {
    let (id_token, access_token) = redeem_code(platform, idp, code).await?;
    let claims = verify_id_token(platform, idp, &id_token).await?;
    check_id_token_claims(&claims, idp, leg, platform.clock.now())?;
    let text = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or_default();
    let sub = text("sub").to_owned();
    let acr_text = text("acr");
    let userinfo = fetch_userinfo(platform, idp, &access_token).await?;
    match userinfo.get("sub").and_then(Value::as_str) {
        Some(s) if !s.is_empty() && fc_plumbing::random::secure_eq(s, &sub) => {}
        _ => return Err(FederationError::UserinfoSub),
    }
    let identity = identity_from_claims(&userinfo).map_err(FederationError::InvalidIdentity)?;
    // The IdP must give at least what was asked, and only what it may give.
    let acr = Acr::parse(acr_text)
        .filter(|got| *got >= leg.acr)
        .ok_or_else(|| FederationError::AcrTooLow {
            got: fc_plumbing::request_log::capped(acr_text).into_owned(),
            asked: leg.acr,
        })?;
    if !idp.allowed_acr.contains(&acr) {
        return Err(FederationError::AcrNotAllowed(acr));
    }
    Ok(IdpLogin {
        identity,
        acr,
        id_token,
    })
}

async fn redeem_code(
    platform: &Platform,
    idp: &IdentityProvider,
    code: &str,
) -> Result<(String, String), FederationError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", idp.redirect_uri.as_str()),
    ];
    let request = platform
        .back_channel
        .post(&idp.token_endpoint)
        .header("Accept", "application/json");
    let request = match idp.token_endpoint_auth_method {
        TokenAuthMethod::ClientSecretPost => {
            let mut body = form.to_vec();
            body.push(("client_id", &idp.client_id));
            body.push(("client_secret", idp.client_secret.expose()));
            request.form(&body)
        }
        TokenAuthMethod::ClientSecretBasic => request
            .basic_auth(&idp.client_id, Some(idp.client_secret.expose()))
            .form(&form),
    };
    let body = jwks::call(
        &platform.back_channel,
        &idp.slug,
        "token",
        &idp.token_endpoint,
        request,
    )
    .await
    .map_err(FederationError::TokenCall)?
    .1;
    let tokens: TokenResponse = serde_json::from_slice(&body)
        .map_err(|_| FederationError::TokenCall("answer is not a JSON token response".into()))?;
    match (tokens.id_token, tokens.access_token) {
        (Some(id), Some(access)) => Ok((id, access)),
        _ => Err(FederationError::TokenCall(
            "id_token or access_token missing".into(),
        )),
    }
}

async fn fetch_userinfo(
    platform: &Platform,
    idp: &IdentityProvider,
    access_token: &str,
) -> Result<Value, FederationError> {
    let request = platform
        .back_channel
        .get(&idp.userinfo_endpoint)
        .bearer_auth(access_token);
    let (content_type, body) = jwks::call(
        &platform.back_channel,
        &idp.slug,
        "userinfo",
        &idp.userinfo_endpoint,
        request,
    )
    .await
    .map_err(FederationError::Userinfo)?;
    if content_type.starts_with("application/jwt") {
        let jwt = String::from_utf8_lossy(&body);
        return verify_jwt(platform, idp, jwt.trim())
            .await
            .map_err(FederationError::Userinfo);
    }
    serde_json::from_slice(&body)
        .map_err(|_| FederationError::Userinfo("answer is not JSON".into()))
}

async fn verify_id_token(
    platform: &Platform,
    idp: &IdentityProvider,
    id_token: &str,
) -> Result<Value, FederationError> {
    verify_jwt(platform, idp, id_token)
        .await
        .map_err(FederationError::IdToken)
}

/// Verifies a JWT of this IdP with its pinned algorithm; on an unknown key or a bad signature,
/// the key set is fetched again (at most once per interval) and the check retried once.
async fn verify_jwt(
    platform: &Platform,
    idp: &IdentityProvider,
    jwt: &str,
) -> Result<Value, String> {
    let alg = idp.id_token_signed_response_alg;
    let secret = Some(idp.client_secret.expose());
    if alg == Jwa::HS256 {
        let none = jose::parse_jwks(&serde_json::json!({"keys": []})).map_err(|e| e.to_string())?;
        return jose::verify_jwt(jwt, alg, &none, secret).map_err(|e| e.to_string());
    }
    let keys = idp_keys(platform, idp, false).await?;
    match jose::verify_jwt(jwt, alg, &keys, secret) {
        Ok(claims) => Ok(claims),
        Err(jose::JoseError::UnknownKey(_) | jose::JoseError::BadSignature) => {
            let keys = idp_keys(platform, idp, true).await?;
            jose::verify_jwt(jwt, alg, &keys, secret).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn idp_keys(
    platform: &Platform,
    idp: &IdentityProvider,
    refresh: bool,
) -> Result<CoreJsonWebKeySet, String> {
    let doc = jwks::key_set(
        platform,
        &idp.slug,
        &format!("idp:{}", idp.uid),
        &idp.jwks_uri,
        refresh,
    )
    .await?;
    jose::parse_jwks(&doc).map_err(|e| format!("JWKS: {e}"))
}

fn check_id_token_claims(
    claims: &Value,
    idp: &IdentityProvider,
    leg: &IdpLeg,
    now: i64,
) -> Result<(), FederationError> {
    let bad = |m: &str| Err(FederationError::IdToken(m.to_owned()));
    if claims.get("iss").and_then(Value::as_str) != Some(idp.issuer.as_str()) {
        return bad("iss is not the IdP's issuer");
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => *a == idp.client_id,
        Some(Value::Array(a)) => a.len() == 1 && a[0].as_str() == Some(idp.client_id.as_str()),
        _ => false,
    };
    if !aud_ok {
        return bad("aud is not the hub");
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + LEEWAY > now => {}
        _ => return bad("expired or without exp"),
    }
    match claims.get("iat").and_then(Value::as_i64) {
        None => return bad("iat missing"),
        Some(iat) if iat > now + LEEWAY => return bad("iat is in the future"),
        Some(_) => {}
    }
    match claims.get("nonce").and_then(Value::as_str) {
        Some(n) if fc_plumbing::random::secure_eq(n, &leg.nonce) => {}
        _ => return bad("nonce mismatch"),
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return bad("sub missing");
    }
    let acr_ok = claims.get("acr").and_then(Value::as_str).is_some_and(|a| {
        !a.is_empty() && a.len() <= 64 && a.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !acr_ok {
        return bad("acr missing or not alphanumeric");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ApiVersion;

    #[test]
    fn id_token_claims_are_checked() {
        let idp = super::super::tests::idp();
        let leg = IdpLeg::new(&idp, Acr::Eidas1, ApiVersion::V2);
        let good = serde_json::json!({"iss": idp.issuer, "aud": idp.client_id, "exp": 1000,
            "iat": 990, "nonce": leg.nonce, "sub": "x", "acr": "eidas1"});
        assert!(check_id_token_claims(&good, &idp, &leg, 995).is_ok());
        for (k, v) in [
            ("iss", serde_json::json!("http://evil")),
            ("aud", serde_json::json!("someone")),
            ("nonce", serde_json::json!("other")),
            ("acr", serde_json::json!("")),
            ("iat", serde_json::json!(995 + 600)),
            ("sub", serde_json::json!("")),
        ] {
            let mut c = good.clone();
            c[k] = v;
            assert!(check_id_token_claims(&c, &idp, &leg, 995).is_err(), "{k}");
        }
        assert!(
            check_id_token_claims(&good, &idp, &leg, 1031).is_err(),
            "expired"
        );
    }
}
