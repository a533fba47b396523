//! `POST /token` (OIDC Core §3.1.3): exchanges a code for an access token and an ID token.
//!
//! The client authenticates with `client_secret_post` or `client_secret_basic` (one method
//! per request, RFC 6749 §2.3); secrets are compared in constant time. Codes are taken out of
//! the store before any other check, so a code is burnt even by a failed exchange. The ID token
//! carries the acr chosen in the login form and `amr ["pwd"]`, and is signed per the client's
//! registration (HS256 with its secret by default, as FranceConnect's example IdP did).
//!
//! The body must be a form (RFC 6749 §4.1.3): another `Content-Type` (JSON, say) is an
//! `invalid_request`, not a failed client authentication.
//!
//! Failure scenarios ([`crate::scenario`]) act here once the request is found valid: the code is
//! then spent, and the answer is a 500, a 503, garbage, a late answer, or an ID token with one
//! defect (signature, nonce, aud, expiry, `alg: none`, acr).

use actix_web::http::StatusCode;
use actix_web::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, PRAGMA, RETRY_AFTER,
};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use fc_plumbing::random::{secure_eq, token};
use serde::Serialize;
use serde_json::json;

use super::params::Params;
use crate::error::AppError;
use crate::scenario::{Breakdown, Scenario, lower_acr};
use crate::state::AppState;
use crate::store::{ACCESS_TOKEN_TTL_SECS, AccessGrant, CodeGrant};

/// Lifetime of an ID token (`exp = iat + 60`).
const ID_TOKEN_TTL_SECS: i64 = 60;

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    nonce: String,
    acr: String,
    amr: [&'static str; 1],
}

pub async fn token_post(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let params = read_form(&request, &body)?;
    let get = |name: &str| single(&params, name);
    authenticate_client(
        &state,
        request.headers(),
        get("client_id")?,
        get("client_secret")?,
    )?;
    let grant = redeem_code(&state, &params)?;
    if let Some(Scenario::Token(breakdown)) = grant.scenario
        && let Some(response) = breakdown_response(breakdown, state.slow).await
    {
        return Ok(response);
    }
    let id_token = id_token(&state, &grant)?;
    let scope = grant.scope.clone();
    let access_token = issue_access_token(&state, grant)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL_SECS,
            "id_token": id_token,
            "scope": scope,
        })))
}

/// The request's parameters, from a form body (RFC 6749 §4.1.3) and nothing else.
fn read_form(request: &HttpRequest, body: &[u8]) -> Result<Params, AppError> {
    let not_a_form =
        || AppError::invalid_request("the body must be application/x-www-form-urlencoded");
    // A JSON body sent without a Content-Type would otherwise read as one odd form field.
    let json_like = matches!(body.trim_ascii_start().first(), Some(b'{' | b'['));
    if !is_form(request.headers()) || json_like {
        return Err(not_a_form());
    }
    Params::from_body(body).ok_or_else(not_a_form)
}

/// One parameter, refused when repeated (RFC 6749 §3.2).
fn single<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, AppError> {
    params
        .single(name)
        .map_err(|r| AppError::invalid_request(format!("{} is repeated", r.0)))
}

