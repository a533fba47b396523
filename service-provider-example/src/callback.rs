//! Step 2 — back from FranceConnect on `redirect_uri` (SPEC §4.6, §7).
//!
//! FranceConnect sends the browser to `redirect_uri?code=…&state=…&iss=…`, or
//! `redirect_uri?error=…&error_description=…&state=…&iss=…`. What it expects from the SP
//! (partner documentation, token and userinfo endpoints:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>):
//! 1. `state` must be the one sent with this browser's `/authorize`; otherwise stop, without
//!    calling the hub (the callback may be forged). An `error` is shown only after this check,
//!    validated and escaped (it comes from the network);
//! 2. exchange the `code` at the `token_endpoint` (`client_secret_post`, with the same
//!    `redirect_uri`, plus the PKCE `code_verifier` when one was sent) for an access token and an
//!    ID token;
//! 3. verify the ID token: signature (v2: a key of the hub's JWKS, ES256 for the demo SP; v1:
//!    HS256 keyed by our client secret), `iss`, `aud` = our `client_id`, `exp`, and `nonce` = the
//!    one we sent;
//! 4. call the `userinfo_endpoint` with the access token: in v2 the answer is a signed JWT
//!    (`application/jwt`), to verify like the ID token; in v1 plain JSON. Either way its `sub`
//!    must be the ID token's;
//! 5. only then consider the user logged in.
//!
//! The hub puts its v2 issuer in the callback's `iss` (RFC 9207) for both APIs; a v1 login also
//! accepts the v1 issuer there.

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use fc_plumbing::jose::{self, JoseError, Jwa};
use openidconnect::core::{CoreIdToken, CoreIdTokenClaims, CoreTokenResponse};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, Nonce, OAuth2TokenResponse, PkceCodeVerifier,
    RequestTokenError, SignatureVerificationError,
};
use serde_json::Value;

use crate::error::SpError;
use crate::hub::{ApiVersion, error_chain};
use crate::journal::{
    Exchange, Journal, Recorder, invalid_signature, jwt_view, jwt_view_checked, valid_signature,
};
use crate::session::{self, DataGrant, PendingLogin, Purpose, User};
use crate::startup::AppState;

