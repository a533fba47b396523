//! Step 2, point 4 — userinfo: who FranceConnect says the user is (also "Recharger userinfo").
//!
//! The SP calls the `userinfo_endpoint` with `Authorization: Bearer <access token>`. In v2 the
//! answer is a signed JWT (`application/jwt`) — on FranceConnect+ encrypted to our key, and
//! decrypted first with the algorithm of our registration — checked like the ID token: the algorithm of our
//! registration (`userinfo_signed_response_alg`, ES256 for the demo SP), a key of the hub (or our
//! client secret for HS256), `iss` the hub, `aud` our `client_id`, `exp` in the future. In v1 it
//! is plain JSON. Either way its `sub` must be the ID token's: both documents must describe the
//! same person. The access token lives 60 seconds: past that the hub answers 401.
//! Partner documentation:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.

use actix_web::http::header;
use fc_plumbing::Clock;
use openidconnect::HttpResponse as OidcResponse;
use serde_json::Value;

use crate::error::SpError;
use crate::hub::{ApiVersion, Hub, JwtRefusal, TokenKind, transport_error};
use crate::journal::Http;
use crate::tokens::audience_is;

/// The largest userinfo answer accepted (it is kept in the session).
const MAX_USERINFO_BYTES: usize = 64 * 1024;

/// Calls `hub`'s userinfo with `access_token` and returns the verified claims about `sub`.
pub async fn fetch(
    hub: &Hub,
    http: &Http,
    version: ApiVersion,
    access_token: &str,
    sub: &str,
    clock: &Clock,
) -> Result<Value, SpError> {
    let metadata = hub.metadata_for(http, version).await?;
    let url = metadata
        .userinfo_endpoint()
        .ok_or_else(|| SpError::Userinfo("le hub ne publie pas de userinfo_endpoint".into()))?
        .url()
        .to_string();
    let accept = match version {
        ApiVersion::V1 => "application/json",
        ApiVersion::V2 => "application/jwt",
    };
    let request = openidconnect::http::Request::get(&url)
        .header(
            header::AUTHORIZATION.as_str(),
            format!("Bearer {access_token}"),
        )
        .header(header::ACCEPT.as_str(), accept)
        .body(Vec::new())
        .map_err(|_| SpError::Userinfo("requête impossible à construire".into()))?;
    let response = http
        .send(request)
        .await
        .map_err(|e| SpError::HubUnreachable(transport_error(&e)))?;
    let body = answer_of(&response)?;
    let claims = match version {
        ApiVersion::V1 => serde_json::from_str::<Value>(body)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| SpError::Userinfo("réponse illisible (objet JSON attendu)".into()))?,
        ApiVersion::V2 => verified_jwt(hub, http, &response, body, clock.now()).await?,
    };
    if claims.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(SpError::Userinfo(
            "son sub n'est pas celui de l'ID token".into(),
        ));
    }
    Ok(claims)
}

/// The body of a successful answer.
fn answer_of(response: &OidcResponse) -> Result<&str, SpError> {
    match response.status().as_u16() {
        401 => return Err(SpError::AccessTokenRejected),
        200..=299 => {}
        status => {
            return Err(SpError::Userinfo(format!(
                "FranceConnect a répondu HTTP {status}"
            )));
        }
    }
    if response.body().len() > MAX_USERINFO_BYTES {
        return Err(SpError::Userinfo("réponse trop volumineuse".into()));
    }
    std::str::from_utf8(response.body())
        .map_err(|_| SpError::Userinfo("réponse illisible (UTF-8 attendu)".into()))
}

/// v2: the answer is a JWT of the hub (encrypted to our key on FranceConnect+), checked like the
/// ID token.
async fn verified_jwt(
    hub: &Hub,
    http: &Http,
    response: &OidcResponse,
    body: &str,
    now: i64,
) -> Result<Value, SpError> {
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE.as_str())
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/jwt") {
        return Err(SpError::Userinfo(format!(
            "un JWT signé était attendu (application/jwt), reçu « {} »",
            content_type.chars().take(60).collect::<String>()
        )));
    }
    let refused = |why: JwtRefusal| SpError::Userinfo(why.to_string());
    let jwt = hub
        .open(http, body.trim(), TokenKind::Userinfo)
        .map_err(refused)?;
    let (_, expected) = hub.expected_algs(ApiVersion::V2);
    hub.verify_jwt(http, &jwt, expected, |claims| {
        check_claims(hub, claims, now).map(|()| claims.clone())
    })
    .await
    .map_err(refused)
}

/// `iss` the hub, `aud` our `client_id`, `exp` (when present) in the future.
fn check_claims(hub: &Hub, claims: &Value, now: i64) -> Result<(), JwtRefusal> {
    let no = |why: &str| Err(JwtRefusal::new(why));
    let issuer = hub.issuer_of(ApiVersion::V2);
    if claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
        return no("il n'a pas été émis par le FranceConnect configuré (iss)");
    }
    if !audience_is(claims, hub.client_id().as_str()) {
        return no("il n'est pas destiné à ce service (aud)");
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64)
        && exp < now
    {
        return no("il a expiré (exp dépassé)");
    }
    Ok(())
}
