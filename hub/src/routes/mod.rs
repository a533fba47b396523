//! HTTP routes of the hub (`docs/hub.md`, "Endpoints"). Handlers only parse the request, call
//! `provider` or `federation`, and render the outcome; names say endpoint and verb.

pub mod admin;
mod admin_page;
mod api;
mod browser_session;
mod discovery;
pub mod errors;
mod pages;

use actix_web::{HttpResponse, web};

use crate::domain::ApiVersion;
use crate::error::{Error, ErrorCode, Result};
use crate::instance::Instance;

/// The pages of `instance`: they name it (`{{ product_name() }}`: FranceConnect or
/// FranceConnect+).
pub fn templates(instance: Instance) -> std::result::Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::default();
    let name = instance.product_name();
    tera.register_function(
        "product_name",
        move |_: &std::collections::HashMap<String, tera::Value>| {
            Ok(tera::Value::String(name.to_owned()))
        },
    );
    tera.add_raw_templates(vec![
        ("base.html", include_str!("../../templates/base.html")),
        ("mire.html", include_str!("../../templates/mire.html")),
        ("consent.html", include_str!("../../templates/consent.html")),
        (
            "logged_out.html",
            include_str!("../../templates/logged_out.html"),
        ),
        ("admin.html", include_str!("../../templates/admin.html")),
        (
            "admin_login.html",
            include_str!("../../templates/admin_login.html"),
        ),
    ])?;
    Ok(tera)
}

pub fn render(tera: &tera::Tera, name: &str, view: &impl serde::Serialize) -> Result<HttpResponse> {
    let context = tera::Context::from_serialize(view)
        .map_err(|e| Error::internal(format!("template {name}: {e:?}")))?;
    let body = tera
        .render(name, &context)
        .map_err(|e| Error::internal(format!("template {name}: {e:?}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// 302, for hops the browser must follow with GET.
pub fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

/// 303, FranceConnect's status for redirects to the SP and between its own pages.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

async fn not_found() -> Result<HttpResponse> {
    Err(Error::page(ErrorCode::Y000404, "unknown page"))
}

async fn home_get() -> HttpResponse {
    found("/api/v2/.well-known/openid-configuration")
}

async fn hub_css_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../assets/hub.css"))
}

async fn favicon_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(include_str!("../../templates/favicon.svg"))
}

/// The browser pages of one API version: the mire, the consent page and their forms.
fn interaction_pages(version: ApiVersion) -> actix_web::Scope {
    let scope = web::scope(version.prefix()).app_data(web::Data::new(version));
    // A path with a parameter is matched by a regular expression, tried for every request that
    // reaches it: behind a static prefix, only the requests for an interaction try it.
    let interaction = web::scope("/interaction")
        .route("/{uid}", web::get().to(pages::interaction_get))
        .route("/{uid}/consent", web::get().to(pages::consent_get));
    scope
        .route("/authorize", web::get().to(pages::authorize_get))
        .service(interaction)
        .route(
            "/redirect-to-idp",
            web::post().to(pages::redirect_to_idp_post),
        )
        .route(
            "/redirect-to-sp-with-error",
            web::get().to(pages::redirect_to_sp_with_error_get),
        )
        .route("/login", web::post().to(pages::login_post))
        .route("/token", web::post().to(api::token_post))
        .route("/userinfo", web::get().to(api::userinfo_get))
}

/// The routes of `instance`: v2 always, v1 where the instance served it (FranceConnect).
pub fn configure(cfg: &mut web::ServiceConfig, instance: Instance) {
    cfg.route("/", web::get().to(home_get))
        .route("/favicon.ico", web::get().to(favicon_get))
        .route("/favicon.svg", web::get().to(favicon_get))
        .route(
            "/static/demo.css",
            web::get().to(fc_plumbing::assets::css_get),
        )
        .route("/static/hub.css", web::get().to(hub_css_get))
        .route("/health", web::get().to(api::health_get))
        .service(
            interaction_pages(ApiVersion::V2)
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery::discovery_get),
                )
                .route("/jwks", web::get().to(discovery::jwks_get))
                .route("/authorize", web::post().to(pages::authorize_post))
                .route("/oidc-callback", web::get().to(pages::oidc_callback_get))
                .route("/session/end", web::get().to(pages::session_end_get))
                .route(
                    "/client/logout-callback",
                    web::get().to(pages::logout_callback_get),
                )
                .route("/token/revocation", web::post().to(api::revocation_post))
                .route("/checktoken", web::post().to(api::checktoken_post)),
        )
        .default_service(web::to(not_found));
    if instance.api_versions().contains(&ApiVersion::V1) {
        cfg.service(
            interaction_pages(ApiVersion::V1)
                .route("/logout", web::get().to(pages::session_end_get))
                .route("/checktoken", web::post().to(api::checktoken_v1_post)),
        );
    }
}
