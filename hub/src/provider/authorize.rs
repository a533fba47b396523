//! The authorization request (`docs/hub.md`, "Authorize"), in FranceConnect's order, and where it
//! sends the browser next.
//!
//! FranceConnect checks the parameters against a whitelist before anything else: a repeated or
//! unknown parameter (`code_challenge`, `login_hint`, `request`…) is error Y030007, shown as a
//! page, never redirected. Until the client and its redirect URI are verified byte for byte, no
//! error may be sent back to the URI either. Only then do OAuth errors travel to the SP as a
//! redirect carrying `state` (and, in v2, `iss`).
//!
//! Every value is length-capped (4 KB) before it is kept: one session must cost a few KB at most,
//! whatever a client sends.
//!
//! The relaxed mode (configuration) is for RP libraries that always send extra parameters: it
//! ignores unknown ones and accepts PKCE with S256 (`plain` is refused), which FranceConnect
//! itself does not.

use serde::{Deserialize, Serialize};

use super::SpRedirect;
use super::scopes::V1_ONLY_SCOPES;
use crate::domain::{Acr, ApiVersion, Prompt};
use crate::error::{BackLink, Error, ErrorCode, Result};
use crate::federation::IdpLeg;
use crate::instance::Instance;
use crate::platform::Platform;
use crate::registry::{Registry, ServiceProvider};
use crate::session::{HubSession, Journey, Step};

/// The longest value of any authorize parameter the hub keeps.
pub const MAX_PARAMETER_LENGTH: usize = 4096;

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

/// Parameters only the relaxed mode accepts.
const PKCE: &[&str] = &["code_challenge", "code_challenge_method"];

/// A request that passed every check: it travels, as one value, from authorize to the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub api_version: ApiVersion,
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub scopes: Vec<String>,
    /// The one acr value kept (the lowest known one).
    pub acr: Acr,
    pub prompt: Option<Prompt>,
    pub amr_requested: bool,
    pub idp_hint: Option<String>,
    /// PKCE S256 challenge (relaxed mode only).
    pub code_challenge: Option<String>,
}

impl AuthorizeRequest {
    /// An `openid`-only request: the SP asks for no personal data.
    pub fn is_anonymous(&self) -> bool {
        self.scopes == ["openid"]
    }
}

/// Platform settings that shape authorize.
pub struct AuthorizeSettings<'a> {
    pub instance: Instance,
    pub acr_supported: &'a [Acr],
    pub default_acr: Acr,
    pub api_version: ApiVersion,
    pub relaxed: bool,
    /// The `iss` of redirects to the SP: v2 has one (RFC 9207), v1 never did.
    pub callback_iss: Option<&'a str>,
}

/// Why a request was refused before it could be trusted, or the OAuth error to send back.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// An error page (the SP is not verified, or FranceConnect shows a page for this case).
    Page(ErrorCode, String),
    /// An OAuth error sent back to the verified redirect URI.
    Redirect(SpRedirect),
}

/// Where the browser goes after a valid authorize.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizeOutcome {
    /// The mire, for this interaction.
    ShowMire { uid: String },
    /// Straight to the hinted IdP.
    RedirectToIdp { url: String },
    /// An SSO login serves this SP: straight to the information page.
    Consent { uid: String },
    /// An OAuth error for the SP.
    RedirectToSp(SpRedirect),
}

type Params = [(String, String)];

