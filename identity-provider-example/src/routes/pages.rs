//! Human pages (SPEC §5): what this IdP is (and who is logged in, to see the effect of a
//! logout), and the test accounts one click from the login form.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::login::SESSION_USER;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Serialize)]
struct AccountRow<'a> {
    identifiant: &'a str,
    password: &'a str,
    name: String,
    birthdate: &'a str,
    place: String,
}

pub async fn home_get(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    let logged_in = session.get::<String>(SESSION_USER).ok().flatten();
    context.insert(
        "user",
        &logged_in.and_then(|login| state.users.get(&login).map(|u| u.display_name())),
    );
    context.insert("issuer", &state.issuer);
    context.insert("client_id", &state.client.client_id);
    context.insert(
        "id_token_alg",
        state.client.id_token_signed_response_alg.as_str(),
    );
    state.render("home.html", &context)
}

pub async fn users_get(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let users: Vec<AccountRow<'_>> = state
        .users
        .iter()
        .map(|user| AccountRow {
            identifiant: &user.identifiant,
            password: user.password(),
            name: user.display_name(),
            birthdate: &user.date_de_naissance,
            place: user.place.to_string(),
        })
        .collect();
    let mut context = tera::Context::new();
    context.insert("users", &users);
    state.render("users.html", &context)
}
