//! `POST /login` (SPEC §5): the login form's answer.
//!
//! The form only works once, from the browser that opened it: its interaction must be live,
//! its CSRF token (replaced at each submission) must match and the browser's session must hold
//! the interaction's browser id. An unknown login and a wrong password get the same message on
//! the same re-rendered form, and leave nothing behind. Success opens the IdP session (renewed
//! id, against session fixation) and issues a single-use code bound to the client, redirect_uri,
//! nonce, the acr chosen in the form and the user.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use fc_plumbing::random::{secure_eq, token};

use super::authorize::{BROWSER_ID, render_login_form};
use super::params::Params;
use super::{ACR_LEVELS, error_redirect, redirect};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{CodeGrant, unix_now};

/// The one message of a failed login: it must not tell which of the two fields was wrong.
pub const BAD_CREDENTIALS: &str = "Identifiant ou mot de passe incorrect.";
/// Session keys of a logged-in user.
pub const SESSION_USER: &str = "identifiant";
pub const SESSION_AUTH_TIME: &str = "auth_time";

pub async fn login_post(
    body: web::Bytes,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let params =
        Params::from_body(&body).ok_or_else(|| AppError::BadRequest("unreadable form".into()))?;
    let get = |name: &str| {
        params
            .single(name)
            .map_err(|r| AppError::BadRequest(format!("{} is repeated", r.0)))
    };
    let interaction_id = get("interaction_id")?.ok_or(AppError::InteractionExpired)?;
    let csrf_token = get("csrf_token")?.unwrap_or_default();
    let browser_id = session.get::<String>(BROWSER_ID).ok().flatten();
    let now = unix_now();

    let interaction = state
        .interactions
        .with_mut(interaction_id, now, |interaction| {
            let same_browser = browser_id
                .as_deref()
                .is_some_and(|b| secure_eq(&interaction.browser_id, b));
            if !(same_browser && secure_eq(&interaction.csrf_token, csrf_token)) {
                return None;
            }
            interaction.csrf_token = token(32);
            Some(interaction.clone())
        })
        .flatten()
        .ok_or(AppError::InteractionExpired)?;

    if get("cancel")?.is_some() {
        state.interactions.take(interaction_id, now);
        return Ok(error_redirect(
            StatusCode::SEE_OTHER,
            &interaction.redirect_uri,
            "access_denied",
            "user authentication aborted",
            Some(&interaction.state),
        ));
    }

    let acr = get("acr")?.unwrap_or_default();
    if !ACR_LEVELS.contains(&acr) {
        return render_login_form(
            &state,
            interaction_id,
            &interaction,
            Some("Choisissez un niveau eIDAS dans la liste."),
        );
    }
    let login = get("login")?.unwrap_or_default();
    let password = get("password")?.unwrap_or_default();
    let Some(user) = state.users.authenticate(login, password) else {
        tracing::info!("login refused: unknown login or wrong password");
        return render_login_form(&state, interaction_id, &interaction, Some(BAD_CREDENTIALS));
    };

    // Whoever takes the interaction first gets the code; a concurrent second post gets nothing.
    let interaction = state
        .interactions
        .take(interaction_id, now)
        .ok_or(AppError::InteractionExpired)?;
    session.renew();
    let session_error =
        |e: actix_session::SessionInsertError| AppError::Internal(format!("session: {e}"));
    session
        .insert(SESSION_USER, &user.identifiant)
        .map_err(session_error)?;
    session
        .insert(SESSION_AUTH_TIME, now)
        .map_err(session_error)?;

    let code = token(32);
    state.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: interaction.client_id,
            redirect_uri: interaction.redirect_uri.clone(),
            nonce: interaction.nonce,
            acr: acr.to_owned(),
            scope: interaction.scope,
            identifiant: user.identifiant.clone(),
            auth_time: now,
        },
        now,
    );
    tracing::info!(sub = %user.sub(), acr, "user authenticated, code issued");
    let location = fc_plumbing::web::url_with_query(
        &interaction.redirect_uri,
        &[("code", &code), ("state", &interaction.state)],
    );
    Ok(redirect(StatusCode::SEE_OTHER, &location))
}
