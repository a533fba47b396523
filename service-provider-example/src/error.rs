//! Everything that can go wrong in the SP, and the one place where it becomes an HTML page
//! (SPEC §7, §8).
//!
//! Every error page shows a short code in `#error-code`, a French explanation, the technical
//! detail (escaped: an `error_description` comes from the network) and an error id that is also in
//! the log line. Client mistakes (a forged callback, a replayed state) answer 400; a hub that
//! misbehaves (bad token, unreachable) answers 502: none of them is a 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum SpError {
    /// The callback's `state` is not the one this browser was sent with: a forged or replayed
    /// callback (CSRF), so the code is never exchanged.
    #[error("the callback state does not match the one stored in the session")]
    StateMismatch,
    /// Unreadable query string (repeated or malformed parameter).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("callback received while no login is in progress in this session")]
    NoLoginInProgress,
    #[error("callback without code")]
    MissingCode,
    /// RFC 9207: the callback names its issuer; a different one means a mix-up attack.
    #[error("callback issued by {0:?}, not by the hub")]
    WrongCallbackIssuer(String),
    /// The hub sent the user back with `error=…`.
    #[error("the hub answered error={error}")]
    Hub {
        error: String,
        description: Option<String>,
    },
    #[error("the hub cannot be reached: {0}")]
    HubUnreachable(String),
    #[error("token request failed: {0}")]
    Token(String),
    #[error("ID token rejected: {0}")]
    IdToken(String),
    #[error("userinfo rejected: {0}")]
    Userinfo(String),
    /// The hub answered 401 to our access token: it lived its 60 seconds, or was revoked.
    #[error("the hub refused the access token (HTTP 401)")]
    AccessTokenRejected,
    #[error("the logout callback state does not match the one stored in the session")]
    LogoutStateMismatch,
    #[error("session error: {0}")]
    Session(String),
    #[error("page rendering failed: {0}")]
    Template(String),
}

/// The longest `error_description` shown (a description is a sentence, not a document).
const MAX_DESCRIPTION_CHARS: usize = 300;
/// The longest `error` code kept as is.
const MAX_ERROR_CODE_CHARS: usize = 64;

impl SpError {
    /// The hub's `error` and `error_description` from a callback, validated: they come from the
    /// query string, so anybody can write them. A code must be a short OAuth-style token (RFC 6749
    /// §4.1.2.1: letters, digits, `_`, `-`, `.`), else it is shown as `invalid_error` with the
    /// value moved, cut, into the description. Descriptions are cut and lose their control
    /// characters. The page escapes both anyway.
    pub fn hub(error: &str, description: Option<&str>) -> Self {
        let clean = |text: &str| -> String {
            let mut out: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MAX_DESCRIPTION_CHARS)
                .collect();
            if text.chars().count() > MAX_DESCRIPTION_CHARS {
                out.push('…');
            }
            out
        };
        let valid_code = !error.is_empty()
            && error.len() <= MAX_ERROR_CODE_CHARS
            && error
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if valid_code {
            SpError::Hub {
                error: error.to_owned(),
                description: description.map(clean),
            }
        } else {
            let mut shown = format!("error = {}", clean(error));
            if let Some(description) = description {
                shown.push_str(" ; error_description = ");
                shown.push_str(&clean(description));
            }
            SpError::Hub {
                error: "invalid_error".to_owned(),
                description: Some(shown),
            }
        }
    }

    /// The code shown in `#error-code`: the hub's OAuth error as is, else our own.
    pub fn code(&self) -> &str {
        match self {
            SpError::StateMismatch => "state_mismatch",
            SpError::BadRequest(_) => "invalid_request",
            SpError::NoLoginInProgress => "no_login_in_progress",
            SpError::MissingCode => "missing_code",
            SpError::WrongCallbackIssuer(_) => "wrong_issuer",
            SpError::Hub { error, .. } => error,
            SpError::HubUnreachable(_) => "hub_unreachable",
            SpError::Token(_) => "token_error",
            SpError::IdToken(_) => "invalid_id_token",
            SpError::Userinfo(_) => "invalid_userinfo",
            SpError::AccessTokenRejected => "invalid_token",
            SpError::LogoutStateMismatch => "logout_state_mismatch",
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
                "Les paramètres de la requête sont illisibles (paramètre répété ou mal formé)."
            }
            SpError::NoLoginInProgress => {
                "Aucune connexion n'est en cours dans ce navigateur (session expirée ou page rechargée). \
                 Recommencez depuis l'accueil."
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
                "Le jeton d'identité (ID token) reçu n'est pas valide : signature, émetteur, \
                 destinataire, date d'expiration ou nonce incorrects. La connexion est refusée."
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
            SpError::Session(_) | SpError::Template(_) => {
                "Une erreur interne s'est produite. Réessayez dans un instant."
            }
        }
    }

    /// The technical detail shown under the explanation.
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
/// `redirect_uri` (SPEC §4.2, §4.3, §4.5).
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
            | SpError::MissingCode
            | SpError::WrongCallbackIssuer(_)
            | SpError::Hub { .. }
            | SpError::LogoutStateMismatch => StatusCode::BAD_REQUEST,
            SpError::HubUnreachable(_)
            | SpError::Token(_)
            | SpError::IdToken(_)
            | SpError::Userinfo(_)
            | SpError::AccessTokenRejected => StatusCode::BAD_GATEWAY,
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
        context.insert("code", self.code());
        context.insert("explanation", self.explanation());
        context.insert("detail", &self.detail());
        context.insert("error_id", &error_id);
        context.insert("status", &status.as_u16());
        // The error page is a standalone template rendered here, so that this one function is the
        // only place errors become responses; autoescape is on.
        let body = tera::Tera::one_off(include_str!("../templates/error.html"), &context, true)
            .unwrap_or_else(|_| format!("Erreur {} (identifiant {error_id})", status.as_u16()));
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
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
    }
}
