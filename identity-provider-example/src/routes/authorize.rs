//! `GET /authorize` (OIDC Core §3.1.2, SPEC §5): checks the request and shows the login form.
//!
//! Order matters: `client_id` and `redirect_uri` are checked first and, when wrong, answered
//! with an HTML page and never a redirect (an open redirector otherwise). Only then are the other
//! parameters checked, and their errors sent back to the now trusted `redirect_uri`. The hub
//! always sends `prompt=login`, and the IdP shows the form every time anyway, so `prompt` is
//! accepted but only `prompt=none` changes anything (`login_required`: a form is always needed).
//! Parameters the IdP does not know are ignored, as OIDC asks.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::pages::login_page_accounts;
use super::params::Params;
use super::{ACR_LEVELS, error_redirect};
use crate::error::AppError;
use crate::scenario::Scenario;
use crate::state::AppState;
use crate::store::{Interaction, unix_now};

/// Longest accepted parameter value: enough for any real request, small enough to store.
const MAX_PARAM_LEN: usize = 2048;
/// Session key of the browser binding of pending authorizations.
pub const BROWSER_ID: &str = "browser_id";

/// The checked parameters of an authorization request.
struct AuthorizationRequest {
    state: String,
    nonce: String,
    scope: String,
    acr: String,
}

/// An error to send back to the client: OAuth error code and description.
type RedirectError = (&'static str, String);

pub async fn authorize_get(
    request: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let params = Params::from_query(request.query_string())
        .ok_or_else(|| AppError::BadRequest("unreadable query string".into()))?;

    let client_id = params.single("client_id").ok().flatten();
    if client_id != Some(state.client.client_id.as_str()) {
        return Err(AppError::UnknownClient);
    }
    let redirect_uri = match params.single("redirect_uri") {
        Ok(Some(uri)) if state.client.has_redirect_uri(uri) => uri,
        _ => return Err(AppError::UnregisteredRedirectUri),
    };

    // From here on the redirect_uri is trusted: errors go back to the client.
    let client_state = params.single("state").ok().flatten();
    let checked = match check(&params) {
        Ok(checked) => checked,
        Err((error, description)) => {
            return Ok(error_redirect(
                StatusCode::FOUND,
                redirect_uri,
                error,
                &description,
                client_state,
            ));
        }
    };

    let browser_id = match session.get::<String>(BROWSER_ID) {
        Ok(Some(id)) => id,
        _ => {
            let id = fc_plumbing::random::token(32);
            session
                .insert(BROWSER_ID, &id)
                .map_err(|e| AppError::Internal(format!("session: {e}")))?;
            id
        }
    };
    let interaction_id = fc_plumbing::random::token(32);
    let interaction = Interaction {
        client_id: state.client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: checked.state,
        nonce: checked.nonce,
        scope: checked.scope,
        acr: checked.acr,
        csrf_token: fc_plumbing::random::token(32),
        browser_id,
    };
    let page = render_login_form(&state, &interaction_id, &interaction, None);
    state
        .interactions
        .insert(interaction_id, interaction, unix_now());
    page
}

/// The login form of a pending authorization, with its current CSRF token.
pub fn render_login_form(
    state: &AppState,
    interaction_id: &str,
    interaction: &Interaction,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("interaction_id", interaction_id);
    context.insert("csrf_token", &interaction.csrf_token);
    context.insert("acr", &interaction.acr);
    context.insert("acr_levels", &ACR_LEVELS);
    context.insert("error", &error);
    let (accounts, account_count) = login_page_accounts(state);
    context.insert("users", &accounts);
    context.insert("account_count", &account_count);
    context.insert("scenarios", &Scenario::docs().collect::<Vec<_>>());
    state.render("login.html", &context)
}

fn check(params: &Params) -> Result<AuthorizationRequest, RedirectError> {
    let invalid = |description: String| ("invalid_request", description);
    if let Some((name, _)) = params.iter().find(|(_, v)| v.len() > MAX_PARAM_LEN) {
        return Err(invalid(format!("{name} is too long")));
    }
    let get = |name: &str| {
        params
            .single(name)
            .map_err(|r| invalid(format!("{} is repeated", r.0)))
    };

    match get("response_type")? {
        None => return Err(invalid("response_type is missing".into())),
        Some("code") => {}
        Some(_) => {
            return Err((
                "unsupported_response_type",
                "only response_type=code is supported".into(),
            ));
        }
    }
    let scope = get("scope")?.unwrap_or_default();
    if !scope.split_ascii_whitespace().any(|s| s == "openid") {
        return Err(invalid("scope must contain openid".into()));
    }
    let client_state = get("state")?.ok_or_else(|| invalid("state is missing".into()))?;
    let nonce = get("nonce")?.ok_or_else(|| invalid("nonce is missing".into()))?;

    if let Some(prompt) = get("prompt")? {
        for value in prompt.split_ascii_whitespace() {
            match value {
                "login" | "consent" | "select_account" => {}
                "none" => {
                    return Err((
                        "login_required",
                        "this identity provider always asks for a password".into(),
                    ));
                }
                other => return Err(invalid(format!("unknown prompt value {other:?}"))),
            }
        }
    }
    if let Some(claims) = get("claims")?
        && !serde_json::from_str::<serde_json::Value>(claims).is_ok_and(|c| c.is_object())
    {
        return Err(invalid("claims must be a JSON object".into()));
    }
    get("ui_locales")?;

    // acr_values are voluntary (OIDC Core §3.1.2.1): the first known level is pre-selected,
    // unknown ones are ignored, and eidas1 is the default.
    let acr = get("acr_values")?
        .unwrap_or_default()
        .split_ascii_whitespace()
        .find(|v| ACR_LEVELS.contains(v))
        .unwrap_or("eidas1");

    Ok(AuthorizationRequest {
        state: client_state.to_owned(),
        nonce: nonce.to_owned(),
        scope: scope.to_owned(),
        acr: acr.to_owned(),
    })
}
