//! The federation side of the hub: the hub as an OpenID Connect client of identity providers
//! (SPEC §4.4). Free of actix types.
//!
//! Each redirect gets a fresh 64-hex `state` and `nonce`, `prompt=login` and the platform's
//! fixed scope (never the SP's). On the way back the hub exchanges the code, verifies the ID
//! token with the algorithm pinned for that IdP (HS256 with the client secret as FranceConnect's
//! example IdP, RS256/ES256 with the IdP's JWKS), checks `iss`, `aud`, `exp` and `nonce`, fetches
//! userinfo (JSON or JWT), requires the same `sub`, validates the identity and the acr.

use fc_plumbing::{BackChannel, Jwa, jose};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::provider::authorize::acr_rank;
use crate::provider::identity::{Identity, identity_from_claims};
use crate::registry::{IdentityProvider, TokenAuthMethod};

/// The scope the hub asks IdPs for (FranceConnect's `OidcClient_SCOPE`).
pub const IDP_SCOPE: &str = "openid profile email birth";
/// v1 journeys may release the address and phone of the v1-only scopes: ask for them too.
pub const IDP_SCOPE_V1: &str = "openid profile email birth address phone";

/// One trip to an IdP, remembered in the hub session between redirect and callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdpLeg {
    pub idp_uid: String,
    pub state: String,
    pub nonce: String,
    pub acr: String,
    pub scope: String,
}

impl IdpLeg {
    /// A new leg asking for max(requested acr, the IdP's lowest allowed acr).
    pub fn new(idp: &IdentityProvider, requested_acr: &str, api_version: &str) -> Self {
        let idp_min = idp
            .allowed_acr
            .iter()
            .filter_map(|a| acr_rank(a).map(|r| (r, a)))
            .min();
        let acr = match (acr_rank(requested_acr), idp_min) {
            (Some(req), Some((min, min_acr))) if min > req => min_acr.clone(),
            _ => requested_acr.to_owned(),
        };
        Self {
            idp_uid: idp.uid.clone(),
            state: fc_plumbing::random::hex64(),
            nonce: fc_plumbing::random::hex64(),
            acr,
            scope: if api_version == "v1" {
                IDP_SCOPE_V1
            } else {
                IDP_SCOPE
            }
            .to_owned(),
        }
    }

    pub fn authorize_url(&self, idp: &IdentityProvider) -> String {
        fc_plumbing::web::url_with_query(
            &idp.authorization_endpoint,
            &[
                ("client_id", &idp.client_id),
                ("redirect_uri", &idp.redirect_uri),
                ("response_type", "code"),
                ("scope", &self.scope),
                ("acr_values", &self.acr),
                ("prompt", "login"),
                ("state", &self.state),
                ("nonce", &self.nonce),
            ],
        )
    }
}

/// What a successful IdP leg yields.
#[derive(Debug, Clone)]
pub struct IdpLogin {
    pub identity: Identity,
    pub acr: String,
    pub id_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// Y020026
    #[error("IdP token call failed: {0}")]
    TokenCall(String),
    /// Y020030
    #[error("IdP ID token rejected: {0}")]
    IdToken(String),
    /// Y020027
    #[error("IdP userinfo call failed: {0}")]
    Userinfo(String),
    /// Y020029
    #[error("IdP userinfo sub is missing or differs from the ID token's")]
    UserinfoSub,
    /// Y600006
    #[error("IdP identity is invalid: {0}")]
    InvalidIdentity(String),
    /// Y100001
    #[error("IdP acr {got:?} is lower than the requested {asked:?}")]
    AcrTooLow { got: String, asked: String },
    /// Y100018
    #[error("IdP acr {0:?} is not allowed for this IdP")]
    AcrNotAllowed(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    access_token: Option<String>,
}

const LEEWAY: i64 = 30;

/// Exchanges the code and fetches, checks and returns the identity.
pub async fn complete_login(
    back_channel: &BackChannel,
    idp: &IdentityProvider,
    leg: &IdpLeg,
    code: &str,
    now: i64,
) -> Result<IdpLogin, FederationError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", idp.redirect_uri.as_str()),
    ];
    let mut request = back_channel
        .post(&idp.token_endpoint)
        .header("Accept", "application/json");
    request = match idp.token_endpoint_auth_method {
        TokenAuthMethod::ClientSecretPost => {
            let mut body = form.to_vec();
            body.push(("client_id", &idp.client_id));
            body.push(("client_secret", &idp.client_secret));
            request.form(&body)
        }
        TokenAuthMethod::ClientSecretBasic => request
            .basic_auth(&idp.client_id, Some(&idp.client_secret))
            .form(&form),
    };
    let started = std::time::Instant::now();
    let response = request.send().await;
    log_call(&idp.slug, "token", &idp.token_endpoint, &response, started);
    let response = response.map_err(|e| FederationError::TokenCall(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(FederationError::TokenCall(format!(
            "status {}",
            response.status()
        )));
    }
    let tokens: TokenResponse = response
        .json()
        .await
        .map_err(|e| FederationError::TokenCall(e.without_url().to_string()))?;
    let (Some(id_token), Some(access_token)) = (tokens.id_token, tokens.access_token) else {
        return Err(FederationError::TokenCall(
            "id_token or access_token missing".into(),
        ));
    };

    let jwks = if idp.id_token_signed_response_alg == Jwa::HS256 {
        jose::parse_jwks(&serde_json::json!({"keys": []}))
            .map_err(|e| FederationError::IdToken(e.to_string()))?
    } else {
        fetch_jwks(back_channel, idp).await?
    };
    let claims = jose::verify_jwt(
        &id_token,
        idp.id_token_signed_response_alg,
        &jwks,
        Some(&idp.client_secret),
    )
    .map_err(|e| FederationError::IdToken(e.to_string()))?;
    check_id_token_claims(&claims, idp, leg, now)?;
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let acr = claims
        .get("acr")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| FederationError::IdToken("acr missing or not alphanumeric".into()))?
        .to_owned();

    let started = std::time::Instant::now();
    let response = back_channel
        .get(&idp.userinfo_endpoint)
        .bearer_auth(&access_token)
        .send()
        .await;
    log_call(
        &idp.slug,
        "userinfo",
        &idp.userinfo_endpoint,
        &response,
        started,
    );
    let response = response.map_err(|e| FederationError::Userinfo(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(FederationError::Userinfo(format!(
            "status {}",
            response.status()
        )));
    }
    let is_jwt = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/jwt"));
    let body = response
        .text()
        .await
        .map_err(|e| FederationError::Userinfo(e.without_url().to_string()))?;
    let userinfo: Value = if is_jwt {
        jose::verify_jwt(
            body.trim(),
            idp.id_token_signed_response_alg,
            &jwks,
            Some(&idp.client_secret),
        )
        .map_err(|e| FederationError::Userinfo(e.to_string()))?
    } else {
        serde_json::from_str(&body)
            .map_err(|_| FederationError::Userinfo("answer is not JSON".into()))?
    };
    match userinfo.get("sub").and_then(Value::as_str) {
        Some(s) if !s.is_empty() && fc_plumbing::random::secure_eq(s, &sub) => {}
        _ => return Err(FederationError::UserinfoSub),
    }
    let identity = identity_from_claims(&userinfo).map_err(FederationError::InvalidIdentity)?;

    // SPEC §4.4: the IdP must give at least what was asked, and only what it may give.
    match (acr_rank(&acr), acr_rank(&leg.acr)) {
        (Some(got), Some(asked)) if got >= asked => {}
        _ => {
            return Err(FederationError::AcrTooLow {
                got: acr,
                asked: leg.acr.clone(),
            });
        }
    }
    if !idp.allowed_acr.contains(&acr) {
        return Err(FederationError::AcrNotAllowed(acr));
    }
    Ok(IdpLogin {
        identity,
        acr,
        id_token,
    })
}

