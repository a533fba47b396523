//! `POST /login` and `POST /login/custom` (SPEC §5): the answers of the login form and of the
//! "custom identity" form.
//!
//! The form only works once, from the browser that opened it: its interaction must be live,
//! its CSRF token (replaced at each submission) must match and the browser's session must hold
//! the interaction's browser id. An unknown login and a wrong password get the same message on
//! the same re-rendered form, and leave nothing behind. Success opens the IdP session (renewed
//! id, against session fixation) and issues a single-use code bound to the client, redirect_uri,
//! nonce, the acr chosen in the form, a copy of the person and the failure scenario its login
//! names ([`crate::scenario`]).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use fc_plumbing::random::{secure_eq, token};

use super::authorize::{BROWSER_ID, render_login_form};
use super::params::Params;
use super::{ACR_LEVELS, error_redirect, redirect};
use crate::error::AppError;
use crate::scenario::Scenario;
use crate::state::AppState;
use crate::store::{CodeGrant, Interaction, unix_now};
use crate::users::{CustomIdentity, Person};

/// The one message of a failed login: it must not tell which of the two fields was wrong.
pub const BAD_CREDENTIALS: &str = "Identifiant ou mot de passe incorrect.";
/// Session keys of a logged-in user.
pub const SESSION_USER: &str = "identifiant";
pub const SESSION_AUTH_TIME: &str = "auth_time";
/// "Prénoms NOM" of who is logged in, for the home page (a custom identity is in no file).
pub const SESSION_NAME: &str = "display_name";

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
    let now = unix_now();
    let (interaction_id, interaction) = open_interaction(&params, &session, &state, now)?;

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
    let users = state.users.current();
    let Some(user) = users.authenticate(login, password) else {
        tracing::info!("login refused: unknown login or wrong password");
        return render_login_form(&state, interaction_id, &interaction, Some(BAD_CREDENTIALS));
    };
    let scenario = Scenario::from_login(&user.identifiant);
    if let Some(scenario) = scenario {
        tracing::info!(?scenario, "failure scenario chosen by the login");
    }
    finish_login(
        &state,
        &session,
        interaction_id,
        user.person(),
        scenario,
        acr,
        now,
    )
}

/// Longest value accepted in a custom identity field: above the hub's 256-character limit, so
/// that limit can be tested, yet bounded.
const MAX_CUSTOM_FIELD: usize = 1024;

/// `POST /login/custom`: the "custom identity" form, a one-off person typed by the tester. Same
/// interaction and CSRF rules as `/login`; the values are not validated (seeing the hub refuse
/// a bad identity is one of its uses), only bounded.
pub async fn login_custom_post(
    body: web::Bytes,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let params =
        Params::from_body(&body).ok_or_else(|| AppError::BadRequest("unreadable form".into()))?;
    let get = |name: &str| -> Result<String, AppError> {
        params
            .single(name)
            .map(|v| v.unwrap_or_default().to_owned())
            .map_err(|r| AppError::BadRequest(format!("{} is repeated", r.0)))
    };
    let now = unix_now();
    let (interaction_id, interaction) = open_interaction(&params, &session, &state, now)?;
    let acr = get("acr")?;
    if !ACR_LEVELS.contains(&acr.as_str()) {
        return render_login_form(
            &state,
            interaction_id,
            &interaction,
            Some("Choisissez un niveau eIDAS dans la liste."),
        );
    }
    let identity = CustomIdentity {
        given_name: get("given_name")?,
        family_name: get("family_name")?,
        preferred_username: get("preferred_username")?,
        gender: get("gender")?,
        birthdate: get("birthdate")?,
        birthplace: get("birthplace")?,
        birthcountry: get("birthcountry")?,
        email: get("email")?,
    };
    let fields = [
        &identity.given_name,
        &identity.family_name,
        &identity.preferred_username,
        &identity.gender,
        &identity.birthdate,
        &identity.birthplace,
        &identity.birthcountry,
        &identity.email,
    ];
    if fields.iter().any(|f| f.chars().count() > MAX_CUSTOM_FIELD) {
        return render_login_form(
            &state,
            interaction_id,
            &interaction,
            Some("Un champ de l'identité personnalisée est trop long (1024 caractères au plus)."),
        );
    }
    tracing::info!("custom identity typed in the form");
    finish_login(
        &state,
        &session,
        interaction_id,
        identity.person(),
        None,
        &acr,
        now,
    )
}

/// The live interaction the form names, once its CSRF token and browser binding are checked;
/// its CSRF token is replaced (single use).
fn open_interaction<'p>(
    params: &'p Params,
    session: &Session,
    state: &AppState,
    now: i64,
) -> Result<(&'p str, Interaction), AppError> {
    let get = |name: &str| {
        params
            .single(name)
            .map_err(|r| AppError::BadRequest(format!("{} is repeated", r.0)))
    };
    let interaction_id = get("interaction_id")?.ok_or(AppError::InteractionExpired)?;
    let csrf_token = get("csrf_token")?.unwrap_or_default();
    let browser_id = session.get::<String>(BROWSER_ID).ok().flatten();
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
    Ok((interaction_id, interaction))
}

/// Opens the IdP session and sends the code back to the client.
fn finish_login(
    state: &AppState,
    session: &Session,
    interaction_id: &str,
    person: Person,
    scenario: Option<Scenario>,
    acr: &str,
    now: i64,
) -> Result<HttpResponse, AppError> {
    // Whoever takes the interaction first gets the code; a concurrent second post gets nothing.
    let interaction = state
        .interactions
        .take(interaction_id, now)
        .ok_or(AppError::InteractionExpired)?;
    session.renew();
    let session_error =
        |e: actix_session::SessionInsertError| AppError::Internal(format!("session: {e}"));
    session
        .insert(SESSION_USER, &person.identifiant)
        .map_err(session_error)?;
    session
        .insert(SESSION_NAME, &person.display_name)
        .map_err(session_error)?;
    session
        .insert(SESSION_AUTH_TIME, now)
        .map_err(session_error)?;

    let code = token(32);
    tracing::info!(sub = %person.sub, acr, "user authenticated, code issued");
    state.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: interaction.client_id,
            redirect_uri: interaction.redirect_uri.clone(),
            nonce: interaction.nonce,
            acr: acr.to_owned(),
            scope: interaction.scope,
            person,
            scenario,
            auth_time: now,
        },
        now,
    );
    let location = fc_plumbing::web::url_with_query(
        &interaction.redirect_uri,
        &[("code", &code), ("state", &interaction.state)],
    );
    Ok(redirect(StatusCode::SEE_OTHER, &location))
}
