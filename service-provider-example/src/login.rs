//! Step 1 — send the user to FranceConnect (`/authorize`, SPEC §4.2, §7).
//!
//! FranceConnect expects a browser redirect to its `authorization_endpoint` with exactly these
//! parameters: `client_id`, `redirect_uri` (registered byte for byte), `response_type=code`,
//! `scope` (with `openid`), `state` (checked on return, against CSRF), `nonce` (at least 22
//! characters, found again in the ID token, against replay) and `acr_values` (the eIDAS level,
//! `eidas1` for FranceConnect). Optional: `prompt` (`login`, `consent`) and `claims` (to receive
//! `amr`). Any other parameter is refused — in particular PKCE's `code_challenge`, so none is sent.
//!
//! `openidconnect`'s `authorize_url` writes `response_type`, `client_id`, `state`, `redirect_uri`,
//! `scope` and `nonce`; we add `acr_values` and the options, nothing else.

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{AuthenticationContextClass, CsrfToken, Nonce, Scope};
use serde::Deserialize;

use crate::error::SpError;
use crate::journal::{Exchange, Journal};
use crate::session::{self, PendingLogin, Purpose};
use crate::startup::AppState;

/// The eIDAS levels FranceConnect(+) knows.
const ACR_LEVELS: [&str; 3] = ["eidas1", "eidas2", "eidas3"];
/// The `claims` request parameter asking for `amr` in the ID token.
const AMR_CLAIMS: &str = r#"{"id_token":{"amr":{"essential":true}}}"#;

/// Options of the login form on the home page; anything unknown is ignored.
#[derive(Debug, Default, Deserialize)]
pub struct LoginOptions {
    /// eIDAS level (`eidas1`, `eidas2`, `eidas3`), instead of the configured one.
    pub acr: Option<String>,
    /// `login`, `consent` or both, space separated.
    pub prompt: Option<String>,
    /// Any value asks for the `amr` claim.
    pub amr: Option<String>,
}

/// `GET /login`: log in with the identity scopes.
pub async fn login_get(
    app: web::Data<AppState>,
    session: Session,
    options: web::Query<LoginOptions>,
) -> Result<HttpResponse, SpError> {
    redirect_to_franceconnect(&app, &session, Purpose::Identity, &options).await
}

/// `GET /data/login`: a new authorization with the data provider's scopes.
pub async fn data_login_get(
    app: web::Data<AppState>,
    session: Session,
    options: web::Query<LoginOptions>,
) -> Result<HttpResponse, SpError> {
    redirect_to_franceconnect(&app, &session, Purpose::Data, &options).await
}

async fn redirect_to_franceconnect(
    app: &AppState,
    session: &Session,
    purpose: Purpose,
    options: &LoginOptions,
) -> Result<HttpResponse, SpError> {
    let metadata = app.hub.metadata().await?;
    let client = app.hub.client(&metadata);

    let scopes = match purpose {
        Purpose::Identity => &app.config.scopes,
        Purpose::Data => &app.config.data_scopes,
    };
    let acr_values = match options.acr.as_deref() {
        Some(acr) if ACR_LEVELS.contains(&acr) => acr,
        _ => app.config.acr_values.as_str(),
    };
    // 32 random bytes each: unguessable, and well above FranceConnect's 22-character minimum.
    let state = CsrfToken::new(fc_plumbing::random::token(32));
    let nonce = Nonce::new(fc_plumbing::random::token(32));

    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || state,
            move || nonce,
        )
        // `openidconnect` already puts `openid` first.
        .add_scopes(
            scopes
                .split_whitespace()
                .filter(|scope| *scope != "openid")
                .map(|scope| Scope::new(scope.to_owned())),
        );
    for acr in acr_values.split_whitespace() {
        request = request.add_auth_context_value(AuthenticationContextClass::new(acr.to_owned()));
    }
    for prompt in options.prompt.as_deref().unwrap_or("").split_whitespace() {
        match prompt {
            "login" => request = request.add_prompt(CoreAuthPrompt::Login),
            "consent" => request = request.add_prompt(CoreAuthPrompt::Consent),
            _ => {}
        }
    }
    if options.amr.is_some() {
        request = request.add_extra_param("claims", AMR_CLAIMS);
    }
    let (authorize_url, state, nonce) = request.url();

    session::set_pending_login(
        session,
        &PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            purpose,
        },
    )?;
    let mut journal = Journal::load(session);
    let step = match purpose {
        Purpose::Identity => "Redirection vers FranceConnect pour s'identifier (authorize)",
        Purpose::Data => {
            "Redirection vers FranceConnect pour autoriser l'accès aux données (authorize)"
        }
    };
    journal.push(Exchange::redirect(
        step,
        "SP → navigateur → FranceConnect",
        authorize_url.as_str(),
        302,
    ));
    journal.save(session)?;

    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, authorize_url.as_str()))
        .finish())
}
