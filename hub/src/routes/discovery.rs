//! Discovery document and JWKS, cacheable for ten minutes as FranceConnect does.

use actix_web::{HttpResponse, web};

use crate::platform::Platform;
use crate::provider::discovery;

pub async fn discovery_get(platform: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=600"))
        .json(discovery::document(&platform))
}

pub async fn jwks_get(platform: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=600"))
        .content_type("application/jwk-set+json")
        .body(platform.public_jwks().to_string())
}
