//! `POST /login` and `POST /login/custom`: the answers of the login form and of the "custom
//! identity" form.
//!
//! A form is accepted only with its signed pending authorization, before it expires, from the
//! browser it was shown to, and once ([`crate::login_form`]). An unknown login and a wrong password
//! get the same message on the same re-rendered form, and leave nothing behind. Success opens the
//! IdP session ([`crate::idp_session`]) and issues a single-use code bound to the client,
//! redirect_uri, nonce, the acr chosen in the form, a copy of the person and the failure scenario
//! its login names ([`crate::scenario`]).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::params::Params;
use super::{ACR_LEVELS, error_redirect, login_page, redirect};
use crate::error::AppError;
use crate::idp_session;
use crate::login_form::{BROWSER_COOKIE, FORM_FIELD, PendingAuthorization};
use crate::scenario::Scenario;
use crate::state::AppState;
use crate::store::CodeGrant;
use crate::users::{CustomIdentity, Person};

/// The one message of a failed login: it must not tell which of the two fields was wrong.
pub const BAD_CREDENTIALS: &str = "Identifiant ou mot de passe incorrect.";
const BAD_ACR: &str = "Choisissez un niveau eIDAS dans la liste.";

/// A posted form whose pending authorization was accepted.
struct Posted<'p> {
    params: &'p Params,
    /// The signed field as posted, to show the same form again.
    sealed: &'p str,
    pending: PendingAuthorization,
}

impl<'p> Posted<'p> {
    fn get(&self, name: &str) -> Result<&'p str, AppError> {
        self.params
            .single(name)
            .map(Option::unwrap_or_default)
            .map_err(|r| AppError::BadRequest(format!("{} is repeated", r.0)))
    }

    /// The same form again, with `error`.
    fn again(&self, state: &AppState, error: &str) -> Result<HttpResponse, AppError> {
        login_page::render(state, self.sealed, &self.pending.request.acr, Some(error))
    }
}

pub async fn login_post(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let params =
        Params::from_body(&body).ok_or_else(|| AppError::BadRequest("unreadable form".into()))?;
    let form = open_form(&request, &params, &state)?;

    if !form.get("cancel")?.is_empty() {
        return Ok(error_redirect(
            StatusCode::SEE_OTHER,
            &form.pending.request.redirect_uri,
            "access_denied",
            "user authentication aborted",
            Some(&form.pending.request.state),
        ));
    }
    let acr = form.get("acr")?;
    if !ACR_LEVELS.contains(&acr) {
        return form.again(&state, BAD_ACR);
    }
    let users = state.users.current();
    let Some(user) = users.authenticate(form.get("login")?, form.get("password")?) else {
        tracing::info!("login refused: unknown login or wrong password");
        return form.again(&state, BAD_CREDENTIALS);
    };
    let scenario = Scenario::from_login(&user.identifiant);
    if let Some(scenario) = scenario {
        tracing::info!(?scenario, "failure scenario chosen by the login");
    }
    finish_login(&state, &session, form.pending, user.person(), scenario, acr)
}

/// Longest value accepted in a custom identity field: above the hub's 256-character limit, so
/// that limit can be tested, yet bounded.
const MAX_CUSTOM_FIELD: usize = 1024;

/// `POST /login/custom`: the "custom identity" form, a one-off person typed by the tester. Same
/// form rules as `/login`; the values are not validated (seeing the hub refuse a bad identity is
/// one of its uses), only bounded.
pub async fn login_custom_post(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let params =
        Params::from_body(&body).ok_or_else(|| AppError::BadRequest("unreadable form".into()))?;
    let form = open_form(&request, &params, &state)?;
    let acr = form.get("acr")?;
    if !ACR_LEVELS.contains(&acr) {
        return form.again(&state, BAD_ACR);
    }
    let field = |name: &str| form.get(name).map(str::to_owned);
    let identity = CustomIdentity {
        given_name: field("given_name")?,
        family_name: field("family_name")?,
        preferred_username: field("preferred_username")?,
        gender: field("gender")?,
        birthdate: field("birthdate")?,
        birthplace: field("birthplace")?,
        birthcountry: field("birthcountry")?,
        email: field("email")?,
    };
    if identity
        .fields()
        .iter()
        .any(|(_, value)| value.chars().count() > MAX_CUSTOM_FIELD)
    {
        return form.again(
            &state,
            "Un champ de l'identité personnalisée est trop long (1024 caractères au plus).",
        );
    }
    tracing::info!("custom identity typed in the form");
    finish_login(&state, &session, form.pending, identity.person(), None, acr)
}

/// The posted form, once its pending authorization is checked (signature, expiry, browser, not
/// used yet).
fn open_form<'p>(
    request: &HttpRequest,
    params: &'p Params,
    state: &AppState,
) -> Result<Posted<'p>, AppError> {
    let sealed = params
        .single(FORM_FIELD)
        .map_err(|r| AppError::BadRequest(format!("{} is repeated", r.0)))?
        .ok_or(AppError::InteractionExpired)?;
    let cookie = request.cookie(BROWSER_COOKIE);
    let pending = state
        .forms
        .open(
            sealed,
            cookie.as_ref().map(|c| c.value()),
            state.clock.now(),
        )
        .map_err(|refused| {
            tracing::info!(%refused, "login form refused");
            AppError::InteractionExpired
        })?;
    if state.stores.used_forms.is_used(&pending.id) {
        tracing::info!("login form refused: already used");
        return Err(AppError::InteractionExpired);
    }
    Ok(Posted {
        params,
        sealed,
        pending,
    })
}

/// Spends the form, opens the IdP session and sends the code back to the client.
fn finish_login(
    state: &AppState,
    session: &Session,
    pending: PendingAuthorization,
    person: Person,
    scenario: Option<Scenario>,
    acr: &str,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    // Whoever spends the form first gets the code; a concurrent second post gets nothing.
    if !state
        .stores
        .used_forms
        .consume(&pending.id, pending.exp, now)
    {
        return Err(AppError::InteractionExpired);
    }
    idp_session::open(session, &person, now)?;
    let code = fc_plumbing::random::token(32);
    tracing::info!(sub = %person.sub, acr, "user authenticated, code issued");
    let request = pending.request;
    let location = fc_plumbing::web::url_with_query(
        &request.redirect_uri,
        &[("code", &code), ("state", &request.state)],
    );
    let grant = CodeGrant {
        client_id: request.client_id,
        redirect_uri: request.redirect_uri,
        nonce: request.nonce,
        acr: acr.to_owned(),
        scope: request.scope,
        person,
        scenario,
        auth_time: now,
    };
    state
        .stores
        .codes
        .insert(code, grant)
        .map_err(|e| AppError::Internal(format!("code store: {e}")))?;
    Ok(redirect(StatusCode::SEE_OTHER, &location))
}