/// `GET /oidc-callback`
pub async fn oidc_callback_get(
    app: web::Data<AppState>,
    session: Session,
    request: actix_web::HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, SpError> {
    let mut journal = Journal::open(&app.journals, &session)?;
    let mut received = Exchange::redirect(
        "Retour de FranceConnect sur redirect_uri (callback)",
        "FranceConnect → navigateur → SP",
        &format!(
            "{}{}",
            app.config.public_url.trim_end_matches('/'),
            request.uri()
        ),
        0,
    );
    received.status = None;
    received.params = query.0.clone();
    journal.push(received);

    // Whatever happens, the journal keeps what was exchanged so far (each exchange goes to the
    // journal store as it is pushed).
    complete_login(&app, &session, &mut journal, &query.0).await
}

async fn complete_login(
    app: &AppState,
    session: &Session,
    journal: &mut Journal<'_>,
    params: &[(String, String)],
) -> Result<HttpResponse, SpError> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    // 1. The state: this callback must answer the login this browser started.
    let pending: PendingLogin =
        session::pending_login(session)?.ok_or(SpError::NoLoginInProgress)?;
    if !session::state_matches(&pending.state, param("state")) {
        return Err(SpError::StateMismatch);
    }
    session::forget_pending_login(session);
    let version = pending.api_version;
    if let Some(iss) = param("iss")
        && iss != app.hub.issuer().as_str()
        && iss != app.hub.issuer_of(version)
    {
        return Err(SpError::WrongCallbackIssuer(iss.to_owned()));
    }
    if let Some(error) = param("error") {
        return Err(SpError::hub(error, param("error_description")));
    }
    let code = param("code")
        .filter(|c| !c.is_empty())
        .ok_or(SpError::MissingCode)?;

    // 2. The code, exchanged for tokens (the recorder keeps the real request for the journal).
    let metadata = app.hub.metadata_for(version).await?;
    let client = app.hub.client(&metadata);
    let recorder = Recorder::new();
    let http = |r| recorder.send(&app.back_channel, r);
    let mut token_request = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| SpError::Token(e.to_string()))?;
    if let Some(verifier) = &pending.pkce_verifier {
        token_request = token_request.set_pkce_verifier(PkceCodeVerifier::new(verifier.clone()));
    }
    let token_result: Result<CoreTokenResponse, _> = token_request.request_async(&http).await;
    let mut token_exchanges = recorder.take(
        "Échange du code contre les jetons (token)",
        "SP → FranceConnect",
    );
    let tokens = match token_result {
        Ok(tokens) => tokens,
        Err(e) => {
            token_exchanges
                .iter_mut()
                .for_each(|x| x.notes.push(error_chain(&e)));
            token_exchanges.into_iter().for_each(|x| journal.push(x));
            return Err(match e {
                RequestTokenError::Request(e) => SpError::HubUnreachable(error_chain(&e)),
                other => SpError::Token(error_chain(&other)),
            });
        }
    };
    let id_token: CoreIdToken = tokens
        .extra_fields()
        .id_token()
        .cloned()
        .ok_or_else(|| SpError::IdToken("the token response has no id_token".into()))?;
    let raw_id_token = id_token.to_string();

    // 3. The ID token, verified by `openidconnect` (signature, iss, aud, exp, iat, nonce). An
    // unknown key may mean the hub rotated its keys: fetch the JWKS again, once (v2 only: v1
    // tokens are HS256, keyed by our secret).
    let nonce = Nonce::new(pending.nonce.clone());
    let verified = match verify_id_token(&client, &id_token, &nonce) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) if version == ApiVersion::V2 => {
            let refreshed = app.hub.refresh_jwks().await?;
            verify_id_token(&app.hub.client(&refreshed), &id_token, &nonce)
        }
        other => other,
    };
    // The journal shows the verdict of this verification: verifying again just to display it
    // would cost a second signature check (~440 µs in ES256) per login.
    let (signature, id_token_check) = match &verified {
        Ok(_) => (
            valid_signature(&raw_id_token),
            "ID token valide : signature, iss, aud, exp et nonce vérifiés par openidconnect"
                .to_owned(),
        ),
        Err(e) => {
            let signature = match e {
                ClaimsVerificationError::SignatureVerification(e) => invalid_signature(e),
                // Refused for another reason, possibly before the signature was checked: check
                // it for the journal (failures only, so off the hot path).
                _ => {
                    let metadata = app.hub.metadata_for(version).await?;
                    jwt_view_checked(
                        "ID token",
                        &raw_id_token,
                        Some(metadata.jwks()),
                        Some(&app.config.client_secret),
                    )
                    .signature
                }
            };
            (signature, format!("ID token REFUSÉ : {}", error_chain(e)))
        }
    };
    for mut exchange in token_exchanges {
        let view = jwt_view(
            "ID token",
            &raw_id_token,
            format!("{signature} — {id_token_check}"),
        );
        exchange.jwts.push(view);
        journal.push(exchange);
    }
    let claims = verified.map_err(|e| SpError::IdToken(error_chain(&e)))?;
    let sub = claims.subject().as_str().to_owned();

    // 4. Userinfo: a signed JWT whose `sub` must be the ID token's.
    let access_token = tokens.access_token().secret().clone();
    let userinfo = fetch_userinfo(app, journal, version, &access_token, &sub).await?;

    // 5. Logged in. A new session id (against session fixation) keeps the journal.
    let decoded =
        jose::decode_unverified(&raw_id_token).map_err(|e| SpError::IdToken(e.to_string()))?;
    let expires_at = tokens
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| (chrono::Utc::now() + d).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let scope = tokens
        .scopes()
        .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
    let user = User {
        api_version: version,
        sub,
        acr: claims.auth_context_ref().map(|acr| acr.as_str().to_owned()),
        amr: claims
            .auth_method_refs()
            .map(|amr| amr.iter().map(|a| a.as_str().to_owned()).collect())
            .unwrap_or_default(),
        id_token: raw_id_token,
        id_token_header: decoded.header,
        id_token_payload: decoded.payload,
        userinfo,
        scope: scope.clone(),
        access_token: Some(access_token.clone()),
        access_token_expires_at: expires_at.clone(),
    };
    session.renew();
    let next = match pending.purpose {
        Purpose::Identity => {
            session::set_user(session, &user)?;
            "/me"
        }
        Purpose::Data => {
            // The data pass also logs the user in when they were not already.
            if session::user(session)?.is_none() {
                session::set_user(session, &user)?;
            }
            session::set_data_grant(
                session,
                &DataGrant {
                    access_token,
                    scope,
                    expires_at,
                },
            )?;
            "/data"
        }
    };
    tracing::info!(purpose = ?pending.purpose, "user logged in through FranceConnect");
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, next))
        .finish())
}

