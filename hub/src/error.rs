//! The hub's errors, as FranceConnect reports them (`docs/hub.md`, "Errors").
//!
//! Every failure is one [`Error`]: either a browser-facing page carrying a FranceConnect code
//! ([`ErrorCode`]: `Y` + 6 characters, each code once, with its HTTP status and its French message)
//! or an OAuth JSON error for the endpoints service and data providers call. This module knows no
//! HTTP framework: `routes::errors` turns an [`Error`] into a response, in one place.

use std::fmt;

/// A FranceConnect error code. Codes FranceConnect documents keep their number; the few the demo
/// adds say so in `docs/hub.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Unknown page.
    Y000404,
    /// IdP disabled.
    Y020017,
    /// IdP not found.
    Y020019,
    /// IdP callback without `state`.
    Y020021,
    /// IdP callback with a wrong `state`.
    Y020022,
    /// IdP not allowed for this SP.
    Y020023,
    /// IdP callback without `code`.
    Y020025,
    /// IdP token call failed.
    Y020026,
    /// IdP userinfo call failed.
    Y020027,
    /// IdP userinfo without `sub`, or another `sub` than the ID token's.
    Y020029,
    /// IdP token answer invalid (ID token refused).
    Y020030,
    /// IdP callback whose RFC 9207 `iss` is not the IdP's issuer (the demo's code).
    Y020031,
    /// Invalid authorize (or logout) parameters.
    Y030007,
    /// Unknown or inactive client.
    Y04EA6EF,
    /// Unregistered `redirect_uri`.
    Y04C013C,
    /// Unregistered `post_logout_redirect_uri`.
    Y04CFAEF,
    /// IdP acr below the one asked.
    Y100001,
    /// `amr` asked by an SP that may not have it.
    Y100009,
    /// IdP acr not allowed for that IdP.
    Y100018,
    /// Session expired or missing.
    Y190001,
    /// A one-shot step replayed (reload, double submit).
    Y420001,
    /// Bad CSRF token.
    Y470001,
    /// Invalid identity from the IdP.
    Y600006,
    /// Internal failure of the demo itself (the demo's code).
    Y500000,
    /// The SP's encryption keys (`jwks_uri`) cannot be fetched or hold no key for the
    /// registered algorithm (the demo's code).
    Y500001,
    /// SSO: no level SSO may vouch for at or below the one asked.
    Y520001,
}

const RECONNECT: &str =
    "Une erreur technique est survenue, fermez l'onglet de votre navigateur et reconnectez-vous.";
