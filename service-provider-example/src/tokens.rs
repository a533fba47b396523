//! Step 2, points 2 and 3 — the code exchanged for tokens at the hub's `token_endpoint`, then
//! the ID token opened (FranceConnect+) and verified.
//!
//! The token request is a form (`client_secret_post`, as FranceConnect documents it):
//! `grant_type=authorization_code`, `code`, the same `redirect_uri` as at authorize, `client_id`,
//! `client_secret`, plus the PKCE `code_verifier` when one was sent. The answer holds
//! `access_token`, `token_type` (`Bearer`), `expires_in` (60 s), `id_token` and `scope`.
//! Partner documentation:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.
//!
//! It is written by hand rather than with `openidconnect`'s token request because on
//! FranceConnect+ the `id_token` is a JWE (five parts, encrypted to this SP's key), which
//! `openidconnect` cannot read: it must be decrypted before anything else.
//!
//! The ID token is then checked in this order, stopping at the first failure: the JWE (its `alg`
//! the registered one, our key opens it) when the registration asks for encryption; its signing
//! algorithm (the registered one); its signature (a key of the hub's JWKS, or our client secret
//! for HS256); `iss` the hub, `aud` our `client_id`, `exp` in the future, `nonce` the one we
//! sent, a `sub`, and `acr` a level this hub gives and at least the one asked.

use actix_web::http::header;
use openidconnect::ProviderMetadataWithLogout;
use serde::Deserialize;
use serde_json::Value;

use crate::error::SpError;
use crate::hub::{Hub, JwtRefusal, TokenKind, transport_error};
use crate::journal::Http;
use crate::login::ACR_LEVELS;
use crate::pending::PendingLogin;

/// The largest token answer read (an answer is a few kilobytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How late past `exp` an ID token is still taken (clocks differ a little).
const EXP_LEEWAY_SECS: i64 = 30;

/// The token endpoint's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: Option<u64>,
    /// As received: a JWS, or a JWE on FranceConnect+.
    pub id_token: Option<String>,
    pub scope: Option<String>,
}

/// The ID token once opened and verified.
#[derive(Debug, Clone)]
pub struct IdToken {
    /// The signed JWT (for display, and the `id_token_hint` of the logout).
    pub jws: String,
    pub claims: Value,
    /// The protected header of the JWE it came in, on FranceConnect+.
    pub jwe_header: Option<Value>,
}

/// Redeems `code` at the hub's token endpoint.
pub async fn exchange_code(
    hub: &Hub,
    http: &Http,
    metadata: &ProviderMetadataWithLogout,
    pending: &PendingLogin,
    code: &str,
    redirect_uri: &str,
) -> Result<Tokens, SpError> {
    let url = metadata
        .token_endpoint()
        .ok_or_else(|| SpError::Token("le hub ne publie pas de token_endpoint".into()))?
        .url()
        .to_string();
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("client_id", hub.client_id().as_str())
        .append_pair("client_secret", hub.client_secret().expose());
    if let Some(verifier) = &pending.pkce_verifier {
        form.append_pair("code_verifier", verifier);
    }
    let request = openidconnect::http::Request::post(url)
        .header(
            header::CONTENT_TYPE.as_str(),
            "application/x-www-form-urlencoded",
        )
        .header(header::ACCEPT.as_str(), "application/json")
        .body(form.finish().into_bytes())
        .map_err(|_| SpError::Token("requête impossible à construire".into()))?;
    let response = http
        .send(request)
        .await
        .map_err(|e| SpError::HubUnreachable(transport_error(&e)))?;
    read_answer(response.status().as_u16(), response.body())
}

/// The answer of the token endpoint: the tokens, or why there are none.
fn read_answer(status: u16, body: &[u8]) -> Result<Tokens, SpError> {
    if body.len() > MAX_ANSWER_BYTES {
        return Err(SpError::Token("réponse trop volumineuse".into()));
    }
    if !(200..300).contains(&status) {
        let error = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(short))
            .unwrap_or_else(|| "sans code d'erreur".into());
        return Err(SpError::Token(format!(
            "FranceConnect a refusé l'échange du code (HTTP {status}, {error})"
        )));
    }
    let tokens: Tokens = serde_json::from_slice(body)
        .map_err(|_| SpError::Token("réponse illisible (JSON attendu)".into()))?;
    if !tokens.token_type.eq_ignore_ascii_case("bearer") {
        return Err(SpError::Token(format!(
            "type de jeton « {} » inattendu (Bearer attendu)",
            short(&tokens.token_type)
        )));
    }
    Ok(tokens)
}

fn short(text: &str) -> String {
    text.chars().take(60).collect()
}

/// What the ID token must say, from the login in progress.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// The level asked (`acr_values`).
    pub acr: &'a str,
    /// The levels this hub gives.
    pub acr_allowed: &'a [&'a str],
    pub now: i64,
}

/// Opens (FranceConnect+) and verifies the ID token of `tokens` (module header).
pub async fn verify_id_token(
    hub: &Hub,
    http: &Http,
    pending: &PendingLogin,
    tokens: &Tokens,
    now: i64,
) -> Result<IdToken, SpError> {
    let refused = |why: JwtRefusal| SpError::IdToken(why.to_string());
    let received = tokens
        .id_token
        .as_deref()
        .ok_or_else(|| SpError::IdToken("la réponse ne contient pas d'id_token".into()))?;
    let jws = hub
        .open(http, received, TokenKind::IdToken)
        .map_err(refused)?;
    let jwe_header = (jws != received)
        .then(|| fc_plumbing::jwe::peek_header(received).ok())
        .flatten();
    let issuer = hub.issuer_of(pending.api_version);
    let expected = Expected {
        issuer: issuer.as_str(),
        client_id: hub.client_id().as_str(),
        nonce: &pending.nonce,
        acr: &pending.acr,
        acr_allowed: hub.platform().acr_allowed(),
        now,
    };
    let (alg, _) = hub.expected_algs(pending.api_version);
    let claims = hub
        .verify_jwt(http, &jws, alg, |claims| {
            check_claims(claims, &expected).map(|()| claims.clone())
        })
        .await
        .map_err(refused)?;
    Ok(IdToken {
        jws,
        claims,
        jwe_header,
    })
}