fn verify_id_token(
    client: &crate::hub::HubClient,
    id_token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
    id_token.claims(&client.id_token_verifier(), nonce).cloned()
}

/// Calls userinfo with the access token and checks the answer. v2: a signed JWT, verified like
/// the ID token (signature with the hub's keys or, for HS256, the client secret; `iss`, `aud`,
/// `exp`); v1: plain JSON. Both: `sub` must be the ID token's. Also used by "Recharger userinfo".
pub async fn fetch_userinfo(
    app: &AppState,
    journal: &mut Journal<'_>,
    version: ApiVersion,
    access_token: &str,
    sub: &str,
) -> Result<Value, SpError> {
    let metadata = app.hub.metadata_for(version).await?;
    let userinfo_url = metadata
        .userinfo_endpoint()
        .ok_or_else(|| SpError::Userinfo("the hub publishes no userinfo_endpoint".into()))?
        .url()
        .to_string();
    let request = openidconnect::http::Request::get(&userinfo_url)
        .header(
            header::AUTHORIZATION.as_str(),
            format!("Bearer {access_token}"),
        )
        .header(
            header::ACCEPT.as_str(),
            match version {
                ApiVersion::V1 => "application/json",
                ApiVersion::V2 => "application/jwt",
            },
        )
        .body(Vec::new())
        .map_err(|e| SpError::Userinfo(e.to_string()))?;
    let recorder = Recorder::new();
    let sent = recorder.send(&app.back_channel, request).await;
    let mut exchanges = recorder.take(
        "Informations sur l'utilisateur (userinfo)",
        "SP → FranceConnect",
    );
    let mut signature = None;
    let result = match version {
        ApiVersion::V1 => check_userinfo_json(sent, sub),
        ApiVersion::V2 => check_userinfo(app, sent, sub, &mut signature).await,
    };
    for exchange in &mut exchanges {
        if let Some(jwt) = exchange
            .response_body
            .clone()
            .filter(|b| b.split('.').count() == 3)
        {
            let mut view = match &signature {
                // The check above verified it: show its verdict.
                Some(signature) => jwt_view("Userinfo", jwt.trim(), signature.clone()),
                // Refused before its signature was checked: check it once, for the journal.
                None => {
                    let metadata = app.hub.metadata_for(version).await?;
                    jwt_view_checked(
                        "Userinfo",
                        jwt.trim(),
                        Some(metadata.jwks()),
                        Some(&app.config.client_secret),
                    )
                }
            };
            if let Err(e) = &result {
                view.signature = format!("{} — userinfo REFUSÉ : {e}", view.signature);
            }
            exchange.jwts.push(view);
        } else if let Err(e) = &result {
            exchange.notes.push(format!("Userinfo refusé : {e}"));
        }
    }
    exchanges.into_iter().for_each(|x| journal.push(x));
    result
}

