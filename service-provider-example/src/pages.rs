//! HTML pages: the tera templates, embedded in the binary and parsed once. Names end in `.html`,
//! so every value is autoescaped. The `date_fr` filter writes a Unix time or an RFC 3339
//! timestamp as a French date in Paris time.
//!
//! The SP's own stylesheet, script and icon are files served from `/static` (the CSP forbids
//! inline style and script); the script only adds "copier" buttons, every page works without it.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_session::Session;
use actix_web::HttpResponse;
use serde_json::Value;
use tera::{Context, Tera};

use crate::error::SpError;
use crate::{formats, session};

const TEMPLATES: [(&str, &str); 13] = [
    ("base.html", include_str!("../templates/base.html")),
    (
        "fc_button.html",
        include_str!("../templates/fc_button.html"),
    ),
    (
        "fcplus_button.html",
        include_str!("../templates/fcplus_button.html"),
    ),
    ("home.html", include_str!("../templates/home.html")),
    ("bench.html", include_str!("../templates/bench.html")),
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
    ("refused.html", include_str!("../templates/refused.html")),
    ("error.html", include_str!("../templates/error.html")),
];

/// The templates, parsed on first use ([`Pages::new`] forces it at startup). Static so that the
/// error page, rendered where no application state is at hand, shares the site's layout.
static TERA: LazyLock<Result<Tera, String>> = LazyLock::new(|| {
    let mut tera = Tera::default();
    tera.add_raw_templates(TEMPLATES)
        .map_err(|e| format!("{e:?}"))?;
    tera.register_filter("date_fr", date_fr);
    Ok(tera)
});

/// A template rendered to a string.
pub fn render_html(name: &str, context: &Context) -> Result<String, SpError> {
    let tera = TERA.as_ref().map_err(|e| SpError::Template(e.clone()))?;
    Ok(tera.render(name, context)?)
}

/// `{{ value | date_fr }}`: a Unix time (seconds) or an RFC 3339 timestamp, in French.
fn date_fr(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let shown = match value {
        Value::Number(n) => n.as_i64().and_then(formats::date_time),
        Value::String(s) => Some(formats::rfc3339(s)),
        _ => None,
    };
    Ok(Value::String(shown.unwrap_or_default()))
}

pub struct Pages(());

impl Pages {
    /// Parses the templates now, so that a broken one stops the program at startup.
    pub fn new() -> Result<Self, String> {
        TERA.as_ref().map(|_| Pages(())).map_err(Clone::clone)
    }

    /// A context holding what every page's header needs: who is logged in.
    pub fn context(&self, session: &Session) -> Result<Context, SpError> {
        let mut context = Context::new();
        context.insert("user", &session::user(session)?);
        Ok(context)
    }

    pub fn render(&self, name: &str, context: &Context) -> Result<HttpResponse, SpError> {
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(render_html(name, context)?))
    }
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

/// `GET /static/sp.css`: the SP's additions to the shared stylesheet.
pub async fn sp_css_get() -> HttpResponse {
    asset("text/css; charset=utf-8", include_str!("../static/sp.css"))
}

/// `GET /static/sp.js`: the "copier" buttons of the journal and the options preview.
pub async fn sp_js_get() -> HttpResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/sp.js"),
    )
}

/// `GET /favicon.ico` and `GET /static/favicon.svg`: the SP's icon.
pub async fn favicon_get() -> HttpResponse {
    asset("image/svg+xml", include_str!("../static/favicon.svg"))
}
