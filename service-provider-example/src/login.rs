//! Step 1 — send the user to FranceConnect (`/authorize`).
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
//! The `state`, `nonce` and PKCE verifier are remembered for the callback in an encrypted cookie
//! ([`crate::pending`]): this step stores nothing on the server.
//!
//! The same request goes to FranceConnect or to FranceConnect+ (`hub=franceconnect-plus`, for
//! `eidas2` and `eidas3`): each with our registration there (client id, level by default). The
//! login in progress remembers which hub it went to, for the callback.
//!
//! Two entry points: the buttons (`/login`, `/data/login`) leave at once with the configured
//! scopes; the options page ([`crate::options`]) builds the same request from a form, shows it,
//! then leaves through [`options_go_get`].

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreResponseType,
};
use openidconnect::{
    AuthenticationContextClass, AuthorizationRequest, CsrfToken, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, Scope,
};
use serde::Deserialize;

use crate::error::SpError;
use crate::hub::{ApiVersion, Platform};
use crate::journal::Http;
use crate::pending::PendingLogin;
use crate::session::Purpose;
use crate::startup::AppState;

/// The eIDAS levels FranceConnect(+) knows.
pub const ACR_LEVELS: [&str; 3] = ["eidas1", "eidas2", "eidas3"];
/// The `claims` request parameter asking for `amr` in the ID token.
pub const AMR_CLAIMS: &str = r#"{"id_token":{"amr":{"essential":true}}}"#;

/// Options accepted by `/login` and `/data/login` (shortcuts; the options page offers them all).
#[derive(Debug, Default, Deserialize)]
pub struct LoginOptions {
    /// `franceconnect` (default) or `franceconnect-plus`.
    pub hub: Option<String>,
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
    pub hub: Platform,
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
    http: Http,
    options: web::Query<LoginOptions>,
) -> Result<HttpResponse, SpError> {
    let request = button_request(&app, Purpose::Identity, &options)?;
    let pending = prepare_authorization(&app, &http, &request).await?;
    leave_for_franceconnect(&app, pending)
}

/// `GET /data/login`: a new authorization with the data provider's scopes.
pub async fn data_login_get(
    app: web::Data<AppState>,
    http: Http,
    options: web::Query<LoginOptions>,
) -> Result<HttpResponse, SpError> {
    let request = button_request(&app, Purpose::Data, &options)?;
    let pending = prepare_authorization(&app, &http, &request).await?;
    leave_for_franceconnect(&app, pending)
}

/// `GET /options/go`: leave for the authorize URL the options page showed.
pub async fn options_go_get(
    app: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, SpError> {
    let pending = app.pending.current(&request)?;
    leave_for_franceconnect(&app, pending)
}

/// The request of the buttons: configured scopes and level (of the hub chosen), v2, no PKCE.
fn button_request(
    app: &AppState,
    purpose: Purpose,
    options: &LoginOptions,
) -> Result<AuthorizeRequest, SpError> {
    let hub = Platform::parse(options.hub.as_deref())?.unwrap_or_default();
    let scopes = match purpose {
        Purpose::Identity => &app.config.scopes,
        Purpose::Data => &app.config.data_scopes,
    };
    let acr_values = match options.acr.as_deref() {
        Some(acr) if ACR_LEVELS.contains(&acr) => acr.to_owned(),
        _ => app.hubs.get(hub).settings().acr_values.clone(),
    };
    let prompts = options
        .prompt
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .filter(|p| ["login", "consent"].contains(p))
        .map(str::to_owned)
        .collect();
    Ok(AuthorizeRequest {
        purpose,
        hub,
        api_version: ApiVersion::V2,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        acr_values,
        prompts,
        amr: options.amr.is_some(),
        idp_hint: None,
        pkce: false,
    })
}

/// Builds the authorize URL with a fresh `state` and `nonce`: the login in progress, to be
/// remembered until the callback.
pub async fn prepare_authorization(
    app: &AppState,
    http: &Http,
    wanted: &AuthorizeRequest,
) -> Result<PendingLogin, SpError> {
    let hub = app.hubs.get(wanted.hub);
    let metadata = hub.metadata_for(http, wanted.api_version).await?;
    let client = hub.client(&metadata);

    // 32 random bytes each: unguessable, and well above FranceConnect's 22-character minimum.
    let state = CsrfToken::new(fc_plumbing::random::token(32));
    let nonce = Nonce::new(fc_plumbing::random::token(32));

    let request = client
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
    let mut request = with_options(request, wanted);
    // PKCE (S256) only on request: FranceConnect answers Y030007 to a `code_challenge`.
    let mut pkce_verifier = None;
    if wanted.pkce {
        let verifier = PkceCodeVerifier::new(fc_plumbing::random::token(32));
        request =
            request.set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier));
        pkce_verifier = Some(verifier.secret().clone());
    }
    let (authorize_url, state, nonce) = request.url();
    Ok(PendingLogin {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        purpose: wanted.purpose,
        hub: wanted.hub,
        api_version: wanted.api_version,
        acr: wanted.acr_values.clone(),
        pkce_verifier,
        authorize_url: authorize_url.to_string(),
        left_at_ms: app.pending.now_ms(),
    })
}

type Authorize<'a> = AuthorizationRequest<'a, CoreAuthDisplay, CoreAuthPrompt, CoreResponseType>;

/// `acr_values`, then the options FranceConnect accepts: `prompt`, `claims`, `idp_hint`.
fn with_options<'a>(mut request: Authorize<'a>, wanted: &AuthorizeRequest) -> Authorize<'a> {
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
    request
}

/// Sends the browser to FranceConnect, carrying the login in progress in its encrypted cookie.
fn leave_for_franceconnect(
    app: &AppState,
    mut pending: PendingLogin,
) -> Result<HttpResponse, SpError> {
    pending.left_at_ms = app.pending.now_ms();
    Ok(HttpResponse::Found()
        .cookie(app.pending.cookie(&pending)?)
        .insert_header((header::LOCATION, pending.authorize_url))
        .finish())
}
