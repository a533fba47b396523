//! The IdP's own static files, embedded in the binary: its stylesheet (beside the shared
//! `demo.css`) and its favicon, so browsers get no 404 for `/favicon.ico`.

use actix_web::HttpResponse;

const IDP_CSS: &str = include_str!("../../assets/idp.css");
const FAVICON_SVG: &str = include_str!("../../assets/favicon.svg");
const FAVICON_ICO: &[u8] = include_bytes!("../../assets/favicon.ico");
const CACHE: (&str, &str) = ("Cache-Control", "public, max-age=3600");

pub async fn idp_css_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(CACHE)
        .body(IDP_CSS)
}

pub async fn favicon_svg_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(CACHE)
        .body(FAVICON_SVG)
}

pub async fn favicon_ico_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/x-icon")
        .insert_header(CACHE)
        .body(FAVICON_ICO)
}