/// One log line per back-channel call (SPEC §8): where, how it ended, how long; never a token.
fn log_call(
    idp: &str,
    call: &str,
    url: &str,
    response: &Result<reqwest::Response, reqwest::Error>,
    started: std::time::Instant,
) {
    let ms = started.elapsed().as_millis();
    match response {
        Ok(r) => tracing::info!(
            idp,
            call,
            url,
            status = r.status().as_u16(),
            ms,
            "back-channel call"
        ),
        Err(e) => {
            tracing::warn!(idp, call, url, error = %e, ms, "back-channel call failed")
        }
    }
}

async fn fetch_jwks(
    back_channel: &BackChannel,
    idp: &IdentityProvider,
) -> Result<openidconnect::core::CoreJsonWebKeySet, FederationError> {
    let doc: Value = back_channel
        .get(&idp.jwks_uri)
        .send()
        .await
        .map_err(|e| FederationError::IdToken(format!("JWKS: {}", e.without_url())))?
        .json()
        .await
        .map_err(|e| FederationError::IdToken(format!("JWKS: {}", e.without_url())))?;
    jose::parse_jwks(&doc).map_err(|e| FederationError::IdToken(e.to_string()))
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
    if claims.get("iat").and_then(Value::as_i64).is_none() {
        return bad("iat missing");
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idp() -> IdentityProvider {
        let r = crate::registry::Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        r.identity_providers
            .into_iter()
            .find(|i| i.slug == "identity-provider-example")
            .unwrap()
    }

    #[test]
    fn the_idp_is_asked_for_the_higher_of_both_acr() {
        let mut idp = idp();
        assert_eq!(IdpLeg::new(&idp, "eidas1", "v2").acr, "eidas1");
        idp.allowed_acr = vec!["eidas2".into(), "eidas3".into()];
        assert_eq!(IdpLeg::new(&idp, "eidas1", "v2").acr, "eidas2");
        assert_eq!(IdpLeg::new(&idp, "eidas3", "v2").acr, "eidas3");
    }

    #[test]
    fn the_authorize_url_carries_fresh_hex_state_and_nonce_and_prompt_login() {
        let idp = idp();
        let leg = IdpLeg::new(&idp, "eidas1", "v2");
        let url = url::Url::parse(&leg.authorize_url(&idp)).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["prompt"], "login");
        assert_eq!(q["scope"], IDP_SCOPE);
        assert_eq!(q["state"].len(), 64);
        assert_ne!(q["state"], q["nonce"]);
    }

    #[test]
    fn id_token_claims_are_checked() {
        let idp = idp();
        let leg = IdpLeg::new(&idp, "eidas1", "v2");
        let good = serde_json::json!({"iss": idp.issuer, "aud": idp.client_id, "exp": 1000, "iat": 990, "nonce": leg.nonce, "sub": "x"});
        assert!(check_id_token_claims(&good, &idp, &leg, 995).is_ok());
        for (k, v) in [
            ("iss", "http://evil"),
            ("aud", "someone"),
            ("nonce", "other"),
        ] {
            let mut c = good.clone();
            c[k] = serde_json::json!(v);
            assert!(check_id_token_claims(&c, &idp, &leg, 995).is_err(), "{k}");
        }
        assert!(check_id_token_claims(&good, &idp, &leg, 1031).is_err());
    }
}
