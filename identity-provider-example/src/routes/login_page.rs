//! The login form page, shown by `/authorize` and again after a refused attempt: the signed
//! pending authorization ([`crate::login_form`]) in a hidden field, the eIDAS level, the account
//! it suggests, the first test accounts, the failure scenarios and the custom identity form.

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite};

use super::ACR_LEVELS;
use super::accounts::login_page_accounts;
use crate::error::AppError;
use crate::login_form::{BROWSER_COOKIE, FORM_FIELD};
use crate::scenario::Scenario;
use crate::state::AppState;

/// The login page for the sealed pending authorization `sealed`, with `acr` pre-selected.
pub fn render(
    state: &AppState,
    sealed: &str,
    acr: &str,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("form_field", FORM_FIELD);
    context.insert("pending", sealed);
    context.insert("acr", acr);
    context.insert("acr_levels", &ACR_LEVELS);
    context.insert("error", &error);
    let (accounts, account_count, hint) = login_page_accounts(state);
    context.insert("users", &accounts);
    context.insert("account_count", &account_count);
    context.insert("hint", &hint);
    context.insert("scenarios", &Scenario::docs().collect::<Vec<_>>());
    state.render("login.html", &context)
}

/// The cookie binding forms to this browser (see [`crate::login_form`]): a session cookie, sent
/// back only to this IdP, never readable by scripts.
pub fn browser_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(BROWSER_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}
