//! Everything that can go wrong in the SP, and the one place where it becomes an HTML page.
//!
//! Every error page shows a short code in `#error-code`, a French explanation, the detail in
//! French (escaped: an `error_description` comes from the network) and an error id that is also in
//! the log line. Client mistakes (a forged callback, a replayed state, an unknown page) answer
//! 4xx; a hub that misbehaves (bad token, unreachable) answers 502: none of them is a 500. Error
//! answers actix writes by itself (unknown route, wrong method, oversized request) become the same
//! French page ([`french_error_pages`]).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum SpError {
    /// The callback's `state` is not the one this browser was sent with: a forged or replayed
    /// callback (CSRF), so the code is never exchanged.
    #[error("le « state » reçu n'est pas celui envoyé par ce navigateur")]
    StateMismatch,
    /// Unreadable query string (repeated, unknown or malformed parameter).
    #[error("requête refusée : {0}")]
    BadRequest(String),
    #[error("retour de FranceConnect sans connexion en cours dans ce navigateur")]
    NoLoginInProgress,
    #[error("la connexion en cours a expiré")]
    LoginExpired,
    #[error("retour de FranceConnect sans code d'autorisation")]
    MissingCode,
    /// RFC 9207: the callback names its issuer; a different one means a mix-up attack.
    #[error("retour émis par {0:?}, qui n'est pas le FranceConnect configuré")]
    WrongCallbackIssuer(String),
    /// The hub sent the user back with `error=…`.
    #[error("FranceConnect a répondu error={error}")]
    Hub {
        error: String,
        description: Option<String>,
    },
    #[error("FranceConnect injoignable : {0}")]
    HubUnreachable(String),
    #[error("échange du code refusé : {0}")]
    Token(String),
    #[error("ID token refusé : {0}")]
    IdToken(String),
    #[error("userinfo refusé : {0}")]
    Userinfo(String),
    /// The hub answered 401 to our access token: it lived its 60 seconds, or was revoked.
    #[error("FranceConnect a refusé le jeton d'accès (HTTP 401)")]
    AccessTokenRejected,
    #[error("le « state » du retour de déconnexion n'est pas celui envoyé")]
    LogoutStateMismatch,
    /// An error answer actix wrote without a page (unknown route, wrong method…).
    #[error("HTTP {0}")]
    Http(u16),
    #[error("erreur de session : {0}")]
    Session(String),
    #[error("erreur d'affichage : {0}")]
    Template(String),
}

/// The longest `error_description` shown (a description is a sentence, not a document).
const MAX_DESCRIPTION_CHARS: usize = 300;
/// The longest `error` code kept as is.
const MAX_ERROR_CODE_CHARS: usize = 64;

/// A description received from the network, cut and without control characters (the page
/// escapes it anyway).
pub fn clean_description(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DESCRIPTION_CHARS)
        .collect();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        out.push('…');
    }
    out
}

impl SpError {
    /// The hub's `error` and `error_description` from a callback, validated: they come from the
    /// query string, so anybody can write them. A code must be a short OAuth-style token (RFC 6749
    /// §4.1.2.1: letters, digits, `_`, `-`, `.`), else it is shown as `invalid_error` with the
    /// value moved, cut, into the description.
    pub fn hub(error: &str, description: Option<&str>) -> Self {
        let valid_code = !error.is_empty()
            && error.len() <= MAX_ERROR_CODE_CHARS
            && error
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if valid_code {
            return SpError::Hub {
                error: error.to_owned(),
                description: description.map(clean_description),
            };
        }
        let mut shown = format!("error = {}", clean_description(error));
        if let Some(description) = description {
            shown.push_str(" ; error_description = ");
            shown.push_str(&clean_description(description));
        }
        SpError::Hub {
            error: "invalid_error".to_owned(),
            description: Some(shown),
        }
    }

    /// The code shown in `#error-code`: the hub's OAuth error as is, else our own.
    pub fn code(&self) -> &str {
        match self {
            SpError::StateMismatch => "state_mismatch",
            SpError::BadRequest(_) => "invalid_request",
            SpError::NoLoginInProgress => "no_login_in_progress",
            SpError::LoginExpired => "login_expired",
            SpError::MissingCode => "missing_code",
            SpError::WrongCallbackIssuer(_) => "wrong_issuer",
            SpError::Hub { error, .. } => error,
            SpError::HubUnreachable(_) => "hub_unreachable",
            SpError::Token(_) => "token_error",
            SpError::IdToken(_) => "invalid_id_token",
            SpError::Userinfo(_) => "invalid_userinfo",
            SpError::AccessTokenRejected => "invalid_token",
            SpError::LogoutStateMismatch => "logout_state_mismatch",
            SpError::Http(404) => "not_found",
            SpError::Http(405) => "method_not_allowed",
            SpError::Http(_) => "invalid_request",
            SpError::Session(_) => "session_error",
            SpError::Template(_) => "internal_error",
        }
    }

