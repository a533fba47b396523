//! The hub's one error type and how it is shown (SPEC §4.12).
//!
//! Browser endpoints answer an HTML page "Une erreur s'est produite" with the FranceConnect code
//! (`Y` + 6 characters), a French explanation and an error id that is also in the log line; a
//! "Revenir sur {SP}" link only when the SP and its redirect URI were verified. Protocol endpoints
//! answer OAuth JSON. The cause is logged, never shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// A verified way back to the SP, for the error page's "Revenir sur {SP}" link.
#[derive(Debug, Clone)]
pub struct BackLink {
    pub sp_name: String,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{code}: {detail}")]
    Page {
        code: &'static str,
        status: StatusCode,
        detail: String,
        back: Option<BackLink>,
    },
    #[error("{error}: {description}")]
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: String,
        www_authenticate: Option<String>,
    },
}

impl HubError {
    pub fn page(code: &'static str, detail: impl Into<String>) -> Self {
        let status = match code {
            "Y000404" => StatusCode::NOT_FOUND,
            "Y190001" | "Y470001" => StatusCode::UNAUTHORIZED,
            "Y020022" => StatusCode::FORBIDDEN,
            "Y020026" | "Y020027" => StatusCode::BAD_GATEWAY,
            "Y020029" | "Y020030" | "Y100001" | "Y500000" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        HubError::Page {
            code,
            status,
            detail: detail.into(),
            back: None,
        }
    }

    pub fn with_back(self, back: Option<BackLink>) -> Self {
        match self {
            HubError::Page {
                code,
                status,
                detail,
                ..
            } => HubError::Page {
                code,
                status,
                detail,
                back,
            },
            other => other,
        }
    }

    pub fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        HubError::OAuth {
            status,
            error,
            description: description.into(),
            www_authenticate: None,
        }
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        HubError::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: description.into(),
            www_authenticate: Some("Bearer error=\"invalid_token\"".into()),
        }
    }

    pub fn session_lost() -> Self {
        Self::page("Y190001", "no journey in the session")
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::page("Y500000", detail)
    }
}

/// What the user should do, per code (FranceConnect's wording where it has one).
fn user_message(code: &str) -> &'static str {
    match code {
        "Y030007" | "Y100009" => {
            "Une erreur technique est survenue, fermez l'onglet de votre navigateur et reconnectez-vous."
        }
        "Y04EA6EF" | "Y04C013C" | "Y04CFAEF" => {
            "Une erreur de communication avec le fournisseur de service est survenue. Veuillez réessayer ultérieurement."
        }
        "Y190001" => {
            "Votre session a expiré ou est invalide, fermez l'onglet de votre navigateur et reconnectez-vous."
        }
        "Y420001" => {
            "Nous vous invitons à fermer tous les onglets de votre navigateur et à recommencer votre connexion depuis le site du service."
        }
        "Y000404" => "La page demandée n'existe pas.",
        "Y100001" | "Y100018" => {
            "Le niveau de sécurité de la connexion ne correspond pas à celui demandé par le service. Veuillez réessayer avec un autre moyen de connexion."
        }
        "Y600006" => {
            "L'identité transmise par votre fournisseur d'identité est incomplète ou invalide. Veuillez choisir un autre moyen de connexion."
        }
        "Y020026" | "Y020027" | "Y020029" | "Y020030" => {
            "La connexion avec votre fournisseur d'identité a échoué. Veuillez réessayer ou choisir un autre moyen de connexion."
        }
        _ => "Une erreur technique est survenue. Si le problème persiste, veuillez nous contacter.",
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

/// The error page. Rendered without Tera on purpose: it must work even when nothing else does.
pub fn error_page(code: &str, error_id: &str, back: Option<&BackLink>) -> String {
    let back = back
        .map(|b| {
            format!(
                r#"<p><a class="btn secondary" href="{}">Revenir sur {}</a></p>"#,
                escape(&b.url),
                escape(&b.sp_name)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Erreur de connexion - FranceConnect</title><link rel="stylesheet" href="/static/demo.css"></head>
<body><header class="site"><span class="marianne">République<br>Française</span><span class="service">FranceConnect</span></header>
<main><h1>Une erreur s'est produite</h1>
<p>Erreur <span id="error-code" class="error-code">{code}</span></p>
<h2>Que faire ?</h2><p>{message}</p>
<p class="muted">Identifiant de l'erreur : <span id="error-id">{id}</span></p>{back}</main>
<footer class="site">Démonstrateur FranceConnect — environnement de test, aucune donnée réelle.</footer></body></html>"#,
        code = escape(code),
        message = user_message(code),
        id = escape(error_id),
    )
}

impl ResponseError for HubError {
    fn status_code(&self) -> StatusCode {
        match self {
            HubError::Page { status, .. } | HubError::OAuth { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error_id = fc_plumbing::web::error_id();
        match self {
            HubError::Page {
                code,
                status,
                detail,
                back,
            } => {
                tracing::warn!(error_id, code, %status, "{detail}");
                HttpResponse::build(*status)
                    .content_type("text/html; charset=utf-8")
                    .body(error_page(code, &error_id, back.as_ref()))
            }
            HubError::OAuth {
                status,
                error,
                description,
                www_authenticate,
            } => {
                tracing::warn!(error_id, error, %status, "{description}");
                let mut response = HttpResponse::build(*status);
                response.insert_header(("Cache-Control", "no-store"));
                if let Some(value) = www_authenticate {
                    response.insert_header(("WWW-Authenticate", value.as_str()));
                }
                response.json(serde_json::json!({"error": error, "error_description": description}))
            }
        }
    }
}
