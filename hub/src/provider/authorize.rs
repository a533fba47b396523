//! Validation of an authorization request (SPEC §4.2), in FranceConnect's order.
//!
//! FranceConnect checks the parameters against a whitelist before anything else: a repeated or
//! unknown parameter (`code_challenge`, `login_hint`, `request`…) is error Y030007, shown as a
//! page, never redirected. Until the client and its redirect URI are verified byte for byte, no
//! error may be sent back to the URI either. Only then do OAuth errors travel to the SP as a
//! redirect carrying `state` and `iss`.
//!
//! The relaxed mode (configuration) is for RP libraries that always send extra parameters: it
//! ignores unknown ones and accepts PKCE with S256 (`plain` is refused), which FranceConnect
//! itself does not.

use super::scopes::{IDENTITY_SCOPES, V1_ONLY_SCOPES};
use crate::registry::{Registry, ServiceProvider};

pub const ACR_ORDER: &[&str] = &["eidas1", "eidas2", "eidas3"];

/// Parameters FranceConnect accepts at authorize.
const ALLOWED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "acr_values",
    "prompt",
    "claims",
    "idp_hint",
    "ui_locales",
];

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub scopes: Vec<String>,
    /// The one acr value kept (the lowest known one).
    pub acr: String,
    pub prompt: Option<String>,
    pub amr_requested: bool,
    pub idp_hint: Option<String>,
    /// PKCE S256 challenge (relaxed mode only).
    pub code_challenge: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizeError {
    /// Y030007: invalid parameters, before the client is trusted.
    InvalidParameter(String),
    /// Y04EA6EF
    UnknownClient,
    /// Y04C013C
    UnregisteredRedirectUri,
    /// Y100009: `amr` asked by an SP that may not have it.
    AmrNotAllowed,
    /// An OAuth error sent back to the (verified) redirect URI.
    Redirect {
        redirect_uri: String,
        state: String,
        error: &'static str,
        description: String,
    },
}

/// Platform settings that shape authorize.
pub struct AuthorizeSettings<'a> {
    pub acr_supported: &'a [String],
    pub api_version: &'a str,
    pub relaxed: bool,
}

/// Parameters only the relaxed mode accepts.
const PKCE: &[&str] = &["code_challenge", "code_challenge_method"];