/// Validates `params` in FranceConnect's order.
pub fn validate(
    params: &Params,
    registry: &Registry,
    settings: &AuthorizeSettings<'_>,
) -> Result<AuthorizeRequest, Refusal> {
    let invalid = |m: String| Refusal::Page(ErrorCode::Y030007, m);
    check_whitelist(params, settings.relaxed).map_err(invalid)?;
    let get = |name: &str| param(params, name);
    let required = |name: &str| {
        get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("{name} is required")))
    };

    let client_id = required("client_id")?;
    let sp = registry
        .service_provider(client_id)
        .filter(|sp| sp.active && sp.allows_version(settings.api_version))
        .ok_or_else(|| {
            Refusal::Page(
                ErrorCode::Y04EA6EF,
                format!(
                    "unknown or inactive client_id for {}",
                    settings.api_version.as_str()
                ),
            )
        })?;
    let redirect_uri = required("redirect_uri")?;
    if !sp.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(Refusal::Page(
            ErrorCode::Y04C013C,
            "redirect_uri is not registered for this client".into(),
        ));
    }
    let state = required("state")?;
    let nonce = required("nonce")?;
    if nonce.chars().count() < 22 {
        return Err(invalid("nonce must be at least 22 characters long".into()));
    }
    let acr_values = required("acr_values")?;
    let scope = required("scope")?;
    let prompt = get("prompt")
        .map(Prompt::parse)
        .transpose()
        .map_err(invalid)?;
    let amr_requested = get("claims")
        .map(amr_requested)
        .transpose()
        .map_err(invalid)?;

    let back = SpRedirect::to(redirect_uri, state, settings.callback_iss);
    let request = AuthorizeRequest {
        api_version: settings.api_version,
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        nonce: nonce.to_owned(),
        scopes: Vec::new(),
        acr: Acr::lowest_known(acr_values, settings.default_acr),
        prompt,
        amr_requested: amr_requested.unwrap_or(false),
        idp_hint: get("idp_hint").filter(|h| !h.is_empty()).map(str::to_owned),
        code_challenge: None,
    };
    finish(request, sp, registry, settings, &back, scope, params).map_err(Refusal::Redirect)
}

/// The checks that send OAuth errors back to the (now verified) SP.
fn finish(
    mut request: AuthorizeRequest,
    sp: &ServiceProvider,
    registry: &Registry,
    settings: &AuthorizeSettings<'_>,
    back: &SpRedirect,
    scope: &str,
    params: &Params,
) -> Result<AuthorizeRequest, SpRedirect> {
    let get = |name: &str| param(params, name);
    match get("response_type") {
        Some("code") => {}
        None | Some("") => {
            return Err(back.error(
                "invalid_request",
                "missing required parameter 'response_type'",
            ));
        }
        Some(_) => {
            return Err(back.error(
                "unsupported_response_type",
                "unsupported response_type requested",
            ));
        }
    }
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !scopes.contains(&"openid") {
        return Err(back.error(
            "invalid_request",
            "openid scope must be requested when using the acr_values parameter",
        ));
    }
    let known = |s: &str| {
        settings.instance.identity_scopes().contains(&s)
            || registry.is_data_scope(s)
            || (settings.api_version == ApiVersion::V1 && V1_ONLY_SCOPES.contains(&s))
    };
    request.scopes = dedup(scopes.into_iter().filter(|s| known(s)));
    if request.scopes.iter().any(|s| !sp.scopes.contains(s)) {
        return Err(back.error("invalid_scope", "requested scope is not allowed"));
    }
    if !settings.acr_supported.contains(&request.acr) {
        let expected: Vec<&str> = settings.acr_supported.iter().map(|a| a.as_str()).collect();
        return Err(back.error(
            "invalid_acr",
            &format!(
                "acr_value is not valid, should be equal one of these values, expected {}, got {}",
                expected.join(","),
                request.acr
            ),
        ));
    }
    if let Some(hint) = &request.idp_hint
        && !sp.allowed_idp_hints.iter().any(|h| h == hint)
    {
        return Err(back.error(
            "invalid_idp_hint",
            "An idp_hint was provided but is not allowed",
        ));
    }
    request.code_challenge =
        pkce_challenge(params, settings.relaxed).map_err(|m| back.error("invalid_request", m))?;
    Ok(request)
}

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn dedup<'a>(scopes: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// Unknown (unless relaxed), repeated and oversized parameters are refused first.
fn check_whitelist(params: &Params, relaxed: bool) -> Result<(), String> {
    for (i, (name, value)) in params.iter().enumerate() {
        let pkce = relaxed && PKCE.contains(&name.as_str());
        if !ALLOWED.contains(&name.as_str()) && !pkce && !relaxed {
            return Err(format!(
                "parameter {:?} is not accepted",
                fc_plumbing::request_log::capped(name)
            ));
        }
        if params[..i].iter().any(|(n, _)| n == name) {
            return Err(format!(
                "parameter {:?} is repeated",
                fc_plumbing::request_log::capped(name)
            ));
        }
        if value.len() > MAX_PARAMETER_LENGTH {
            return Err(format!(
                "parameter {:?} is longer than {MAX_PARAMETER_LENGTH} bytes",
                fc_plumbing::request_log::capped(name)
            ));
        }
    }
    Ok(())
}

