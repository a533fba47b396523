//! Human pages: what this IdP is (and who is logged in, to see the effect of a logout), and the
//! test accounts one click from the login form, with the failure scenarios and the state of the
//! last reload of the users folders.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::accounts::account_rows;
use crate::error::AppError;
use crate::idp_session;
use crate::scenario::Scenario;
use crate::state::AppState;

pub async fn home_get(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("user", &idp_session::display_name(&session));
    context.insert("issuer", &state.issuer);
    context.insert("client_id", &state.client.client_id);
    context.insert(
        "id_token_alg",
        state.client.id_token_signed_response_alg.as_str(),
    );
    context.insert("admin_api", &state.admin_token.is_some());
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
