//! The routing table of the IdP and the helpers its handlers share.

mod accounts;
mod admin;
mod assets;
mod authorize;
mod discovery;
mod health;
mod login;
mod login_page;
mod pages;
mod params;
mod session_end;
mod token;
mod userinfo;

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
pub use login_page::LoginLists;

/// The eIDAS levels the login form offers, lowest first.
pub const ACR_LEVELS: [&str; 3] = ["eidas1", "eidas2", "eidas3"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(pages::home_get)))
        .service(web::resource("/users").route(web::get().to(pages::users_get)))
        .service(web::resource("/health").route(web::get().to(health::health_get)))
        .service(
            web::resource("/static/demo.css").route(web::get().to(fc_plumbing::assets::css_get)),
        )
        .service(web::resource("/static/idp.css").route(web::get().to(assets::idp_css_get)))
        .service(web::resource("/favicon.svg").route(web::get().to(assets::favicon_svg_get)))
        .service(web::resource("/favicon.ico").route(web::get().to(assets::favicon_ico_get)))
        .service(
            web::resource("/.well-known/openid-configuration")
                .route(web::get().to(discovery::discovery_get)),
        )
        .service(web::resource("/jwks").route(web::get().to(discovery::jwks_get)))
        .service(web::resource("/authorize").route(web::get().to(authorize::authorize_get)))
        .service(web::resource("/login").route(web::post().to(login::login_post)))
        .service(web::resource("/login/custom").route(web::post().to(login::login_custom_post)))
        .service(web::resource("/token").route(web::post().to(token::token_post)))
        .service(
            web::resource("/userinfo")
                .route(web::get().to(userinfo::userinfo_get))
                .route(web::post().to(userinfo::userinfo_get)),
        )
        .service(web::resource("/session/end").route(web::get().to(session_end::session_end_get)))
        .configure(admin::configure);
}

/// Every unknown path: a French page (the admin API answers JSON, see [`admin`]).
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), if any.
fn bearer(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// A redirect with `status` (302 after a GET, 303 after a POST).
fn redirect(status: StatusCode, location: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((LOCATION, location))
        .finish()
}

/// The OAuth error answer sent back to a trusted `redirect_uri` (RFC 6749 §4.1.2.1).
fn error_redirect(
    status: StatusCode,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> HttpResponse {
    let mut query = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        query.push(("state", state));
    }
    redirect(
        status,
        &fc_plumbing::web::url_with_query(redirect_uri, &query),
    )
}