/// `claims` must be a JSON object; it matters only for `amr` in the ID token.
fn amr_requested(claims: &str) -> Result<bool, String> {
    let claims: serde_json::Value =
        serde_json::from_str(claims).map_err(|_| "claims is not JSON".to_owned())?;
    if !claims.is_object() {
        return Err("claims is not a JSON object".into());
    }
    Ok(claims.pointer("/id_token/amr").is_some())
}

fn pkce_challenge(params: &Params, relaxed: bool) -> Result<Option<String>, &'static str> {
    match (
        param(params, "code_challenge"),
        param(params, "code_challenge_method"),
    ) {
        (None, None) => Ok(None),
        (Some(challenge), Some("S256"))
            if relaxed
                && (43..=128).contains(&challenge.len())
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(challenge.to_owned()))
        }
        _ => Err("code_challenge must be S256 with a 43 to 128 character challenge"),
    }
}

/// `GET|POST /authorize`: validates, opens a journey in `session` and says where to go.
pub async fn start(
    platform: &Platform,
    session: &mut HubSession,
    params: &Params,
    api_version: ApiVersion,
) -> Result<AuthorizeOutcome> {
    let registry = platform.registry();
    let settings = platform.authorize_settings(api_version);
    let request = match validate(params, &registry, &settings) {
        Ok(request) => request,
        Err(Refusal::Page(code, detail)) => return Err(Error::page(code, detail)),
        Err(Refusal::Redirect(redirect)) => return Ok(AuthorizeOutcome::RedirectToSp(redirect)),
    };
    if request.amr_requested
        && !registry
            .service_provider(&request.client_id)
            .is_some_and(ServiceProvider::may_have_amr)
    {
        return Err(Error::page(
            ErrorCode::Y100009,
            "amr claim not allowed for this SP",
        ));
    }
    let sp = registry
        .service_provider(&request.client_id)
        .ok_or_else(|| Error::page(ErrorCode::Y04EA6EF, "client vanished"))?;
    let mut journey = Journey::new(request);

    if let Some(login) = &session.sso
        && login.idp_acr >= journey.request.acr
        && platform.settings.instance.sso_allows(journey.request.acr)
        && registry
            .identity_provider(&login.idp_uid)
            .is_some_and(|idp| idp.active && sp.allows_idp(&idp.uid))
    {
        journey.login = Some(login.clone());
        journey.is_sso = true;
        journey.step = Step::Consent;
        let uid = journey.uid.clone();
        session.journey = Some(journey);
        return Ok(AuthorizeOutcome::Consent { uid });
    }

    if let Some(hint) = journey.request.idp_hint.clone() {
        let idp = registry
            .identity_provider(&hint)
            .filter(|i| i.active && sp.allows_idp(&i.uid))
            .ok_or_else(|| {
                Error::page(
                    ErrorCode::Y020017,
                    format!("hinted IdP {:?} is unknown or inactive", hint),
                )
                .with_back(Some(give_up_link(platform, &journey, sp)))
            })?;
        let leg = IdpLeg::new(idp, journey.request.acr, api_version);
        let url = leg.authorize_url(&super::interaction::resolved(platform, idp).await?);
        journey.idp = Some(leg);
        journey.step = Step::AtIdp;
        session.journey = Some(journey);
        return Ok(AuthorizeOutcome::RedirectToIdp { url });
    }

    let uid = journey.uid.clone();
    session.journey = Some(journey);
    Ok(AuthorizeOutcome::ShowMire { uid })
}

