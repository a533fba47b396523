//! Step 1 — send the user to FranceConnect (`/authorize`, SPEC §4.2, §7).
//!
//! FranceConnect expects a browser redirect to its `authorization_endpoint` with exactly these
//! parameters: `client_id`, `redirect_uri` (registered byte for byte), `response_type=code`,
//! `scope` (with `openid`), `state` (checked on return, against CSRF), `nonce` (at least 22
//! characters, found again in the ID token, against replay) and `acr_values` (the eIDAS level,
//! `eidas1` for FranceConnect). Optional: `prompt` (`login`, `consent`), `claims` (to receive
//! `amr`) and `idp_hint` (skip the mire, for IdPs the SP registration allows). Any other
//! parameter is refused — in particular PKCE's `code_challenge`, so none is sent unless the tester
//! asks for it on the options page (for a hub in relaxed mode).
//! Partner documentation: <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.
//!
//! `openidconnect`'s `authorize_url` writes `response_type`, `client_id`, `state`, `redirect_uri`,
//! `scope` and `nonce`; we add `acr_values` and the options, nothing else.
//!
//! Two entry points: the buttons (`/login`, `/data/login`) leave at once with the configured
//! scopes; the options page ([`crate::options`]) builds the same request from a form, shows it,
//! then leaves through [`options_go_get`].

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{
    AuthenticationContextClass, CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier, Scope,
};
use serde::Deserialize;

use crate::error::SpError;
use crate::hub::ApiVersion;
use crate::journal::{Exchange, Journal};
use crate::session::{self, PendingLogin, Purpose};
use crate::startup::AppState;

/// The eIDAS levels FranceConnect(+) knows.
pub const ACR_LEVELS: [&str; 3] = ["eidas1", "eidas2", "eidas3"];
/// The `claims` request parameter asking for `amr` in the ID token.
pub const AMR_CLAIMS: &str = r#"{"id_token":{"amr":{"essential":true}}}"#;

/// Options accepted by `/login` and `/data/login` (shortcuts; the options page offers them all).
#[derive(Debug, Default, Deserialize)]
pub struct LoginOptions {
    /// eIDAS level (`eidas1`, `eidas2`, `eidas3`), instead of the configured one.
    pub acr: Option<String>,
    /// `login`, `consent` or both, space separated.
    pub prompt: Option<String>,
    /// Any value asks for the `amr` claim.
    pub amr: Option<String>,
}

/// Everything that shapes one authorize request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub purpose: Purpose,
    pub api_version: ApiVersion,
    /// Scopes besides `openid` (always sent first).
    pub scopes: Vec<String>,
    pub acr_values: String,
    /// Each of `login`, `consent`.
    pub prompts: Vec<String>,
    pub amr: bool,
    pub idp_hint: Option<String>,
    pub pkce: bool,
}

/// `GET /login`: log in with the identity scopes.
pub async fn login_get(
    app: web::Data<AppState>,
    session: Session,
    options: web::Query<LoginOptions>,
) -> Result<HttpResponse, SpError> {
    let request = button_request(&app, Purpose::Identity, &options);
    let authorize_url = prepare_authorization(&app, &session, &request).await?;
    leave_for_franceconnect(&app, &session, request.purpose, &authorize_url)
}

/// `GET /data/login`: a new authorization with the data provider's scopes.
pub async fn data_login_get(
    app: web::Data<AppState>,
    session: Session,
    options: web::Query<LoginOptions>,
) -> Result<HttpResponse, SpError> {
    let request = button_request(&app, Purpose::Data, &options);
    let authorize_url = prepare_authorization(&app, &session, &request).await?;
    leave_for_franceconnect(&app, &session, request.purpose, &authorize_url)
}

/// `GET /options/go`: leave for the authorize URL the options page showed.
pub async fn options_go_get(
    app: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, SpError> {
    let pending = session::pending_login(&session)?
        .filter(|p| !p.authorize_url.is_empty())
        .ok_or(SpError::NoLoginInProgress)?;
    leave_for_franceconnect(&app, &session, pending.purpose, &pending.authorize_url)
}

/// The request of the two buttons: configured scopes and level, v2, no PKCE.
fn button_request(app: &AppState, purpose: Purpose, options: &LoginOptions) -> AuthorizeRequest {
    let scopes = match purpose {
        Purpose::Identity => &app.config.scopes,
        Purpose::Data => &app.config.data_scopes,
    };
    let acr_values = match options.acr.as_deref() {
        Some(acr) if ACR_LEVELS.contains(&acr) => acr.to_owned(),
        _ => app.config.acr_values.clone(),
    };
    let prompts = options
        .prompt
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .filter(|p| ["login", "consent"].contains(p))
        .map(str::to_owned)
        .collect();
    AuthorizeRequest {
        purpose,
        api_version: ApiVersion::V2,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        acr_values,
        prompts,
        amr: options.amr.is_some(),
        idp_hint: None,
        pkce: false,
    }
}

/// Builds the authorize URL with a fresh `state` and `nonce`, and remembers them in the session
/// for the callback. Returns the URL.
pub async fn prepare_authorization(
    app: &AppState,
    session: &Session,
    wanted: &AuthorizeRequest,
) -> Result<String, SpError> {
    let metadata = app.hub.metadata_for(wanted.api_version).await?;
    let client = app.hub.client(&metadata);

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
            wanted
                .scopes
                .iter()
                .filter(|scope| *scope != "openid")
                .map(|scope| Scope::new(scope.clone())),
        );
    for acr in wanted.acr_values.split_whitespace() {
        request = request.add_auth_context_value(AuthenticationContextClass::new(acr.to_owned()));
    }
    for prompt in &wanted.prompts {
        match prompt.as_str() {
            "login" => request = request.add_prompt(CoreAuthPrompt::Login),
            "consent" => request = request.add_prompt(CoreAuthPrompt::Consent),
            _ => {}
        }
    }
    if wanted.amr {
        request = request.add_extra_param("claims", AMR_CLAIMS);
    }
    if let Some(hint) = &wanted.idp_hint {
        request = request.add_extra_param("idp_hint", hint.clone());
    }
    // PKCE (S256) only on request: FranceConnect answers Y030007 to a `code_challenge`.
    let mut pkce_verifier = None;
    if wanted.pkce {
        let verifier = PkceCodeVerifier::new(fc_plumbing::random::token(32));
        request =
            request.set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier));
        pkce_verifier = Some(verifier.secret().clone());
    }
    let (authorize_url, state, nonce) = request.url();

    session::set_pending_login(
        session,
        &PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            purpose: wanted.purpose,
            api_version: wanted.api_version,
            pkce_verifier,
            authorize_url: authorize_url.to_string(),
        },
    )?;
    Ok(authorize_url.to_string())
}

/// Writes the redirect in the journal and sends the browser to FranceConnect.
fn leave_for_franceconnect(
    app: &AppState,
    session: &Session,
    purpose: Purpose,
    authorize_url: &str,
) -> Result<HttpResponse, SpError> {
    let mut journal = Journal::open(&app.journals, session)?;
    let step = match purpose {
        Purpose::Identity => "Redirection vers FranceConnect pour s'identifier (authorize)",
        Purpose::Data => {
            "Redirection vers FranceConnect pour autoriser l'accès aux données (authorize)"
        }
    };
    journal.push(Exchange::redirect(
        step,
        "SP → navigateur → FranceConnect",
        authorize_url,
        302,
    ));

    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, authorize_url))
        .finish())
}
