//! The admin API, a test bench for integrators: add test people without editing a file
//! (`docs/identity-provider.md`).
//!
//! - `POST /admin/api/users`: a person as JSON (`login`, `password`, the claims under their
//!   OpenID Connect names, see [`crate::users::row`]), validated exactly like a CSV row; they can
//!   log in as soon as the answer (`201`) comes;
//! - `GET /admin/api/users`, `GET /admin/api/users/{login}`: everyone (files and API), or one;
//! - `DELETE /admin/api/users/{login}`: removes a person added through the API (`204`); people of
//!   the files are edited in their files (`409`).
//!
//! Served only when an admin token is configured (else every admin path is a `404`), with
//! `Authorization: Bearer <token>` compared in constant time (else `401`). Errors are JSON naming
//! the faulty field. People added here survive reloads of the CSV files, not a restart.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::error::AppError;
use crate::reload::Refusal;
use crate::state::AppState;
use crate::users::row;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api")
            .service(
                web::resource("/users")
                    .route(web::get().to(users_get))
                    .route(web::post().to(users_post)),
            )
            .service(
                web::resource("/users/{login}")
                    .route(web::get().to(user_get))
                    .route(web::delete().to(user_delete)),
            )
            .default_service(web::to(unknown)),
    );
}

/// Checks the admin token: `404` when the admin API is off, `401` when the token is missing or
/// wrong.
fn authorize(request: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let Some(token) = &state.admin_token else {
        return Err(AppError::AdminDisabled);
    };
    match super::bearer(request) {
        Some(value) if token.matches(value) => Ok(()),
        _ => {
            tracing::info!("admin API: missing or wrong token");
            Err(AppError::AdminUnauthorized)
        }
    }
}

async fn users_get(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    let users: Vec<Value> = state.users.current().iter().map(row::to_json).collect();
    Ok(HttpResponse::Ok().json(users))
}

async fn users_post(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    let invalid = |field: &str, problem: String| AppError::AdminInvalid {
        field: field.to_owned(),
        problem,
    };
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| invalid("", format!("the body is not JSON: {e}")))?;
    let user = row::from_json(&json).map_err(|p| invalid(&p.field, p.problem))?;
    let login = user.identifiant.clone();
    let shown = row::to_json(&user);
    state.users.add(user).map_err(|refusal| match refusal {
        Refusal::Taken(place) => AppError::AdminConflict {
            field: "login".into(),
            problem: format!("this login is already used ({place})"),
        },
        other => AppError::Internal(format!("admin API add: {other:?}")),
    })?;
    let location = format!("/admin/api/users/{}", url_path_segment(&login));
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(shown))
}

async fn user_get(
    request: HttpRequest,
    login: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    let users = state.users.current();
    let user = users.get(&login).ok_or_else(|| no_such_person(&login))?;
    Ok(HttpResponse::Ok().json(row::to_json(user)))
}

async fn user_delete(
    request: HttpRequest,
    login: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    match state.users.remove(&login) {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
        Err(Refusal::FromFile(place)) => Err(AppError::AdminConflict {
            field: "login".into(),
            problem: format!("this person comes from {place}: edit that file instead"),
        }),
        Err(Refusal::NotFound | Refusal::Taken(_)) => Err(no_such_person(&login)),
    }
}

/// Any other admin path (after the token check, so the API's shape is not shown to strangers).
async fn unknown(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    Err(AppError::AdminNotFound(
        "no such admin endpoint (see /admin/api/users)".into(),
    ))
}

fn no_such_person(login: &str) -> AppError {
    AppError::AdminNotFound(format!(
        "no person with the login {:?}",
        fc_plumbing::request_log::capped(login)
    ))
}

/// `login` as one URL path segment.
fn url_path_segment(login: &str) -> String {
    url::form_urlencoded::byte_serialize(login.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