/// The "Revenir sur {SP}" link of an error page shown before the IdP: the user gives up.
pub fn give_up_link(platform: &Platform, journey: &Journey, sp: &ServiceProvider) -> BackLink {
    let r = &journey.request;
    BackLink {
        sp_name: sp.name.clone(),
        url: SpRedirect::for_request(platform, r)
            .error("access_denied", "User auth aborted")
            .location(),
    }
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
            ("scope", "openid given_name unknown_scope given_name"),
            ("state", "state-1"),
            ("nonce", "a-nonce-of-at-least-22-characters"),
            ("acr_values", "eidas1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    fn settings(relaxed: bool, acr: &[Acr]) -> AuthorizeSettings<'_> {
        AuthorizeSettings {
            instance: Instance::FranceConnect,
            acr_supported: acr,
            default_acr: Acr::Eidas1,
            api_version: ApiVersion::V2,
            relaxed,
            callback_iss: Some("http://localhost:8000/api/v2"),
        }
    }

    fn run(params: Vec<(String, String)>) -> Result<AuthorizeRequest, Refusal> {
        validate(&params, &registry(), &settings(false, &Acr::ALL))
    }

    fn with(key: &str, value: &str) -> Vec<(String, String)> {
        let mut p = good();
        p.retain(|(k, _)| k != key);
        p.push((key.to_owned(), value.to_owned()));
        p
    }

    fn page_code(r: Result<AuthorizeRequest, Refusal>) -> ErrorCode {
        match r {
            Err(Refusal::Page(code, _)) => code,
            other => panic!("{other:?}"),
        }
    }

    fn redirect_error(r: Result<AuthorizeRequest, Refusal>) -> String {
        match r {
            Err(Refusal::Redirect(redirect)) => {
                let url = url::Url::parse(&redirect.location()).unwrap();
                url.query_pairs()
                    .find(|(k, _)| k == "error")
                    .map(|(_, v)| v.into_owned())
                    .unwrap()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_good_request_keeps_known_scopes_once() {
        let r = run(good()).unwrap();
        assert_eq!(r.scopes, vec!["openid", "given_name"]);
        assert_eq!(r.acr, Acr::Eidas1);
    }

    #[test]
    fn parameters_outside_the_whitelist_repeats_and_oversized_values_are_refused() {
        assert_eq!(
            page_code(run(with("code_challenge", "abc"))),
            ErrorCode::Y030007
        );
        let mut p = good();
        p.push(("state".into(), "again".into()));
        assert_eq!(page_code(run(p)), ErrorCode::Y030007);
        let long = "s".repeat(MAX_PARAMETER_LENGTH + 1);
        assert_eq!(page_code(run(with("state", &long))), ErrorCode::Y030007);
        let fits = "s".repeat(MAX_PARAMETER_LENGTH);
        assert_eq!(run(with("state", &fits)).unwrap().state, fits);
    }

    #[test]
    fn client_and_redirect_uri_are_checked_before_anything_is_redirected() {
        assert_eq!(
            page_code(run(with("client_id", "nope"))),
            ErrorCode::Y04EA6EF
        );
        for uri in [
            "http://localhost:3000/oidc-callback/",
            "http://localhost:3000/oidc-callback?x=1",
            "HTTP://localhost:3000/oidc-callback",
            "http://localhost:3000/oidc-callback#f",
        ] {
            assert_eq!(
                page_code(run(with("redirect_uri", uri))),
                ErrorCode::Y04C013C,
                "{uri}"
            );
        }
    }

    #[test]
    fn short_nonce_missing_state_and_bad_prompt_are_y030007() {
        for (k, v) in [
            ("nonce", "short"),
            ("state", ""),
            ("prompt", "none"),
            ("claims", "{not json"),
            ("claims", "[1]"),
        ] {
            assert_eq!(page_code(run(with(k, v))), ErrorCode::Y030007, "{k}={v}");
        }
    }

    #[test]
    fn oauth_errors_go_back_to_the_sp() {
        assert_eq!(
            redirect_error(run(with("scope", "profile"))),
            "invalid_request"
        );
        assert_eq!(
            redirect_error(run(with("response_type", "token"))),
            "unsupported_response_type"
        );
        assert_eq!(
            redirect_error(run(with("idp_hint", "anything"))),
            "invalid_idp_hint"
        );
        let only_eidas1 = [Acr::Eidas1];
        let r = validate(
            &with("acr_values", "eidas2"),
            &registry(),
            &settings(false, &only_eidas1),
        );
        assert_eq!(redirect_error(r), "invalid_acr");
    }

    #[test]
    fn relaxed_mode_accepts_pkce_s256_only_and_ignores_unknown_parameters() {
        let relaxed = settings(true, &Acr::ALL);
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let mut p = with("code_challenge", challenge);
        p.push(("code_challenge_method".into(), "S256".into()));
        p.push(("login_hint".into(), "ignored".into()));
        let r = validate(&p, &registry(), &relaxed).unwrap();
        assert_eq!(r.code_challenge.as_deref(), Some(challenge));

        let mut plain = with("code_challenge", challenge);
        plain.push(("code_challenge_method".into(), "plain".into()));
        assert_eq!(
            redirect_error(validate(&plain, &registry(), &relaxed)),
            "invalid_request"
        );
        let no_method = with("code_challenge", challenge);
        assert_eq!(
            redirect_error(validate(&no_method, &registry(), &relaxed)),
            "invalid_request"
        );
        let mut short = with("code_challenge", "abc");
        short.push(("code_challenge_method".into(), "S256".into()));
        assert_eq!(
            redirect_error(validate(&short, &registry(), &relaxed)),
            "invalid_request"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn name() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::sample::select(ALLOWED.to_vec()).prop_map(str::to_owned),
                prop::sample::select(PKCE.to_vec()).prop_map(str::to_owned),
                ".{0,12}",
            ]
        }

        proptest! {
            /// Any list of parameters gives a request or a typed refusal, never a panic, and an
            /// accepted request keeps only bounded values.
            #[test]
            fn any_parameters_are_validated_without_panic(
                params in prop::collection::vec((name(), ".{0,80}"), 0..14),
                relaxed in any::<bool>(),
            ) {
                let params: Vec<(String, String)> = params;
                let registry = registry();
                let acr = Acr::ALL;
                if let Ok(r) = validate(&params, &registry, &settings(relaxed, &acr)) {
                    prop_assert!(r.state.len() <= MAX_PARAMETER_LENGTH);
                    prop_assert!(r.scopes.iter().any(|s| s == "openid"));
                }
            }

            /// A good request with some values replaced by anything: the checks past the client's
            /// (scope, acr, prompt, claims, PKCE) meet hostile values too.
            #[test]
            fn good_requests_with_hostile_values_never_panic(
                changes in prop::collection::vec((0usize..7, ".{0,60}"), 1..5),
                extra in prop::option::of((name(), ".{0,40}")),
            ) {
                let mut params = good();
                for (i, value) in changes {
                    if params[i].0 != "client_id" && params[i].0 != "redirect_uri" {
                        params[i].1 = value;
                    }
                }
                params.extend(extra);
                let _ = run(params);
            }

            #[test]
            fn any_claims_and_prompt_parse_without_panic(text in ".{0,200}") {
                let _ = amr_requested(&text);
                let _ = Prompt::parse(&text);
                let _ = Acr::lowest_known(&text, Acr::Eidas1);
                let _ = fc_plumbing::jose::decode_unverified(&text);
            }
        }
    }
}