pub fn validate(
    params: &[(String, String)],
    registry: &Registry,
    settings: &AuthorizeSettings<'_>,
) -> Result<AuthorizeRequest, AuthorizeError> {
    let invalid = |m: &str| AuthorizeError::InvalidParameter(m.to_owned());
    for (i, (name, _)) in params.iter().enumerate() {
        let pkce = settings.relaxed && PKCE.contains(&name.as_str());
        if !ALLOWED.contains(&name.as_str()) && !pkce && !settings.relaxed {
            return Err(invalid(&format!("parameter {name:?} is not accepted")));
        }
        if params[..i].iter().any(|(n, _)| n == name) {
            return Err(invalid(&format!("parameter {name:?} is repeated")));
        }
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let required = |name: &str| {
        get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(&format!("{name} is required")))
    };

    let client_id = required("client_id")?;
    let sp = registry
        .service_provider(client_id)
        .filter(|sp| sp.active && sp.api_versions.iter().any(|v| v == settings.api_version))
        .ok_or(AuthorizeError::UnknownClient)?;
    let redirect_uri = required("redirect_uri")?;
    if !sp.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(AuthorizeError::UnregisteredRedirectUri);
    }
    let state = required("state")?;
    let nonce = required("nonce")?;
    if nonce.chars().count() < 22 {
        return Err(invalid("nonce must be at least 22 characters long"));
    }
    let acr_values = required("acr_values")?;
    let scope = required("scope")?;
    let prompt = match get("prompt") {
        None => None,
        Some(p) => {
            let values: Vec<&str> = p.split(' ').collect();
            if values.iter().any(|v| !matches!(*v, "login" | "consent")) {
                return Err(invalid("prompt accepts login and consent only"));
            }
            Some(p.to_owned())
        }
    };
    let amr_requested = match get("claims") {
        None => false,
        Some(c) => {
            let claims: serde_json::Value =
                serde_json::from_str(c).map_err(|_| invalid("claims is not JSON"))?;
            if !claims.is_object() {
                return Err(invalid("claims is not a JSON object"));
            }
            claims.pointer("/id_token/amr").is_some()
        }
    };

    let redirect = |error: &'static str, description: &str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        error,
        description: description.to_owned(),
    };
    match get("response_type") {
        Some("code") => {}
        None | Some("") => {
            return Err(redirect(
                "invalid_request",
                "missing required parameter 'response_type'",
            ));
        }
        Some(_) => {
            return Err(redirect(
                "unsupported_response_type",
                "unsupported response_type requested",
            ));
        }
    }
    let scopes: Vec<String> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return Err(redirect(
            "invalid_request",
            "openid scope must be requested when using the acr_values parameter",
        ));
    }
    let known = |s: &str| {
        IDENTITY_SCOPES.contains(&s)
            || registry.is_data_scope(s)
            || (settings.api_version == "v1" && V1_ONLY_SCOPES.contains(&s))
    };
    let scopes: Vec<String> = scopes.into_iter().filter(|s| known(s)).collect();
    if scopes.iter().any(|s| !sp.scopes.contains(s)) {
        return Err(redirect("invalid_scope", "requested scope is not allowed"));
    }
    let acr = lowest_known_acr(acr_values);
    if !settings.acr_supported.contains(&acr) {
        return Err(redirect(
            "invalid_acr",
            &format!(
                "acr_value is not valid, should be equal one of these values, expected {}, got {acr}",
                settings.acr_supported.join(",")
            ),
        ));
    }
    if amr_requested && !sp.claims.iter().any(|c| c == "amr") {
        return Err(AuthorizeError::AmrNotAllowed);
    }
    let idp_hint = get("idp_hint").filter(|h| !h.is_empty()).map(str::to_owned);
    if let Some(hint) = &idp_hint
        && !idp_hint_allowed(sp, hint)
    {
        return Err(redirect(
            "invalid_idp_hint",
            "An idp_hint was provided but is not allowed",
        ));
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (None, None) => None,
        (Some(challenge), Some("S256"))
            if settings.relaxed
                && (43..=128).contains(&challenge.len())
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Some(challenge.to_owned())
        }
        _ => {
            return Err(redirect(
                "invalid_request",
                "code_challenge must be S256 with a 43 to 128 character challenge",
            ));
        }
    };
    Ok(AuthorizeRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        nonce: nonce.to_owned(),
        scopes,
        acr,
        prompt,
        amr_requested,
        idp_hint,
        code_challenge,
    })
}

fn idp_hint_allowed(sp: &ServiceProvider, hint: &str) -> bool {
    sp.allowed_idp_hints.iter().any(|h| h == hint)
}

/// Keeps the known values and takes the lowest; none known → the default `eidas1`. Longer than
/// 64 characters counts as empty, as FranceConnect does.
pub fn lowest_known_acr(acr_values: &str) -> String {
    if acr_values.len() > 64 {
        return "eidas1".into();
    }
    ACR_ORDER
        .iter()
        .find(|a| acr_values.split(' ').any(|v| v == **a))
        .map(|a| (*a).to_owned())
        .unwrap_or_else(|| "eidas1".into())
}

