//! HTTP routes of the hub (SPEC §4.1). Handlers only parse the request, call `provider` or
//! `federation`, and render; names say endpoint and verb.

mod authorize;
mod checktoken;
mod consent;
mod discovery;
mod idp_callback;
mod interaction;
mod logout;
mod token;

use actix_web::{HttpResponse, web};

use crate::error::HubError;

pub fn templates() -> Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(vec![
        ("base.html", include_str!("../../templates/base.html")),
        ("mire.html", include_str!("../../templates/mire.html")),
        ("consent.html", include_str!("../../templates/consent.html")),
        (
            "logged_out.html",
            include_str!("../../templates/logged_out.html"),
        ),
    ])?;
    Ok(tera)
}

pub fn render(
    tera: &tera::Tera,
    name: &str,
    context: &tera::Context,
) -> Result<HttpResponse, HubError> {
    let body = tera
        .render(name, context)
        .map_err(|e| HubError::internal(format!("template {name}: {e:?}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A redirect to the SP's verified redirect URI, always with `state` and `iss` (SPEC §4.2).
pub fn redirect_to_sp(
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: &str,
    issuer: &str,
) -> HttpResponse {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("state", state));
    all.push(("iss", issuer));
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            fc_plumbing::web::url_with_query(redirect_uri, &all),
        ))
        .finish()
}

pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

async fn not_found() -> Result<HttpResponse, HubError> {
    Err(HubError::page("Y000404", "unknown page"))
}

async fn home_get() -> HttpResponse {
    redirect("/api/v2/.well-known/openid-configuration")
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home_get))
        .route(
            "/static/demo.css",
            web::get().to(fc_plumbing::assets::css_get),
        )
        .route(
            "/health",
            web::get()
                .to(|| async { HttpResponse::Ok().json(serde_json::json!({"status": "ok"})) }),
        )
        .service(
            web::scope("/api/v2")
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery::discovery_get),
                )
                .route("/jwks", web::get().to(discovery::jwks_get))
                .route("/authorize", web::get().to(authorize::authorize_get))
                .route("/authorize", web::post().to(authorize::authorize_post))
                .route(
                    "/interaction/{uid}",
                    web::get().to(interaction::interaction_get),
                )
                .route(
                    "/redirect-to-idp",
                    web::post().to(interaction::redirect_to_idp_post),
                )
                .route(
                    "/redirect-to-sp-with-error",
                    web::get().to(interaction::redirect_to_sp_with_error_get),
                )
                .route(
                    "/oidc-callback",
                    web::get().to(idp_callback::oidc_callback_get),
                )
                .route(
                    "/interaction/{uid}/consent",
                    web::get().to(consent::consent_get),
                )
                .route("/login", web::post().to(consent::login_post))
                .route("/token", web::post().to(token::token_post))
                .route("/userinfo", web::get().to(token::userinfo_get))
                .route("/session/end", web::get().to(logout::session_end_get))
                .route(
                    "/client/logout-callback",
                    web::get().to(logout::logout_callback_get),
                )
                .route("/checktoken", web::post().to(checktoken::checktoken_post)),
        )
        .service(
            web::scope("/api/v1")
                .route("/authorize", web::get().to(authorize::authorize_v1_get))
                .route("/token", web::post().to(token::token_v1_post))
                .route("/userinfo", web::get().to(token::userinfo_v1_get))
                .route("/logout", web::get().to(logout::logout_v1_get))
                .route(
                    "/checktoken",
                    web::post().to(checktoken::checktoken_v1_post),
                ),
        )
        .default_service(web::to(not_found));
}
