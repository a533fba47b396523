//! The home page: what FranceConnect is, and the two buttons that start a journey.
//!
//! FranceConnect asks service providers to show its button as designed (here drawn with our own
//! SVG and CSS) with a "Qu'est-ce que FranceConnect ?" link next to it.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use crate::error::SpError;
use crate::startup::AppState;

/// `GET /`
pub async fn home_get(app: web::Data<AppState>, session: Session) -> Result<HttpResponse, SpError> {
    let mut context = app.pages.context(&session)?;
    context.insert("default_acr", &app.config.acr_values);
    app.pages.render("home.html", &context)
}
