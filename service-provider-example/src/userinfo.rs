//! Step 2, point 4 — userinfo: who FranceConnect says the user is (also "Recharger userinfo").
//!
//! The SP calls the `userinfo_endpoint` with `Authorization: Bearer <access token>`. In v2 the
//! answer is a signed JWT (`application/jwt`), checked like the ID token: the algorithm of our
//! registration (`userinfo_signed_response_alg`, ES256 for the demo SP), a key of the hub (or our
//! client secret for HS256), `iss` the hub, `aud` our `client_id`, `exp` in the future. In v1 it
//! is plain JSON. Either way its `sub` must be the ID token's: both documents must describe the
//! same person. The access token lives 60 seconds: past that the hub answers 401.
//! Partner documentation:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.

use actix_web::http::header;
use fc_plumbing::jose::{self, JoseError};
use openidconnect::HttpResponse as OidcResponse;
use serde_json::Value;

use crate::error::SpError;
use crate::hub::{ApiVersion, JwtRefusal, transport_error};
use crate::journal::Http;
use crate::startup::AppState;

/// The largest userinfo answer accepted (it is kept in the session).
const MAX_USERINFO_BYTES: usize = 64 * 1024;

/// Calls userinfo with `access_token` and returns the verified claims about `sub`.
pub async fn fetch(
    app: &AppState,
    http: &Http,
    version: ApiVersion,
    access_token: &str,
    sub: &str,
) -> Result<Value, SpError> {
    let metadata = app.hub.metadata_for(http, version).await?;
    let url = metadata
        .userinfo_endpoint()
        .ok_or_else(|| {
            SpError::Userinfo("FranceConnect ne publie pas de userinfo_endpoint".into())
        })?
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
        ApiVersion::V2 => verified_jwt(app, http, &response, body).await?,
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

/// v2: the answer is a JWT of the hub, checked like the ID token.
async fn verified_jwt(
    app: &AppState,
    http: &Http,
    response: &OidcResponse,
    body: &str,
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
    let jwt = body.trim();
    let (_, expected) = app.config.expected_algs(ApiVersion::V2);
    let secret = app.config.client_secret.expose();
    let check = |keys: &_| {
        let claims = jose::verify_jwt(jwt, expected, keys, Some(secret)).map_err(refusal)?;
        check_claims(app, &claims)?;
        Ok(claims)
    };
    app.hub
        .verify_jwt(http, jwt, expected, check)
        .await
        .map_err(|e| SpError::Userinfo(e.to_string()))
}

/// `iss` the hub, `aud` our `client_id`, `exp` (when present) in the future.
fn check_claims(app: &AppState, claims: &Value) -> Result<(), JwtRefusal> {
    let no = |why: &str| Err(JwtRefusal::Refused(why.to_owned()));
    if claims.get("iss").and_then(Value::as_str) != Some(app.config.issuer().as_str()) {
        return no("il n'a pas été émis par le FranceConnect configuré (iss)");
    }
    let ours = app.config.client_id.as_str();
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == ours,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(ours)),
        _ => false,
    };
    if !aud_ok {
        return no("il n'est pas destiné à ce service (aud)");
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64)
        && exp < app.clock.now()
    {
        return no("il a expiré (exp dépassé)");
    }
    Ok(())
}

fn refusal(error: JoseError) -> JwtRefusal {
    match error {
        JoseError::UnknownKey(_) => JwtRefusal::Keys(
            "aucune clé publique de FranceConnect ne correspond à son « kid »".into(),
        ),
        JoseError::BadSignature => JwtRefusal::Keys("signature invalide".into()),
        JoseError::Algorithm { .. } => JwtRefusal::Refused("algorithme refusé".into()),
        _ => JwtRefusal::Refused("jeton illisible".into()),
    }
}
