//! The shared stylesheet, served by each program at `/static/demo.css` (no CDN: works offline).

pub const CSS: &str = include_str!("../assets/demo.css");

/// Handler serving [`CSS`].
pub async fn css_get() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS)
}