/// Rank of an acr value in `eidas1 < eidas2 < eidas3`; unknown values rank below all.
pub fn acr_rank(acr: &str) -> Option<usize> {
    ACR_ORDER.iter().position(|a| *a == acr)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SP: &str = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950";

    fn registry() -> Registry {
        Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap()
    }

    fn good() -> Vec<(String, String)> {
        [
            ("client_id", SP),
            ("redirect_uri", "http://localhost:3000/oidc-callback"),
            ("response_type", "code"),
            ("scope", "openid given_name unknown_scope"),
            ("state", "state-1"),
            ("nonce", "a-nonce-of-at-least-22-characters"),
            ("acr_values", "eidas1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    fn run(params: Vec<(String, String)>) -> Result<AuthorizeRequest, AuthorizeError> {
        let acr: Vec<String> = ACR_ORDER.iter().map(|s| (*s).to_owned()).collect();
        validate(
            &params,
            &registry(),
            &AuthorizeSettings {
                acr_supported: &acr,
                api_version: "v2",
                relaxed: false,
            },
        )
    }

    fn with(key: &str, value: &str) -> Vec<(String, String)> {
        let mut p = good();
        p.retain(|(k, _)| k != key);
        p.push((key.to_owned(), value.to_owned()));
        p
    }

    #[test]
    fn a_good_request_keeps_known_scopes_only() {
        let r = run(good()).unwrap();
        assert_eq!(r.scopes, vec!["openid", "given_name"]);
        assert_eq!(r.acr, "eidas1");
    }

    #[test]
    fn parameters_outside_the_whitelist_and_repeats_are_refused() {
        assert!(matches!(
            run(with("code_challenge", "abc")),
            Err(AuthorizeError::InvalidParameter(_))
        ));
        let mut p = good();
        p.push(("state".into(), "again".into()));
        assert!(matches!(run(p), Err(AuthorizeError::InvalidParameter(_))));
    }

    #[test]
    fn client_and_redirect_uri_are_checked_before_anything_is_redirected() {
        assert_eq!(
            run(with("client_id", "nope")),
            Err(AuthorizeError::UnknownClient)
        );
        for uri in [
            "http://localhost:3000/oidc-callback/",
            "http://localhost:3000/oidc-callback?x=1",
            "HTTP://localhost:3000/oidc-callback",
            "http://localhost:3000/oidc-callback#f",
        ] {
            assert_eq!(
                run(with("redirect_uri", uri)),
                Err(AuthorizeError::UnregisteredRedirectUri),
                "{uri}"
            );
        }
    }

    #[test]
    fn short_nonce_missing_state_and_bad_prompt_are_y030007() {
        assert!(matches!(
            run(with("nonce", "short")),
            Err(AuthorizeError::InvalidParameter(_))
        ));
        assert!(matches!(
            run(with("state", "")),
            Err(AuthorizeError::InvalidParameter(_))
        ));
        assert!(matches!(
            run(with("prompt", "none")),
            Err(AuthorizeError::InvalidParameter(_))
        ));
        assert!(matches!(
            run(with("claims", "{not json")),
            Err(AuthorizeError::InvalidParameter(_))
        ));
    }

    #[test]
    fn oauth_errors_go_back_to_the_sp() {
        let err = |p| match run(p) {
            Err(AuthorizeError::Redirect { error, .. }) => error,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(with("scope", "profile")), "invalid_request");
        assert_eq!(
            err(with("response_type", "token")),
            "unsupported_response_type"
        );
        assert_eq!(err(with("idp_hint", "anything")), "invalid_idp_hint");
    }

    #[test]
    fn acr_takes_the_lowest_known_value() {
        assert_eq!(lowest_known_acr("niveau_inconnu"), "eidas1");
        assert_eq!(lowest_known_acr("eidas3 eidas2"), "eidas2");
        assert_eq!(lowest_known_acr(&"x".repeat(65)), "eidas1");
        let acr = vec!["eidas1".to_owned()];
        let r = validate(
            &with("acr_values", "eidas2"),
            &registry(),
            &AuthorizeSettings {
                acr_supported: &acr,
                api_version: "v2",
                relaxed: false,
            },
        );
        assert!(matches!(
            r,
            Err(AuthorizeError::Redirect {
                error: "invalid_acr",
                ..
            })
        ));
    }

    #[test]
    fn relaxed_mode_accepts_pkce_s256_only_and_ignores_unknown_parameters() {
        let acr: Vec<String> = ACR_ORDER.iter().map(|s| (*s).to_owned()).collect();
        let relaxed = AuthorizeSettings {
            acr_supported: &acr,
            api_version: "v2",
            relaxed: true,
        };
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let mut p = with("code_challenge", challenge);
        p.push(("code_challenge_method".into(), "S256".into()));
        p.push(("login_hint".into(), "ignored".into()));
        let r = validate(&p, &registry(), &relaxed).unwrap();
        assert_eq!(r.code_challenge.as_deref(), Some(challenge));

        let mut plain = with("code_challenge", challenge);
        plain.push(("code_challenge_method".into(), "plain".into()));
        assert!(matches!(
            validate(&plain, &registry(), &relaxed),
            Err(AuthorizeError::Redirect {
                error: "invalid_request",
                ..
            })
        ));
        let no_method = with("code_challenge", challenge);
        assert!(matches!(
            validate(&no_method, &registry(), &relaxed),
            Err(AuthorizeError::Redirect { .. })
        ));
        let short = with("code_challenge", "abc");
        let mut short = short;
        short.push(("code_challenge_method".into(), "S256".into()));
        assert!(matches!(
            validate(&short, &registry(), &relaxed),
            Err(AuthorizeError::Redirect { .. })
        ));
    }
}