const SP_LINK: &str = "Une erreur de communication avec le fournisseur de service est survenue. Veuillez réessayer ultérieurement.";
const IDP_LINK: &str = "La connexion avec votre fournisseur d'identité a échoué. Veuillez réessayer ou choisir un autre moyen de connexion.";
const ACR: &str = "Le niveau de sécurité de la connexion ne correspond pas à celui demandé par le service. Veuillez réessayer avec un autre moyen de connexion.";
const CONTACT: &str =
    "Une erreur technique est survenue. Si le problème persiste, veuillez nous contacter.";

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Y000404 => "Y000404",
            ErrorCode::Y020017 => "Y020017",
            ErrorCode::Y020019 => "Y020019",
            ErrorCode::Y020021 => "Y020021",
            ErrorCode::Y020022 => "Y020022",
            ErrorCode::Y020023 => "Y020023",
            ErrorCode::Y020025 => "Y020025",
            ErrorCode::Y020026 => "Y020026",
            ErrorCode::Y020027 => "Y020027",
            ErrorCode::Y020029 => "Y020029",
            ErrorCode::Y020030 => "Y020030",
            ErrorCode::Y020031 => "Y020031",
            ErrorCode::Y030007 => "Y030007",
            ErrorCode::Y04EA6EF => "Y04EA6EF",
            ErrorCode::Y04C013C => "Y04C013C",
            ErrorCode::Y04CFAEF => "Y04CFAEF",
            ErrorCode::Y100001 => "Y100001",
            ErrorCode::Y100009 => "Y100009",
            ErrorCode::Y100018 => "Y100018",
            ErrorCode::Y190001 => "Y190001",
            ErrorCode::Y420001 => "Y420001",
            ErrorCode::Y470001 => "Y470001",
            ErrorCode::Y600006 => "Y600006",
            ErrorCode::Y500000 => "Y500000",
            ErrorCode::Y500001 => "Y500001",
            ErrorCode::Y520001 => "Y520001",
        }
    }

    /// The HTTP status of the page, FranceConnect's where it has one.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Y000404 => 404,
            ErrorCode::Y190001 | ErrorCode::Y470001 => 401,
            ErrorCode::Y020022 | ErrorCode::Y020023 | ErrorCode::Y020031 => 403,
            ErrorCode::Y020026 | ErrorCode::Y020027 | ErrorCode::Y500001 => 502,
            // FranceConnect answers 500 for an inactive or unknown IdP; here they are only
            // reachable by a forged form, a client mistake, and no client mistake is a 5xx.
            ErrorCode::Y020017 | ErrorCode::Y020019 => 400,
            ErrorCode::Y020029
            | ErrorCode::Y020030
            | ErrorCode::Y100001
            | ErrorCode::Y500000
            | ErrorCode::Y520001 => 500,
            ErrorCode::Y020021
            | ErrorCode::Y020025
            | ErrorCode::Y030007
            | ErrorCode::Y04EA6EF
            | ErrorCode::Y04C013C
            | ErrorCode::Y04CFAEF
            | ErrorCode::Y100009
            | ErrorCode::Y100018
            | ErrorCode::Y420001
            | ErrorCode::Y600006 => 400,
        }
    }

    /// What the person should do (FranceConnect's wording where it has one).
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::Y030007 | ErrorCode::Y100009 => RECONNECT,
            ErrorCode::Y04EA6EF | ErrorCode::Y04C013C | ErrorCode::Y04CFAEF => SP_LINK,
            ErrorCode::Y190001 => {
                "Votre session a expiré ou est invalide, fermez l'onglet de votre navigateur et reconnectez-vous."
            }
            ErrorCode::Y420001 => {
                "Nous vous invitons à fermer tous les onglets de votre navigateur et à recommencer votre connexion depuis le site du service."
            }
            ErrorCode::Y000404 => "La page demandée n'existe pas.",
            ErrorCode::Y100001 | ErrorCode::Y100018 | ErrorCode::Y520001 => ACR,
            ErrorCode::Y500001 => SP_LINK,
            ErrorCode::Y600006 => {
                "L'identité transmise par votre fournisseur d'identité est incomplète ou invalide. Veuillez choisir un autre moyen de connexion."
            }
            ErrorCode::Y020026
            | ErrorCode::Y020027
            | ErrorCode::Y020029
            | ErrorCode::Y020030
            | ErrorCode::Y020031 => IDP_LINK,
            ErrorCode::Y020017
            | ErrorCode::Y020019
            | ErrorCode::Y020021
            | ErrorCode::Y020022
            | ErrorCode::Y020023
            | ErrorCode::Y020025
            | ErrorCode::Y470001
            | ErrorCode::Y500000 => CONTACT,
        }
    }

    /// A hint for the integrator testing a service, shown with the technical details: what to
    /// look at on their side.
    pub fn integrator_hint(self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::Y04EA6EF => {
                "Le client_id envoyé n'est pas celui d'un fournisseur de service enregistré et actif pour cette version de l'API : vérifiez la valeur et les enregistrements du hub (fixtures/hub/service-providers.toml)."
            }
            ErrorCode::Y04C013C => {
                "Le redirect_uri envoyé n'est pas enregistré pour ce client, à l'octet près (barre oblique finale, majuscules, paramètres)."
            }
            ErrorCode::Y04CFAEF => {
                "Le post_logout_redirect_uri envoyé n'est pas enregistré pour ce client, à l'octet près."
            }
            ErrorCode::Y030007 => {
                "Un paramètre de la requête est manquant, invalide, répété ou non autorisé par FranceConnect (liste blanche : client_id, redirect_uri, response_type, scope, state, nonce, acr_values, prompt, claims, idp_hint, ui_locales)."
            }
            ErrorCode::Y100009 => {
                "Le service demande la claim amr sans y être habilité (champ claims de son enregistrement)."
            }
            ErrorCode::Y500001 => {
                "Le service a demandé des jetons chiffrés : FranceConnect+ chiffre pour les clés publiques (use \"enc\") publiées à son jwks_uri. Vérifiez que cette URL répond un JWKS qui contient une clé pour l'algorithme enregistré (EC P-256 pour ECDH-ES, RSA 2048 bits ou plus pour RSA-OAEP et RSA-OAEP-256)."
            }
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// OAuth 2.0 error codes the hub answers in JSON (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    UnsupportedTokenType,
    InvalidToken,
    /// The client's registration cannot be used as it stands (its key set cannot be fetched).
    InvalidClientMetadata,
    ServerError,
}

impl OAuthError {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::UnsupportedTokenType => "unsupported_token_type",
            OAuthError::InvalidToken => "invalid_token",
            OAuthError::InvalidClientMetadata => "invalid_client_metadata",
            OAuthError::ServerError => "server_error",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            OAuthError::InvalidClient | OAuthError::InvalidToken => 401,
            OAuthError::ServerError => 500,
            _ => 400,
        }
    }
}

