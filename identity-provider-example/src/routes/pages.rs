//! Human pages (SPEC §5): what this IdP is (and who is logged in, to see the effect of a
//! logout), and the test accounts one click from the login form, with the failure scenarios and
//! the state of the last reload of the users folders.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::login::SESSION_NAME;
use crate::error::AppError;
use crate::scenario::Scenario;
use crate::state::AppState;
use crate::users::User;

#[derive(Serialize)]
pub struct AccountRow {
    identifiant: String,
    password: String,
    name: String,
    birthdate: String,
    place: String,
    /// What the login makes the IdP do, for failure scenarios.
    scenario: Option<&'static str>,
}

/// How many test accounts the login form lists; the accounts page has them all. Rendering every
/// account on each `/authorize` made the form O(people): with 2 000 people the IdP spent most of
/// its CPU there and the hub's calls to it timed out (BENCHMARKS.md).
pub const LOGIN_PAGE_ACCOUNTS: usize = 20;

fn account_row(user: &User) -> AccountRow {
    AccountRow {
        identifiant: user.identifiant.clone(),
        password: user.password().to_owned(),
        name: user.display_name(),
        birthdate: user.date_de_naissance.clone(),
        place: user.place.to_string(),
        scenario: Scenario::docs()
            .find(|d| d.login == user.identifiant)
            .map(|d| d.effect),
    }
}

/// Every test account, in load order, for the accounts page.
pub fn account_rows(state: &AppState) -> Vec<AccountRow> {
    state.users.current().iter().map(account_row).collect()
}

/// The accounts of the login form: the first [`LOGIN_PAGE_ACCOUNTS`] ordinary people in load
/// order (the failure-scenario logins have their own list on the form), and how many accounts
/// the accounts page lists in all.
pub fn login_page_accounts(state: &AppState) -> (Vec<AccountRow>, usize) {
    let users = state.users.current();
    let rows = users
        .iter()
        .filter(|user| Scenario::from_login(&user.identifiant).is_none())
        .take(LOGIN_PAGE_ACCOUNTS)
        .map(account_row)
        .collect();
    (rows, users.len())
}

pub async fn home_get(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    let logged_in = session.get::<String>(SESSION_NAME).ok().flatten();
    context.insert("user", &logged_in);
    context.insert("issuer", &state.issuer);
    context.insert("client_id", &state.client.client_id);
    context.insert(
        "id_token_alg",
        state.client.id_token_signed_response_alg.as_str(),
    );
    state.render("home.html", &context)
}

pub async fn users_get(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("users", &account_rows(&state));
    context.insert("scenarios", &Scenario::docs().collect::<Vec<_>>());
    let folders: Vec<String> = state
        .users
        .dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    context.insert("folders", &folders);
    context.insert("reload_error", &state.users.status().last_error);
    state.render("users.html", &context)
}