    /// What it means, in French, for the person in front of the browser.
    pub fn explanation(&self) -> &'static str {
        match self {
            SpError::StateMismatch => {
                "Le paramètre « state » reçu ne correspond pas à celui envoyé à FranceConnect. \
                 Cette réponse ne provient pas de votre propre demande de connexion : elle est ignorée."
            }
            SpError::BadRequest(_) => {
                "Les paramètres de la requête sont refusés (paramètre répété, inconnu, trop long ou mal formé)."
            }
            SpError::NoLoginInProgress => {
                "Aucune connexion n'est en cours dans ce navigateur (déjà terminée, ou cookies \
                 refusés). Recommencez depuis l'accueil."
            }
            SpError::LoginExpired => {
                "La connexion a pris trop de temps : recommencez depuis l'accueil."
            }
            SpError::MissingCode => "FranceConnect n'a renvoyé ni code d'autorisation ni erreur.",
            SpError::WrongCallbackIssuer(_) => {
                "La réponse indique un émetteur (« iss ») qui n'est pas le FranceConnect configuré."
            }
            SpError::Hub { error, .. } => hub_error_meaning(error),
            SpError::HubUnreachable(_) => {
                "FranceConnect ne répond pas. Vérifiez qu'il est démarré, puis réessayez."
            }
            SpError::Token(_) => "L'échange du code d'autorisation contre les jetons a échoué.",
            SpError::IdToken(_) => {
                "Le jeton d'identité (ID token) reçu n'est pas valide : algorithme, signature, \
                 émetteur, destinataire, date d'expiration ou nonce incorrects. La connexion est refusée."
            }
            SpError::Userinfo(_) => {
                "Les informations d'identité (userinfo) reçues ne sont pas valides. La connexion est refusée."
            }
            SpError::AccessTokenRejected => {
                "FranceConnect a refusé le jeton d'accès : il a expiré (il ne vit que 60 secondes) \
                 ou a été révoqué. Reconnectez-vous avec FranceConnect."
            }
            SpError::LogoutStateMismatch => {
                "Le paramètre « state » du retour de déconnexion ne correspond pas à celui envoyé."
            }
            SpError::Http(404) => {
                "Cette page n'existe pas. Vérifiez l'adresse, ou repartez de l'accueil."
            }
            SpError::Http(405) => "Cette adresse ne s'utilise pas ainsi (méthode HTTP non prévue).",
            SpError::Http(_) => {
                "La requête n'a pas pu être traitée (trop volumineuse ou mal formée)."
            }
            SpError::Session(_) | SpError::Template(_) => {
                "Une erreur interne s'est produite. Réessayez dans un instant."
            }
        }
    }

    /// The detail shown under the explanation, in French.
    pub fn detail(&self) -> Option<String> {
        match self {
            SpError::Hub { description, .. } => description.clone(),
            SpError::BadRequest(_)
            | SpError::WrongCallbackIssuer(_)
            | SpError::HubUnreachable(_)
            | SpError::Token(_)
            | SpError::IdToken(_)
            | SpError::Userinfo(_) => Some(self.to_string()),
            _ => None,
        }
    }
}

/// French meaning of the OAuth/OIDC errors FranceConnect sends back to a service provider on
/// `redirect_uri`.
pub fn hub_error_meaning(error: &str) -> &'static str {
    match error {
        "access_denied" => {
            "Vous avez annulé la connexion (« Revenir sur le service ») ou refusé la transmission \
             de vos données à ce service."
        }
        "invalid_scope" => {
            "Ce service a demandé des données (scopes) que son inscription auprès de FranceConnect \
             ne l'autorise pas à recevoir."
        }
        "invalid_acr" => {
            "Le niveau de garantie eIDAS demandé (acr_values) n'est pas proposé par cette \
             plateforme : FranceConnect propose eidas1, FranceConnect+ eidas2 et eidas3."
        }
        "invalid_idp_hint" => {
            "Le fournisseur d'identité indiqué (idp_hint) n'est pas autorisé pour ce service : \
             FranceConnect n'accepte un idp_hint que pour les fournisseurs d'identité listés dans \
             l'inscription du fournisseur de service. Recommencez sans idp_hint."
        }
        "invalid_request" => {
            "La demande de connexion envoyée à FranceConnect est incomplète ou mal formée \
             (par exemple sans le scope openid)."
        }
        "unauthorized_client" | "invalid_client" => {
            "Ce service n'est pas autorisé à utiliser FranceConnect de cette façon."
        }
        "unsupported_response_type" => {
            "FranceConnect n'accepte que le flux « code d'autorisation » (response_type=code)."
        }
        "login_required" | "consent_required" | "interaction_required" => {
            "FranceConnect demande une nouvelle authentification ou un consentement."
        }
        "server_error" => {
            "FranceConnect a rencontré une erreur interne. Réessayez plus tard ; si l'erreur \
             persiste, contactez le support de FranceConnect."
        }
        "temporarily_unavailable" => {
            "FranceConnect est momentanément indisponible. Réessayez dans quelques minutes."
        }
        "invalid_error" => {
            "FranceConnect aurait renvoyé une erreur dont le code est illisible : la réponse a \
             peut-être été fabriquée. Elle est ignorée."
        }
        _ => "FranceConnect a refusé la demande de connexion.",
    }
}

