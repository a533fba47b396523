//! `GET /health`: is this program alive, and can it reach its peers?
//!
//! The IdP calls no peer (the hub calls it), so `peers` is empty; the answer also says how many
//! people can log in and whether the last edit of the users files was refused. Always `200` while
//! the program serves requests: a container's health is the program's own, and a refused edit
//! leaves the previous people in service.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

pub async fn health_get(state: web::Data<AppState>) -> HttpResponse {
    let status = state.users.status();
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "peers": {},
        "users": state.users.current().len(),
        "users_reload_error": status.last_error,
    }))
}