/// The ID token's claims against what this login expects.
pub fn check_claims(claims: &Value, expected: &Expected<'_>) -> Result<(), JwtRefusal> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let no = |why: &str| Err(JwtRefusal::new(why));
    if text("iss") != Some(expected.issuer) {
        return no("il n'a pas été émis par le FranceConnect configuré (iss)");
    }
    if !audience_is(claims, expected.client_id) {
        return no("il n'est pas destiné à ce service (aud)");
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + EXP_LEEWAY_SECS > expected.now => {}
        Some(_) => return no("il a expiré (exp dépassé)"),
        None => return no("il est mal formé (exp manquant)"),
    }
    if text("nonce") != Some(expected.nonce) {
        return no("son nonce n'est pas celui envoyé à l'autorisation");
    }
    if text("sub").is_none_or(str::is_empty) {
        return no("son sub est invalide");
    }
    check_acr(text("acr"), expected)
}

/// `aud` is our client id, alone or in a list.
pub fn audience_is(claims: &Value, client_id: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    }
}

/// The level vouched for: one this hub gives, and at least the lowest one asked (a hub, or
/// somebody between it and us, answering a lower level than asked is not to be trusted with
/// what needed the higher one).
fn check_acr(acr: Option<&str>, expected: &Expected<'_>) -> Result<(), JwtRefusal> {
    let rank = |level: &str| ACR_LEVELS.iter().position(|l| *l == level);
    let Some(acr) = acr else {
        return Err(JwtRefusal::new("il n'indique pas le niveau eIDAS (acr)"));
    };
    let shown = short(acr);
    if !expected.acr_allowed.contains(&acr) {
        return Err(JwtRefusal(format!(
            "niveau eIDAS « {shown} » inattendu (acr) : ce hub ne donne que {}",
            expected.acr_allowed.join(", ")
        )));
    }
    let asked = expected.acr.split_whitespace().filter_map(rank).min();
    match (rank(acr), asked) {
        (Some(got), Some(asked)) if got < asked => Err(JwtRefusal(format!(
            "niveau eIDAS « {shown} » insuffisant (acr) : {} était demandé",
            ACR_LEVELS[asked]
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expected<'a>(acr: &'a str, allowed: &'a [&'a str]) -> Expected<'a> {
        Expected {
            issuer: "http://hub/api/v2",
            client_id: "sp",
            nonce: "n",
            acr,
            acr_allowed: allowed,
            now: 1_000,
        }
    }

    fn claims(acr: &str) -> Value {
        json!({"iss": "http://hub/api/v2", "aud": "sp", "exp": 1_060, "iat": 1_000,
               "nonce": "n", "sub": "s", "acr": acr})
    }

    #[test]
    fn each_claim_is_checked() {
        let plus = ["eidas2", "eidas3"];
        assert!(check_claims(&claims("eidas3"), &expected("eidas2", &plus)).is_ok());
        let refused = |claims: &Value, e: &Expected<'_>| check_claims(claims, e).unwrap_err().0;
        for (name, bad, words) in [
            ("iss", json!("http://hub/api/v2/"), "(iss)"),
            ("aud", json!(["other"]), "(aud)"),
            ("exp", json!(900), "expiré"),
            ("nonce", json!("m"), "nonce"),
            ("sub", json!(""), "sub"),
        ] {
            let mut c = claims("eidas2");
            c[name] = bad;
            let why = refused(&c, &expected("eidas2", &plus));
            assert!(why.contains(words), "{name}: {why}");
        }
        let mut no_nonce = claims("eidas2");
        no_nonce.as_object_mut().unwrap().remove("nonce");
        assert!(refused(&no_nonce, &expected("eidas2", &plus)).contains("nonce"));
    }

    #[test]
    fn the_level_must_be_one_the_hub_gives_and_at_least_the_one_asked() {
        let plus = ["eidas2", "eidas3"];
        let why = check_claims(&claims("eidas2"), &expected("eidas3", &plus))
            .unwrap_err()
            .0;
        assert!(why.contains("« eidas2 » insuffisant"), "{why}");
        assert!(why.contains("eidas3 était demandé"), "{why}");
        let why = check_claims(&claims("eidas1"), &expected("eidas1", &plus))
            .unwrap_err()
            .0;
        assert!(why.contains("ne donne que eidas2, eidas3"), "{why}");
        assert!(check_claims(&claims("eidas2"), &expected("eidas1", &ACR_LEVELS)).is_ok());
    }

    #[test]
    fn token_answers_are_read_or_explained() {
        let ok =
            br#"{"access_token":"a","token_type":"Bearer","expires_in":60,"id_token":"x.y.z"}"#;
        assert_eq!(read_answer(200, ok).unwrap().expires_in, Some(60));
        let failed = read_answer(500, br#"{"error":"server_error"}"#).unwrap_err();
        assert!(failed.to_string().contains("server_error"), "{failed}");
        let cut = read_answer(200, br#"{"access_token":"a","tok"#).unwrap_err();
        assert!(cut.to_string().contains("JSON attendu"), "{cut}");
        let mac = br#"{"access_token":"a","token_type":"MAC"}"#;
        assert!(read_answer(200, mac).is_err());
    }
}
