//! HTML pages: the tera templates, embedded in the binary and parsed once at startup (SPEC §8).
//! Names end in `.html`, so every value is autoescaped.
//!
//! The SP's own stylesheet and script are files served from `/static` (the CSP forbids inline
//! style and script); the script only adds "copier" buttons, every page works without it.

use actix_session::Session;
use actix_web::HttpResponse;
use tera::{Context, Tera};

use crate::error::SpError;
use crate::session;

pub struct Pages {
    tera: Tera,
}

impl Pages {
    pub fn new() -> Result<Self, tera::Error> {
        let mut tera = Tera::default();
        tera.add_raw_templates(vec![
            ("base.html", include_str!("../templates/base.html")),
            (
                "fc_button.html",
                include_str!("../templates/fc_button.html"),
            ),
            ("home.html", include_str!("../templates/home.html")),
            ("me.html", include_str!("../templates/me.html")),
            ("data.html", include_str!("../templates/data.html")),
            ("journal.html", include_str!("../templates/journal.html")),
            ("options.html", include_str!("../templates/options.html")),
            (
                "options_preview.html",
                include_str!("../templates/options_preview.html"),
            ),
            (
                "logged_out.html",
                include_str!("../templates/logged_out.html"),
            ),
        ])?;
        Ok(Self { tera })
    }

    /// A context holding what every page's header needs: who is logged in.
    pub fn context(&self, session: &Session) -> Result<Context, SpError> {
        let mut context = Context::new();
        context.insert("user", &session::user(session)?);
        Ok(context)
    }

    pub fn render(&self, name: &str, context: &Context) -> Result<HttpResponse, SpError> {
        let body = self.tera.render(name, context)?;
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body))
    }
}

/// `GET /static/sp.css`: the SP's additions to the shared stylesheet.
pub async fn sp_css_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../static/sp.css"))
}

/// `GET /static/sp.js`: the "copier" buttons of the journal and the options preview.
pub async fn sp_js_get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../static/sp.js"))
}