/// Takes the code out of the store (burnt even if a later check fails), then checks that it
/// was issued to this client for this `redirect_uri`.
fn redeem_code(state: &AppState, params: &Params) -> Result<CodeGrant, AppError> {
    match single(params, "grant_type")? {
        None => return Err(AppError::invalid_request("grant_type is missing")),
        Some("authorization_code") => {}
        Some(_) => return Err(AppError::unsupported_grant_type()),
    }
    let code =
        single(params, "code")?.ok_or_else(|| AppError::invalid_request("code is missing"))?;
    let redirect_uri = single(params, "redirect_uri")?
        .ok_or_else(|| AppError::invalid_request("redirect_uri is missing"))?;
    let grant = state
        .stores
        .codes
        .remove(&code.to_owned())
        .ok_or_else(|| AppError::invalid_grant("unknown, expired or already used code"))?;
    if grant.client_id != state.client.client_id {
        return Err(AppError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(AppError::invalid_grant(
            "redirect_uri differs from the one of the authorization request",
        ));
    }
    Ok(grant)
}

/// The ID token of this login, signed per the client's registration, with the defect the
/// login's failure scenario asked for, if any.
fn id_token(state: &AppState, grant: &CodeGrant) -> Result<String, AppError> {
    let now = state.clock.now();
    let mut claims = IdTokenClaims {
        iss: &state.issuer,
        sub: grant.person.sub.clone(),
        aud: &state.client.client_id,
        exp: now + ID_TOKEN_TTL_SECS,
        iat: now,
        auth_time: grant.auth_time,
        nonce: grant.nonce.clone(),
        acr: grant.acr.clone(),
        amr: ["pwd"],
    };
    match grant.scenario {
        Some(Scenario::WrongNonce) => claims.nonce = format!("autre-{}", grant.nonce),
        Some(Scenario::WrongAudience) => claims.aud = OTHER_AUDIENCE,
        Some(Scenario::Expired) => {
            claims.iat = now - 3600;
            claims.auth_time = now - 3600;
            claims.exp = now - 3600 + ID_TOKEN_TTL_SECS;
        }
        Some(Scenario::LowerAcr) => claims.acr = lower_acr(&grant.acr),
        _ => {}
    }
    match grant.scenario {
        Some(Scenario::AlgNone) => unsigned_jwt(&claims),
        Some(Scenario::BadSignature) => Ok(break_signature(&sign(state, &claims)?)),
        _ => sign(state, &claims),
    }
}

/// A new access token for `/userinfo`, bound to the person and scope of the code.
fn issue_access_token(state: &AppState, grant: CodeGrant) -> Result<String, AppError> {
    let access_token = token(32);
    state
        .stores
        .access_tokens
        .insert(
            access_token.clone(),
            AccessGrant {
                client_id: grant.client_id,
                person: grant.person,
                scenario: grant.scenario,
                scope: grant.scope,
            },
        )
        .map_err(|e| AppError::Internal(format!("access token store: {e}")))?;
    Ok(access_token)
}

/// The `aud` of [`Scenario::WrongAudience`].
const OTHER_AUDIENCE: &str = "un-autre-client";

fn sign(state: &AppState, claims: &IdTokenClaims<'_>) -> Result<String, AppError> {
    let signer = state.keys.signer(
        state.client.id_token_signed_response_alg,
        state.client.client_secret.expose(),
    );
    fc_plumbing::jose::sign_jwt(&signer, claims).map_err(|e| AppError::OAuth {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        error: "server_error",
        description: format!("cannot sign the ID token: {e}"),
        basic_challenge: false,
    })
}

/// `{"alg":"none"}` + payload + an empty signature (RFC 7519 §6: an unsecured JWT).
fn unsigned_jwt(claims: &IdTokenClaims<'_>) -> Result<String, AppError> {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = serde_json::to_vec(claims).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!(
        "{}.{}.",
        engine.encode(br#"{"alg":"none","typ":"JWT"}"#),
        engine.encode(payload)
    ))
}

/// The same JWS with the first character of its signature changed: still well-formed, with a
/// signature of the right length, but false. (The first character carries six full bits; the
/// last one may only carry padding bits.)
fn break_signature(jws: &str) -> String {
    let Some((input, signature)) = jws.rsplit_once('.') else {
        return jws.to_owned();
    };
    let mut chars = signature.chars();
    let first = match chars.next() {
        Some('A') => 'B',
        Some(_) => 'A',
        None => 'A',
    };
    format!("{input}.{first}{}", chars.as_str())
}

