//! The one place a hub [`Error`] becomes an HTTP response: an HTML page for the browser, or OAuth
//! JSON for service and data providers. The page works even when nothing else does (no Tera).
//!
//! The error id is in the page and in the log line with the cause. Being a demonstration for
//! integrators, the page also carries the cause, folded under "Détails techniques
//! (démonstrateur)": FranceConnect itself only logs it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use std::cell::Cell;

use crate::error::{AdminError, BackLink, Challenge, Error, ErrorCode};
use crate::instance::Instance;

thread_local! {
    /// The hub this worker thread serves. actix-web runs each server's workers on threads of
    /// their own, and `ResponseError` sees no request: the app factory sets it per worker, so
    /// FranceConnect+ error pages say FranceConnect+ even when both hubs share a process.
    static PRODUCT: Cell<Instance> = const { Cell::new(Instance::FranceConnect) };
}

/// Names the hub of this worker thread on its error pages.
pub fn set_product(instance: Instance) {
    PRODUCT.with(|p| p.set(instance));
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::Page { code, .. } => status(code.status()),
            Error::OAuth { error, .. } => status(error.status()),
            Error::Admin { error, .. } => status(error.status()),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error_id = fc_plumbing::web::error_id();
        match self {
            Error::Page { code, detail, back } => {
                tracing::warn!(error_id, code = code.as_str(), "{detail}");
                HttpResponse::build(status(code.status()))
                    .content_type("text/html; charset=utf-8")
                    .body(error_page(*code, &error_id, detail, back.as_ref()))
            }
            Error::OAuth {
                error,
                description,
                challenge,
            } => {
                tracing::warn!(error_id, error = error.as_str(), "{description}");
                let mut response = HttpResponse::build(status(error.status()));
                response.insert_header(("Cache-Control", "no-store"));
                match challenge {
                    Some(Challenge::Basic) => {
                        response
                            .insert_header(("WWW-Authenticate", "Basic realm=\"franceconnect\""));
                    }
                    Some(Challenge::Bearer) => {
                        let value = format!("Bearer error=\"{}\"", error.as_str());
                        response.insert_header(("WWW-Authenticate", value));
                    }
                    None => {}
                }
                response.json(serde_json::json!({
                    "error": error.as_str(),
                    "error_description": description,
                }))
            }
            Error::Admin {
                error,
                field,
                message,
            } => {
                tracing::warn!(
                    error_id,
                    error = error.as_str(),
                    field,
                    "admin API: {message}"
                );
                let mut response = HttpResponse::build(status(error.status()));
                if *error == AdminError::Unauthorized {
                    response.insert_header(("WWW-Authenticate", "Bearer realm=\"fc-hub-admin\""));
                }
                response.json(serde_json::json!({
                    "error": error.as_str(),
                    "field": field,
                    "message": message,
                    "error_id": error_id,
                }))
            }
        }
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The error page: FranceConnect's layout, plus the folded technical details of the demo.
pub fn error_page(
    code: ErrorCode,
    error_id: &str,
    detail: &str,
    back: Option<&BackLink>,
) -> String {
    let back = back
        .map(|b| {
            format!(
                r#"<p><a class="btn secondary" href="{}">Revenir sur {}</a></p>"#,
                escape(&b.url),
                escape(&b.sp_name)
            )
        })
        .unwrap_or_default();
    let hint = code
        .integrator_hint()
        .map(|h| format!("<p>{}</p>", escape(h)))
        .unwrap_or_default();
    let product = PRODUCT.with(Cell::get).product_name();
    format!(
        r##"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Erreur de connexion - {product}</title><link rel="stylesheet" href="/static/demo.css"><link rel="stylesheet" href="/static/hub.css"><link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
<body><a class="skip-link" href="#contenu">Aller au contenu</a>
<header class="site"><span class="marianne">République<br>Française</span><span class="service">{product}</span><span class="muted">Démonstrateur</span></header>
<main id="contenu"><h1>Une erreur s'est produite</h1>
<p>Erreur <span id="error-code" class="error-code">{code}</span></p>
<h2>Que faire ?</h2><p>{message}</p>
<p class="muted">Identifiant de l'erreur : <span id="error-id">{id}</span></p>{back}
<details id="error-details" class="tech"><summary>Détails techniques (démonstrateur)</summary>
<p class="muted">{product} n'affiche pas ces détails : le démonstrateur les montre pour aider à mettre au point un service.</p>
<p><code>{detail}</code></p>{hint}</details></main>
<footer class="site">Démonstrateur {product} — environnement de test, aucune donnée réelle n'est utilisée.</footer></body></html>"##,
        code = code.as_str(),
        message = code.message(),
        id = escape(error_id),
        detail = escape(detail),
    )
}
