//! The userinfo endpoint (`docs/hub.md`, "Userinfo"): the claims of the granted scopes for a
//! live access token — a JWT signed as the SP registered in v2 (and, on FranceConnect+, encrypted
//! when it asked), plain JSON in v1. A token answers
//! only on the API version it was issued through (FranceConnect ran v1 and v2 as two platforms).

use serde_json::Value;

use super::claims::userinfo_claims;
use super::scenario::{self, Point};
use super::tokens;
use crate::domain::ApiVersion;
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Clone, PartialEq)]
pub enum UserinfoAnswer {
    /// v2: `application/jwt`.
    Jwt(String),
    /// v1: `application/json`.
    Json(Value),
}

pub async fn answer(
    platform: &Platform,
    bearer: Option<&str>,
    version: ApiVersion,
) -> Result<UserinfoAnswer> {
    let token = bearer.ok_or_else(|| Error::invalid_token("no access token provided"))?;
    let record = tokens::access_token(platform, token)
        .await?
        .filter(|t| t.grant.request.api_version == version)
        .ok_or_else(|| Error::invalid_token("invalid token provided (access token not found)"))?;
    let registry = platform.registry();
    let sp = registry
        .service_provider(&record.grant.request.client_id)
        .ok_or_else(|| Error::invalid_token("client no longer registered"))?;
    let active = scenario::consult(platform, sp, Point::Userinfo, version).await?;
    scenario::refuse_userinfo(active.as_ref())?;
    let mut claims = userinfo_claims(platform, sp, &record, platform.clock.now());
    scenario::userinfo_claims(active.as_ref(), &mut claims);
    match version {
        ApiVersion::V1 => Ok(UserinfoAnswer::Json(Value::Object(claims))),
        ApiVersion::V2 => {
            let jws = scenario::sign(
                platform,
                sp.userinfo_signed_response_alg,
                &sp.client_secret,
                &Value::Object(claims),
                active.as_ref(),
            )?;
            let answer = super::encryption::SpAnswer::Userinfo;
            let jwt = super::encryption::for_sp(platform, sp, answer, jws).await?;
            Ok(UserinfoAnswer::Jwt(jwt))
        }
    }
}
