//! What a request adds to its journal, written in one place after the handler ran: the browser
//! redirects of the journey, then the server-to-server exchanges the request's [`Recorder`]
//! captured, each named after its step, with its JWTs decoded.
//!
//! Browser redirects are seen here, not in the steps: the callbacks arriving from FranceConnect
//! (`/oidc-callback`, `/logout-callback`) and the redirects leaving for it. The redirect *to*
//! `/authorize` is written when the browser comes back: the encrypted pending-login cookie
//! carries its URL and time, so a browser that never comes back costs the server nothing.
//!
//! A journal is created only for a browser that comes back with such a cookie; a request whose
//! session has no journal and that brings none records nothing (a flood of cookie-less requests
//! leaves no state behind).

use std::sync::Arc;

use actix_session::{Session, SessionExt};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use serde::Deserialize;

use super::data_provider;
use super::exchange::{Exchange, Verdict, jwe_view, jwt_view, opened_by_us};
use super::recorder::{JwtCheck, Opening, Recorded, Recorder};
use crate::formats::utc_timestamp;
use crate::pending::PendingLogin;
use crate::session::Purpose;
use crate::startup::AppState;

/// The session key holding the journal id (the entries live in the journal store).
const SESSION_KEY: &str = "journal_id";
const TO_HUB: &str = "SP → navigateur → FranceConnect";
const FROM_HUB: &str = "FranceConnect → navigateur → SP";

/// The middleware: `App::new().wrap(from_fn(journal::record))`, inside the session middleware.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(app) = request.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(request).await;
    };
    let recorder = Arc::new(Recorder::new(app.clock.clone()));
    request.extensions_mut().insert(recorder.clone());
    let known_id = journal_id(&request.get_session());
    let (mut exchanges, returning) = arrivals(&app, &request, &recorder);

    let response = next.call(request).await?;

    // The browser's request that arrived from FranceConnect gets the SP's answer.
    if let Some(arrival) = exchanges.last_mut() {
        arrival.status = Some(response.status().as_u16());
    }
    let Recorded {
        calls,
        verdicts,
        openings,
    } = recorder.take();
    exchanges.extend(
        calls
            .into_iter()
            .map(|call| labelled(&app, call, &verdicts, &openings)),
    );
    exchanges.extend(departure(&app, &response, &recorder));
    let id = match known_id {
        _ if exchanges.is_empty() => return Ok(response),
        Some(id) => id,
        None if returning => fc_plumbing::random::token(16),
        None => return Ok(response),
    };
    let from_data_provider = data_provider::exchanges(&app, &exchanges).await;
    exchanges.extend(from_data_provider);
    let session = response.request().get_session();
    keep(&session, &id);
    app.journals.append(&id, established(&session), exchanges);
    Ok(response)
}

/// The journal id of this session, if it has one (an unreadable value counts as none).
pub fn journal_id(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_KEY).ok().flatten()
}

/// Attaches the journal to the session again when the handler cleared it (logout), so the whole
/// journey stays readable.
fn keep(session: &Session, id: &str) {
    if journal_id(session).as_deref() != Some(id)
        && let Err(e) = session.insert(SESSION_KEY, id)
    {
        tracing::warn!("journal id not kept in the session: {e}");
    }
}

fn established(session: &Session) -> bool {
    matches!(
        session.get::<bool>(fc_plumbing::session::ESTABLISHED),
        Ok(Some(true))
    )
}

/// The browser coming back from FranceConnect: for a login, the redirect that sent it there
/// (from its pending-login cookie) and the callback. Also whether it brought such a cookie.
fn arrivals(
    app: &AppState,
    request: &ServiceRequest,
    recorder: &Recorder,
) -> (Vec<Exchange>, bool) {
    let url = format!(
        "{}{}",
        app.config.public_url.trim_end_matches('/'),
        request.uri()
    );
    match request.path() {
        "/oidc-callback" => {
            let pending = app.pending.peek(request.request());
            let mut exchanges: Vec<Exchange> = pending.iter().map(authorize_redirect).collect();
            let step = "Retour de FranceConnect sur redirect_uri (callback)";
            exchanges.push(Exchange::browser(step, FROM_HUB, &url, recorder.now()));
            (exchanges, pending.is_some())
        }
        "/logout-callback" => {
            let step = "Retour de FranceConnect après la déconnexion (post_logout_redirect_uri)";
            let exchange = Exchange::browser(step, FROM_HUB, &url, recorder.now());
            (vec![exchange], false)
        }
        _ => (Vec::new(), false),
    }
}