impl ResponseError for SpError {
    fn status_code(&self) -> StatusCode {
        match self {
            SpError::StateMismatch
            | SpError::BadRequest(_)
            | SpError::NoLoginInProgress
            | SpError::LoginExpired
            | SpError::MissingCode
            | SpError::WrongCallbackIssuer(_)
            | SpError::Hub { .. }
            | SpError::LogoutStateMismatch => StatusCode::BAD_REQUEST,
            SpError::HubUnreachable(_)
            | SpError::Token(_)
            | SpError::IdToken(_)
            | SpError::Userinfo(_)
            | SpError::AccessTokenRejected => StatusCode::BAD_GATEWAY,
            SpError::Http(status) => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
            }
            SpError::Session(_) | SpError::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error_id = fc_plumbing::web::error_id();
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error_id, code = self.code(), "{self}");
        } else {
            tracing::warn!(error_id, code = self.code(), "{self}");
        }
        let mut context = tera::Context::new();
        context.insert("user", &None::<()>);
        context.insert("code", self.code());
        context.insert("explanation", self.explanation());
        context.insert("detail", &self.detail());
        context.insert("error_id", &error_id);
        context.insert("status", &status.as_u16());
        let body = crate::pages::render_html("error.html", &context)
            .unwrap_or_else(|_| format!("Erreur {} (identifiant {error_id})", status.as_u16()));
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

/// The middleware giving actix's own error answers (no body: unknown route, wrong method,
/// oversized request…) the French error page.
pub async fn french_error_pages(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(request).await?;
    let status = response.status();
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if bare && (status.is_client_error() || status.is_server_error()) {
        let page = SpError::Http(status.as_u16()).error_response();
        return Ok(response.into_response(page).map_into_right_body());
    }
    Ok(response.map_into_left_body())
}

impl From<actix_session::SessionGetError> for SpError {
    fn from(e: actix_session::SessionGetError) -> Self {
        SpError::Session(e.to_string())
    }
}

impl From<actix_session::SessionInsertError> for SpError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        SpError::Session(e.to_string())
    }
}

impl From<tera::Error> for SpError {
    fn from(e: tera::Error) -> Self {
        SpError::Template(format!("{e:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_errors_keep_their_code_and_client_mistakes_are_400() {
        let e = SpError::Hub {
            error: "access_denied".into(),
            description: Some("User cancelled".into()),
        };
        assert_eq!(e.code(), "access_denied");
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
        assert!(e.explanation().contains("annulé"));
        assert_eq!(
            SpError::StateMismatch.status_code(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            SpError::IdToken("x".into()).status_code(),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(SpError::Http(404).status_code(), StatusCode::NOT_FOUND);
        assert_eq!(SpError::Http(404).code(), "not_found");
    }

    #[test]
    fn hub_errors_are_validated_before_being_shown() {
        let kept = SpError::hub("invalid_idp_hint", Some("line\nbreak"));
        assert_eq!(kept.code(), "invalid_idp_hint");
        assert!(kept.explanation().contains("idp_hint"));
        assert_eq!(kept.detail().as_deref(), Some("line break"));

        let forged = SpError::hub("<img src=x>", None);
        assert_eq!(forged.code(), "invalid_error");
        assert!(forged.detail().unwrap().contains("<img src=x>"));
        let long = SpError::hub(&"a".repeat(65), Some(&"d".repeat(1000)));
        assert_eq!(long.code(), "invalid_error");
        assert!(long.detail().unwrap().chars().count() < 700);
        for code in [
            "access_denied",
            "invalid_scope",
            "invalid_acr",
            "invalid_request",
            "server_error",
        ] {
            assert_ne!(
                hub_error_meaning(code),
                hub_error_meaning("something_else"),
                "{code} has its own meaning"
            );
        }
    }

    #[tokio::test]
    async fn the_error_page_escapes_what_the_network_sent() {
        let e = SpError::Hub {
            error: "<b>x</b>".into(),
            description: Some("<script>alert(1)</script>".into()),
        };
        let response = e.error_response();
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(!body.contains("<script>alert(1)</script>"));
        assert!(body.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
        assert!(!body.contains("<b>x</b>"));
        assert!(
            body.contains("Aller au contenu"),
            "the page has its skip link"
        );
    }
}