/// v1 userinfo: plain JSON, about the person of the ID token.
fn check_userinfo_json(
    sent: Result<openidconnect::HttpResponse, fc_plumbing::BackChannelError>,
    sub: &str,
) -> Result<Value, SpError> {
    let response = sent.map_err(|e| SpError::HubUnreachable(error_chain(&e)))?;
    if response.status().as_u16() == 401 {
        return Err(SpError::AccessTokenRejected);
    }
    if !response.status().is_success() {
        return Err(SpError::Userinfo(format!(
            "the hub answered {}",
            response.status()
        )));
    }
    let claims: Value = serde_json::from_slice(response.body())
        .map_err(|e| SpError::Userinfo(format!("not JSON: {e}")))?;
    if !claims.is_object() {
        return Err(SpError::Userinfo("not a JSON object".into()));
    }
    if claims.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(SpError::Userinfo("sub differs from the ID token's".into()));
    }
    Ok(claims)
}

/// v2 userinfo: a signed JWT. `signature` receives the verdict of the signature check, for the
/// journal, once the check ran.
async fn check_userinfo(
    app: &AppState,
    sent: Result<openidconnect::HttpResponse, fc_plumbing::BackChannelError>,
    sub: &str,
    signature: &mut Option<String>,
) -> Result<Value, SpError> {
    let response = sent.map_err(|e| SpError::HubUnreachable(error_chain(&e)))?;
    if response.status().as_u16() == 401 {
        return Err(SpError::AccessTokenRejected);
    }
    if !response.status().is_success() {
        return Err(SpError::Userinfo(format!(
            "the hub answered {}",
            response.status()
        )));
    }
    let content_type = response
        .headers()
        .get(openidconnect::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/jwt") {
        return Err(SpError::Userinfo(format!(
            "expected a signed JWT (application/jwt), got {content_type:?}"
        )));
    }
    let jwt = String::from_utf8_lossy(response.body()).trim().to_owned();

    // The algorithm must be one the hub announces for userinfo; never `none`.
    let header = jose::decode_unverified(&jwt)
        .map_err(|e| SpError::Userinfo(e.to_string()))?
        .header;
    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let metadata = app.hub.metadata().await?;
    let announced = |alg: Jwa| {
        metadata
            .userinfo_signing_alg_values_supported()
            .is_none_or(|algs| algs.contains(&alg.core()))
    };
    let alg: Jwa = match alg_name.parse() {
        Ok(alg) if announced(alg) => alg,
        _ => return Err(SpError::Userinfo(format!("algorithm {alg_name:?} refused"))),
    };
    let secret = Some(app.config.client_secret.as_str());
    let claims = match jose::verify_jwt(&jwt, alg, metadata.jwks(), secret) {
        Err(JoseError::UnknownKey(_)) => {
            let refreshed = app.hub.refresh_jwks().await?;
            jose::verify_jwt(&jwt, alg, refreshed.jwks(), secret)
        }
        other => other,
    };
    *signature = Some(match &claims {
        Ok(_) => valid_signature(&jwt),
        Err(e) => invalid_signature(e),
    });
    let claims = claims.map_err(|e| SpError::Userinfo(e.to_string()))?;

    if claims.get("iss").and_then(Value::as_str) != Some(app.hub.issuer().as_str()) {
        return Err(SpError::Userinfo("iss is not the hub's issuer".into()));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == &app.config.client_id,
        Some(Value::Array(auds)) => auds
            .iter()
            .any(|a| a.as_str() == Some(app.config.client_id.as_str())),
        _ => false,
    };
    if !aud_ok {
        return Err(SpError::Userinfo("aud is not our client_id".into()));
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64)
        && exp < chrono::Utc::now().timestamp()
    {
        return Err(SpError::Userinfo("expired".into()));
    }
    // Both documents must describe the same person.
    if claims.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(SpError::Userinfo("sub differs from the ID token's".into()));
    }
    Ok(claims)
}