/// The answer of a broken endpoint, or `None` when it must answer normally (after the delay of
/// a slow scenario). Shared by `/token` and `/userinfo`.
pub async fn breakdown_response(
    breakdown: Breakdown,
    slow: std::time::Duration,
) -> Option<HttpResponse> {
    let description = "panne simulée par le fournisseur d'identité de démonstration";
    match breakdown {
        Breakdown::Status500 => Some(
            HttpResponse::InternalServerError()
                .json(json!({"error": "server_error", "error_description": description})),
        ),
        Breakdown::Status503 => Some(
            HttpResponse::ServiceUnavailable()
                .insert_header((RETRY_AFTER, "120"))
                .json(
                    json!({"error": "temporarily_unavailable", "error_description": description}),
                ),
        ),
        Breakdown::Garbage => Some(
            HttpResponse::Ok()
                .content_type("application/json")
                .body("<html><body><h1>Ceci n'est pas du JSON</h1></body></html>"),
        ),
        Breakdown::Slow => {
            // An async sleep: other requests are served meanwhile.
            tokio::time::sleep(slow).await;
            None
        }
    }
}

/// Whether the body is announced as a form (or not announced at all, as some clients do).
fn is_form(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE).map(|v| v.to_str()) {
        None => true,
        Some(Ok(value)) => value.split(';').next().is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        }),
        Some(Err(_)) => false,
    }
}

/// Checks the client's credentials, from the `Authorization: Basic` header or the body.
fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<(), AppError> {
    let client = &state.client;
    let basic = match headers.get(AUTHORIZATION) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(parse_basic)
                .ok_or_else(|| AppError::invalid_client("malformed Basic credentials", true))?,
        ),
    };
    let (client_id, secret, basic_used) = match (basic, form_client_secret) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        (Some((id, secret)), None) => {
            if form_client_id.is_some_and(|form_id| form_id != id) {
                return Err(AppError::invalid_request(
                    "client_id differs from the Basic credentials",
                ));
            }
            (id, secret, true)
        }
        (None, Some(secret)) => {
            let id = form_client_id
                .ok_or_else(|| AppError::invalid_client("client_id is missing", false))?;
            (id.to_owned(), secret.to_owned(), false)
        }
        (None, None) => {
            return Err(AppError::invalid_client(
                "client authentication is required (client_secret_post or client_secret_basic)",
                false,
            ));
        }
    };
    let id_ok = secure_eq(&client_id, &client.client_id);
    let secret_ok = client.client_secret.matches(&secret);
    if id_ok && secret_ok {
        Ok(())
    } else {
        Err(AppError::invalid_client(
            "unknown client or wrong secret",
            basic_used,
        ))
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Decodes `application/x-www-form-urlencoded` escapes (`+` and `%XX`).
fn form_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_signature_keeps_its_shape() {
        assert_eq!(break_signature("h.p.Abc"), "h.p.Bbc");
        assert_eq!(break_signature("h.p.xyz"), "h.p.Ayz");
        assert_eq!(break_signature("h.p."), "h.p.A");
    }

    proptest::proptest! {
        /// Any header value: credentials or `None`, never a panic; and any credentials encoded as
        /// RFC 6749 §2.3.1 says come back unchanged.
        #[test]
        fn basic_headers_are_parsed_or_refused(
            header in "\\PC{0,80}",
            id in "\\PC{0,20}",
            secret in "\\PC{0,20}",
        ) {
            let _ = parse_basic(&header);
            let _ = form_decode(&header);
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let value = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", encode(&id), encode(&secret)))
            );
            proptest::prop_assert_eq!(parse_basic(&value), Some((id, secret)));
        }

        #[test]
        fn any_form_body_is_read_or_refused(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            if let Some(params) = Params::from_body(&body) {
                for name in ["grant_type", "code", "redirect_uri", "client_id", "client_secret"] {
                    let _ = params.single(name);
                }
            }
        }
    }

    #[test]
    fn basic_credentials_are_base64_of_urlencoded_parts() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("my%3Aid:s%2Bcr+t")
        );
        assert_eq!(
            parse_basic(&header),
            Some(("my:id".to_owned(), "s+cr t".to_owned()))
        );
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
    }
}
