//! What the hub says about a person to a service provider: the ID token and the userinfo answer
//! (`docs/hub.md`, "Token", "Userinfo"), built from a redeemed grant and signed as the SP
//! registered.
//!
//! The ID token carries exactly FranceConnect's claims: `iss, aud, exp (iat + 60), iat, sub,
//! acr, nonce, auth_time`, plus `amr` when the SP asked for it and may have it — never identity
//! claims. v1 issued it with the hub's URL as `iss` and signed it HS256 with the client secret;
//! v2 uses the SP's `id_token_signed_response_alg`. Userinfo holds the claims of the granted
//! scopes, `sub`, and in v2 `iss, aud, iat, exp` since it is a signed JWT.

use fc_plumbing::{Jwa, jose};
use serde_json::{Map, Value, json};

use super::scopes::identity_claims;
use super::tokens::AccessToken;
use crate::domain::ApiVersion;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::registry::ServiceProvider;

/// How long an ID token is valid (FranceConnect: as long as the access token).
pub const ID_TOKEN_SECS: i64 = 60;

pub fn id_token_claims(platform: &Platform, sp: &ServiceProvider, token: &AccessToken) -> Value {
    let g = &token.grant;
    let version = g.request.api_version;
    let mut claims = json!({
        "iss": platform.issuer_for(version),
        "aud": sp.client_id,
        "exp": token.iat + ID_TOKEN_SECS,
        "iat": token.iat,
        "sub": g.sub,
        "acr": g.acr,
        "nonce": g.request.nonce,
        "auth_time": g.auth_time,
    });
    if let Some(amr) = &g.amr {
        claims["amr"] = json!(amr);
    }
    claims
}

/// The algorithm of the SP's ID tokens: FranceConnect v1 signed every one HS256 with the secret.
pub fn id_token_alg(sp: &ServiceProvider, version: ApiVersion) -> Jwa {
    match version {
        ApiVersion::V1 => Jwa::HS256,
        ApiVersion::V2 => sp.id_token_signed_response_alg,
    }
}

pub fn sign(platform: &Platform, alg: Jwa, sp_secret: &str, claims: &Value) -> Result<String> {
    let signer = platform.keys.signer(alg, sp_secret);
    jose::sign_jwt(&signer, claims).map_err(|e| Error::internal(e.to_string()))
}

pub fn signed_id_token(
    platform: &Platform,
    sp: &ServiceProvider,
    token: &AccessToken,
) -> Result<String> {
    let alg = id_token_alg(sp, token.grant.request.api_version);
    sign(
        platform,
        alg,
        sp.client_secret.expose(),
        &id_token_claims(platform, sp, token),
    )
}

/// The userinfo claims: `sub` and the claims of the granted scopes, plus in v2 the JWT's own.
pub fn userinfo_claims(
    platform: &Platform,
    sp: &ServiceProvider,
    token: &AccessToken,
    now: i64,
) -> Map<String, Value> {
    let g = &token.grant;
    let mut claims = identity_claims(platform.settings.instance, &g.identity, &g.request.scopes);
    claims.insert("sub".into(), json!(g.sub));
    if g.request.api_version == ApiVersion::V2 {
        claims.insert("iss".into(), json!(platform.settings.issuer));
        claims.insert("aud".into(), json!(sp.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + ID_TOKEN_SECS));
    }
    claims
}