/// What went wrong with a call to the control API (`docs/admin.md`), answered in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminError {
    /// No `Authorization: Bearer` admin token, or a wrong one.
    Unauthorized,
    /// No such registration (or scenario).
    NotFound,
    /// The body is not what the endpoint takes; the error names the field.
    InvalidBody,
    /// The shared store cannot be read or written: nothing changed.
    Unavailable,
    /// The change is in force but could not be written to the registrations folder.
    NotPersisted,
}

impl AdminError {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminError::Unauthorized => "unauthorized",
            AdminError::NotFound => "not_found",
            AdminError::InvalidBody => "invalid_body",
            AdminError::Unavailable => "unavailable",
            AdminError::NotPersisted => "not_persisted",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            AdminError::Unauthorized => 401,
            AdminError::NotFound => 404,
            AdminError::InvalidBody => 400,
            AdminError::Unavailable => 503,
            AdminError::NotPersisted => 500,
        }
    }
}

/// A verified way back to the SP, for the error page's "Revenir sur {SP}" link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackLink {
    pub sp_name: String,
    pub url: String,
}

/// How the client authenticated, when an `invalid_client` must name the scheme to retry with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An HTML page for the browser. `detail` is for the log and the integrator's folded
    /// "Détails techniques" section: never a secret or a whole token.
    #[error("{code}: {detail}")]
    Page {
        code: ErrorCode,
        detail: String,
        back: Option<BackLink>,
    },
    /// An OAuth JSON answer for a service or data provider.
    #[error("{}: {description}", error.as_str())]
    OAuth {
        error: OAuthError,
        description: String,
        challenge: Option<Challenge>,
    },
    /// A JSON answer of the control API; `field` names the faulty field of the body.
    #[error("{}: {message}", error.as_str())]
    Admin {
        error: AdminError,
        field: Option<String>,
        message: String,
    },
}

impl Error {
    pub fn page(code: ErrorCode, detail: impl Into<String>) -> Self {
        Error::Page {
            code,
            detail: detail.into(),
            back: None,
        }
    }

    pub fn with_back(self, back: Option<BackLink>) -> Self {
        match self {
            Error::Page { code, detail, .. } => Error::Page { code, detail, back },
            other => other,
        }
    }

    pub fn oauth(error: OAuthError, description: impl Into<String>) -> Self {
        Error::OAuth {
            error,
            description: description.into(),
            challenge: (error == OAuthError::InvalidToken).then_some(Challenge::Bearer),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::oauth(OAuthError::InvalidRequest, description)
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::oauth(OAuthError::InvalidToken, description)
    }

    pub fn admin(error: AdminError, message: impl Into<String>) -> Self {
        Error::Admin {
            error,
            field: None,
            message: message.into(),
        }
    }

    /// A control API body whose `field` is wrong.
    pub fn admin_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Admin {
            error: AdminError::InvalidBody,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn session_lost() -> Self {
        Self::page(ErrorCode::Y190001, "no journey in the session")
    }

    pub fn replayed(detail: impl Into<String>) -> Self {
        Self::page(ErrorCode::Y420001, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::page(ErrorCode::Y500000, detail)
    }

    /// The page's code, if this is a page.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Page { code, .. } => Some(*code),
            Error::OAuth { .. } | Error::Admin { .. } => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_a_message_and_its_own_name() {
        let all = [
            ErrorCode::Y000404,
            ErrorCode::Y020017,
            ErrorCode::Y020019,
            ErrorCode::Y020021,
            ErrorCode::Y020022,
            ErrorCode::Y020023,
            ErrorCode::Y020025,
            ErrorCode::Y020026,
            ErrorCode::Y020027,
            ErrorCode::Y020029,
            ErrorCode::Y020030,
            ErrorCode::Y020031,
            ErrorCode::Y030007,
            ErrorCode::Y04EA6EF,
            ErrorCode::Y04C013C,
            ErrorCode::Y04CFAEF,
            ErrorCode::Y100001,
            ErrorCode::Y100009,
            ErrorCode::Y100018,
            ErrorCode::Y190001,
            ErrorCode::Y420001,
            ErrorCode::Y470001,
            ErrorCode::Y600006,
            ErrorCode::Y500000,
            ErrorCode::Y500001,
            ErrorCode::Y520001,
        ];
        for code in all {
            assert_eq!(format!("{code:?}"), code.as_str());
            assert!((400..600).contains(&code.status()), "{code}");
            assert!(code.message().ends_with('.'), "{code}");
        }
        assert_eq!(ErrorCode::Y190001.status(), 401);
        assert_eq!(ErrorCode::Y000404.status(), 404);
    }
}
