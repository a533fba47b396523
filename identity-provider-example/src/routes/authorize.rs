//! `GET /authorize` (OIDC Core §3.1.2): checks the request and shows the login form.
//!
//! Order matters: `client_id` and `redirect_uri` are checked first and, when wrong, answered
//! with an HTML page and never a redirect (an open redirector otherwise). Only then are the other
//! parameters checked, and their errors sent back to the now trusted `redirect_uri`. The hub
//! always sends `prompt=login`, and the IdP shows the form every time anyway, so `prompt` is
//! accepted but only `prompt=none` changes anything (`login_required`: a form is always needed).
//! Parameters the IdP does not know are ignored, as OIDC asks.
//!
//! Nothing is stored: the checked request travels in the form itself ([`crate::login_form`]), so
//! a request without cookies costs no memory and cannot push out a form someone else is filling.
//! Every value is capped ([`MAX_PARAM_LEN`]): a longer one is an `invalid_request`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::params::Params;
use super::{ACR_LEVELS, error_redirect, login_page};
use crate::error::AppError;
use crate::login_form::{self, BROWSER_COOKIE};
use crate::state::AppState;

/// Longest accepted parameter value (state, nonce, scope…): enough for any real request, small
/// enough to carry in a form and keep in a code.
pub const MAX_PARAM_LEN: usize = 2048;

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

    // From here on the redirect_uri is trusted: errors go back to the client, with the state
    // unless it is the faulty value itself.
    let client_state = params
        .single("state")
        .ok()
        .flatten()
        .filter(|s| s.len() <= MAX_PARAM_LEN);
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

    let known_cookie = request
        .cookie(BROWSER_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| login_form::is_browser_cookie(v));
    let cookie = known_cookie
        .clone()
        .unwrap_or_else(|| fc_plumbing::random::token(32));
    let acr = checked.acr.clone();
    let request = login_form::Request {
        client_id: state.client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: checked.state,
        nonce: checked.nonce,
        scope: checked.scope,
        acr: checked.acr,
    };
    let pending = state.forms.pending(request, &cookie, state.clock.now());
    let mut page = login_page::render(&state, &state.forms.seal(&pending), &acr, None)?;
    if known_cookie.is_none() {
        page.add_cookie(&login_page::browser_cookie(cookie, state.cookie_secure))
            .map_err(|e| AppError::Internal(format!("cookie: {e}")))?;
    }
    Ok(page)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any query string: a checked request within the caps, or an OAuth error to send back.
        #[test]
        fn any_parameters_are_checked_or_refused(
            pairs in prop::collection::vec(
                (
                    proptest::sample::select(vec![
                        "response_type", "scope", "state", "nonce", "prompt", "claims",
                        "acr_values", "ui_locales", "other",
                    ]),
                    "\\PC{0,30}|openid|code|login none|\\{\\}",
                ),
                0..12,
            ),
            long in 0usize..3,
        ) {
            let mut pairs: Vec<(String, String)> =
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            if long > 0 {
                pairs.push(("state".into(), "s".repeat(MAX_PARAM_LEN + long)));
            }
            let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            let Some(params) = Params::from_query(&query) else {
                return Ok(());
            };
            match check(&params) {
                Ok(request) => {
                    prop_assert!(request.state.len() <= MAX_PARAM_LEN);
                    prop_assert!(request.nonce.len() <= MAX_PARAM_LEN);
                    prop_assert!(ACR_LEVELS.contains(&request.acr.as_str()));
                    prop_assert!(request.scope.split_ascii_whitespace().any(|s| s == "openid"));
                }
                Err((error, description)) => {
                    prop_assert!(!error.is_empty() && !description.is_empty());
                }
            }
        }

        #[test]
        fn any_query_string_is_read_or_refused(query in "\\PC{0,200}") {
            if let Some(params) = Params::from_query(&query) {
                let _ = check(&params);
            }
        }
    }
}
