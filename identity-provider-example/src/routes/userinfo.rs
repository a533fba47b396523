//! `GET /userinfo` (OIDC Core §5.3): the person's claims as plain JSON, filtered by
//! the scopes granted (`openid profile email birth` from the hub gives every claim it needs).
//! Any problem with the bearer token is the same 401 `invalid_token` (RFC 6750 §3.1). The claims
//! are those copied at login time. Failure scenarios ([`crate::scenario`]) act once the token is
//! found valid: 500, 503, garbage, a late answer, or claims with one defect (no `sub`, another
//! `sub`, no `email`, a `birthcountry` that is not a COG code).

use actix_web::{HttpRequest, HttpResponse, web};

use serde_json::json;
use sha2::{Digest, Sha256};

use super::token::breakdown_response;
use crate::error::AppError;
use crate::scenario::{BAD_BIRTH_COUNTRY, Scenario};
use crate::state::AppState;
use crate::users::claims_for_scope;

pub async fn userinfo_get(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = super::bearer(&request).ok_or(AppError::InvalidToken)?;
    let grant = state
        .stores
        .access_tokens
        .get(&token.to_owned())
        .ok_or(AppError::InvalidToken)?;
    let mut claims = claims_for_scope(&grant.person.claims, &grant.scope);
    match grant.scenario {
        Some(Scenario::Userinfo(breakdown)) => {
            if let Some(response) = breakdown_response(breakdown, state.slow).await {
                return Ok(response);
            }
        }
        Some(Scenario::UserinfoWithoutSub) => {
            claims.remove("sub");
        }
        Some(Scenario::UserinfoOtherSub) => {
            let other = hex::encode(Sha256::digest(format!("autre-{}", grant.person.sub)));
            claims.insert("sub".into(), json!(other));
        }
        Some(Scenario::WithoutEmail) => {
            claims.remove("email");
        }
        Some(Scenario::BadBirthCountry) if claims.contains_key("birthcountry") => {
            claims.insert("birthcountry".into(), json!(BAD_BIRTH_COUNTRY));
        }
        _ => {}
    }
    Ok(HttpResponse::Ok().json(claims))
}