/// The redirect to `/authorize` that started the login the browser comes back from.
fn authorize_redirect(pending: &PendingLogin) -> Exchange {
    let step = match pending.purpose {
        Purpose::Identity => "Redirection vers FranceConnect pour s'identifier (authorize)",
        Purpose::Data => {
            "Redirection vers FranceConnect pour autoriser l'accès aux données (authorize)"
        }
    };
    let at = utc_timestamp(pending.left_at_ms);
    let mut exchange = Exchange::browser(step, TO_HUB, &pending.authorize_url, at);
    exchange.status = Some(302);
    exchange
}

/// A redirect leaving for FranceConnect, other than to `/authorize` (written on return).
fn departure<B>(
    app: &AppState,
    response: &ServiceResponse<B>,
    recorder: &Recorder,
) -> Option<Exchange> {
    let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
    let hub = app.hubs.owning(location)?;
    let to_hub = response.status().is_redirection() && !location.contains("/authorize");
    to_hub.then(|| {
        let step = format!(
            "Redirection vers {} pour se déconnecter (session/end)",
            hub.platform().name()
        );
        let mut exchange = Exchange::browser(&step, TO_HUB, location, recorder.now());
        exchange.status = Some(response.status().as_u16());
        exchange
    })
}

/// A back-channel call named after its step, with the JWT it brought decoded and the verdict
/// of the check that decided — for a JWE (FranceConnect+), first its header and the key that
/// opened it, then the signed JWT inside.
fn labelled(
    app: &AppState,
    mut call: Exchange,
    verdicts: &[JwtCheck],
    openings: &[Opening],
) -> Exchange {
    let hub = app.hubs.owning(&call.url);
    let dp = call
        .url
        .starts_with(app.config.dp_url.trim_end_matches('/'));
    let (step, actors) = match (hub_step(&call.url), hub) {
        (Some(step), Some(hub)) => (step.to_owned(), format!("SP → {}", hub.platform().name())),
        _ if dp => (
            "Appel du fournisseur de données avec le jeton d'accès".to_owned(),
            "SP → fournisseur de données".to_owned(),
        ),
        (_, hub) => {
            let name = hub.map_or("FranceConnect", |h| h.platform().name());
            (format!("Appel de {name}"), format!("SP → {name}"))
        }
    };
    call.step = step;
    call.actors = actors;
    if let Some((label, token)) = received_jwt(&call) {
        let opening = openings.iter().find(|o| o.jwe == token);
        let jwt = match opening {
            Some(opening) => {
                let verdict = opened_by_us(&opening.outcome);
                call.jwts
                    .push(jwe_view(label, opening.header.as_ref(), verdict));
                opening.plaintext.clone()
            }
            None => Some(token),
        };
        if let Some(jwt) = jwt {
            call.jwts
                .push(jwt_view(label, &jwt, verdict(verdicts, &jwt)));
        }
    }
    call
}

/// The verdict on `jwt`, as the journal shows it.
fn verdict(verdicts: &[JwtCheck], jwt: &str) -> Verdict {
    match verdicts.iter().find(|v| v.jwt == jwt) {
        Some(JwtCheck { refused: None, .. }) => Verdict::Valid,
        Some(JwtCheck {
            refused: Some(why), ..
        }) => format!("REFUSÉ : {why}").into(),
        None => "Non vérifié : le parcours s'est arrêté avant".into(),
    }
}

/// The step of a call to one of the hub's endpoints, named by the last segment of its path.
fn hub_step(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    Some(match path.rsplit('/').next().unwrap_or("") {
        "token" => "Échange du code contre les jetons (token)",
        "userinfo" => "Informations sur l'utilisateur (userinfo)",
        "jwks" => "Clés publiques de FranceConnect (JWKS)",
        "openid-configuration" => "Découverte de FranceConnect (openid-configuration)",
        _ => return None,
    })
}

/// The token of a token answer (its ID token) or of a userinfo answer (the answer itself): a
/// JWS, or a JWE on FranceConnect+.
fn received_jwt(call: &Exchange) -> Option<(&'static str, String)> {
    /// A token answer, read for its ID token only.
    #[derive(Deserialize)]
    struct TokenAnswer {
        id_token: Option<String>,
    }
    let body = call.response_body.as_deref()?.trim();
    if let Ok(answer) = serde_json::from_str::<TokenAnswer>(body) {
        return Some(("ID token", answer.id_token?));
    }
    let compact = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let parts = body.split('.').count();
    ((parts == 3 || parts == 5) && body.chars().all(compact)).then(|| ("Userinfo", body.to_owned()))
}
