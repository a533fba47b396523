//! The admin API, a test bench for integrators: give a person data without editing a file
//! (`docs/data-provider.md`).
//!
//! Records are keyed by SPI (the tax number, as at the DGFiP); the body carries the identity the
//! person is found by and the data they are served ([`crate::records::api`]):
//!
//! - `PUT /admin/api/records/{spi}`: creates (`201`) or replaces (`200`) the record;
//! - `GET /admin/api/records`, `GET /admin/api/records/{spi}`: every record, or one;
//! - `DELETE /admin/api/records/{spi}`: removes it (`204`), whether it came from a file or not.
//!
//! Served only when an admin token is configured (else every admin path is a `404`), with
//! `Authorization: Bearer <token>` compared in constant time (else `401`). Changes live in memory:
//! a restart reads the files again.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::error::AppError;
use crate::records::api;
use crate::routes::{AppState, bearer_token};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api")
            .service(web::resource("/records").route(web::get().to(records_get)))
            .service(
                web::resource("/records/{spi}")
                    .route(web::get().to(record_get))
                    .route(web::put().to(record_put))
                    .route(web::delete().to(record_delete)),
            )
            .default_service(web::to(unknown)),
    );
}

/// Checks the admin token: `404` when the admin API is off, `401` when missing or wrong.
fn authorize(request: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let Some(token) = &state.admin_token else {
        return Err(AppError::AdminDisabled);
    };
    match bearer_token(request).ok() {
        Some(value) if token.matches(value) => Ok(()),
        _ => {
            tracing::info!("admin API: missing or wrong token");
            Err(AppError::AdminUnauthorized)
        }
    }
}

async fn records_get(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    let records: Vec<Value> = state.records.current().iter().map(api::to_json).collect();
    Ok(HttpResponse::Ok().json(records))
}

async fn record_get(
    request: HttpRequest,
    spi: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    let records = state.records.current();
    let record = records.get(&spi).ok_or_else(|| no_such_record(&spi))?;
    Ok(HttpResponse::Ok().json(api::to_json(record)))
}

async fn record_put(
    request: HttpRequest,
    spi: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    let invalid = |field: String, problem: String| AppError::AdminInvalid { field, problem };
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| invalid(String::new(), format!("the body is not JSON: {e}")))?;
    let record = api::from_json(&spi, &json).map_err(|p| invalid(p.field, p.problem))?;
    let shown = api::to_json(&record);
    tracing::info!(spi = %record.spi, "record put through the admin API");
    let replaced = state.records.put(record);
    let mut response = if replaced {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(response.json(shown))
}

async fn record_delete(
    request: HttpRequest,
    spi: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    if !state.records.delete(&spi) {
        return Err(no_such_record(&spi));
    }
    tracing::info!(spi = %fc_plumbing::request_log::capped(&spi), "record deleted through the admin API");
    Ok(HttpResponse::NoContent().finish())
}

/// Any other admin path (after the token check, so the API's shape is not shown to strangers).
async fn unknown(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    authorize(&request, &state)?;
    Err(AppError::NotFound(
        "no such admin endpoint (see /admin/api/records)".into(),
    ))
}

fn no_such_record(spi: &str) -> AppError {
    AppError::NotFound(format!(
        "no record with the SPI {:?}",
        fc_plumbing::request_log::capped(spi)
    ))
}
