//! The login form page, shown by `/authorize` and again after a refused attempt: the signed
//! pending authorization ([`crate::login_form`]) in a hidden field, the eIDAS level, the account
//! it suggests, the first test accounts, the failure scenarios and the custom identity form.
//!
//! The lists of test accounts and failure scenarios are the same for every visitor until the
//! people change; rendering them on every `/authorize` was a fifth of the IdP's CPU per login
//! (BENCHMARKS.md, "Third pass"), so they are rendered once per set of people.

use std::sync::{Arc, Mutex};

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite};

use super::ACR_LEVELS;
use super::accounts::{login_page_accounts, suggested_account};
use crate::error::AppError;
use crate::login_form::{BROWSER_COOKIE, FORM_FIELD};
use crate::scenario::Scenario;
use crate::state::AppState;
use crate::users::UserDirectory;

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
    let people = state.users.current();
    context.insert("hint", &suggested_account(&people));
    context.insert("accounts_html", &*state.login_lists.html(state, &people)?);
    state.render("login.html", &context)
}

/// The rendered lists of the login form, with the set of people they were rendered for.
#[derive(Default)]
pub struct LoginLists {
    rendered: Mutex<Option<(Arc<UserDirectory>, Arc<str>)>>,
}

impl LoginLists {
    /// The lists for `people`, rendered now if the people changed since the last time. A reload
    /// or an admin API change swaps the whole set, so the pointer says whether it changed.
    fn html(&self, state: &AppState, people: &Arc<UserDirectory>) -> Result<Arc<str>, AppError> {
        // The cached value is replaced whole: a poisoned lock still holds a consistent one.
        let cached = |rendered: &Option<(Arc<UserDirectory>, Arc<str>)>| {
            rendered
                .as_ref()
                .filter(|(for_people, _)| Arc::ptr_eq(for_people, people))
                .map(|(_, html)| html.clone())
        };
        if let Some(html) = cached(&self.lock()) {
            return Ok(html);
        }
        let (accounts, account_count) = login_page_accounts(people);
        let mut context = tera::Context::new();
        context.insert("users", &accounts);
        context.insert("account_count", &account_count);
        context.insert("scenarios", &Scenario::docs().collect::<Vec<_>>());
        let html: Arc<str> = state
            .templates
            .render("login_accounts.html", &context)
            .map_err(|e| AppError::Internal(format!("template login_accounts.html: {e}")))?
            .into();
        *self.lock() = Some((people.clone(), html.clone()));
        Ok(html)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Arc<UserDirectory>, Arc<str>)>> {
        self.rendered.lock().unwrap_or_else(|p| p.into_inner())
    }
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
