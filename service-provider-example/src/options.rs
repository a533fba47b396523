//! Step 1, with every option — the login options page.
//!
//! FranceConnect lets a service provider choose, at each `/authorize`: the `scope`s (claims of the
//! identité pivot, `profile`, `birth`, contact, and each data provider's scopes, within what its
//! registration allows: else `error=invalid_scope`), the eIDAS level (`acr_values`), `prompt`,
//! the `amr` claim (through `claims`) and `idp_hint` (only for IdPs its registration lists: else
//! `error=invalid_idp_hint`). Partner documentation:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.
//!
//! The form also chooses the hub: FranceConnect, or FranceConnect+ (`eidas2`, `eidas3`; v2
//! only). This page lets a tester try each of them, plus the legacy v1 API and PKCE (refused by
//! FranceConnect, for hubs in relaxed mode only), and shows the exact authorize URL before
//! leaving: `GET /options` (the form) → `GET /options/preview` (the URL, with its parameters
//! decoded; `state` and `nonce` are already in the pending-login cookie) → `GET /options/go`
//! (the redirect).
//!
//! Choices made here: `openid` is always sent (the hub answers `invalid_request` without it, and
//! `openidconnect` adds it anyway); when a data provider's scope is chosen, the login is a "data"
//! login, so the callback leads to the data provider's page.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::error::SpError;
use crate::hub::{ApiVersion, Platform};
use crate::journal::Http;
use crate::login::{ACR_LEVELS, AuthorizeRequest, prepare_authorization};
use crate::session::Purpose;
use crate::startup::AppState;

/// A group of scopes on the form.
pub struct ScopeGroup {
    pub title: &'static str,
    /// Whether these scopes belong to a data provider (they release no claim).
    pub data_provider: bool,
    /// (scope, French label)
    pub scopes: &'static [(&'static str, &'static str)],
}

/// Every scope the demo hub knows, grouped as FranceConnect documents them.
pub const SCOPE_GROUPS: &[ScopeGroup] = &[
    ScopeGroup {
        title: "Identité pivot",
        data_provider: false,
        scopes: &[
            ("given_name", "Prénom(s)"),
            ("family_name", "Nom de naissance"),
            ("birthdate", "Date de naissance"),
            ("gender", "Sexe"),
            ("birthplace", "Lieu de naissance (code COG)"),
            ("birthcountry", "Pays de naissance (code COG)"),
            ("identite_pivot", "Les six à la fois (identite_pivot)"),
        ],
    },
    ScopeGroup {
        title: "Profil",
        data_provider: false,
        scopes: &[
            (
                "profile",
                "Prénoms, nom de naissance, date de naissance, sexe et nom d'usage (profile)",
            ),
            ("preferred_username", "Nom d'usage"),
            (
                "idp_birthdate",
                "Date de naissance telle que le fournisseur d'identité l'a transmise",
            ),
        ],
    },
    ScopeGroup {
        title: "Naissance",
        data_provider: false,
        scopes: &[("birth", "Lieu et pays de naissance (birth)")],
    },
    ScopeGroup {
        title: "Contact",
        data_provider: false,
        scopes: &[
            ("email", "Adresse électronique"),
            ("address", "Adresse postale (API v1 uniquement)"),
            ("phone", "Numéro de téléphone (API v1 uniquement)"),
        ],
    },
    ScopeGroup {
        title: "Fournisseur de données : Direction générale des Finances publiques",
        data_provider: true,
        scopes: &[
            ("dgfip_rfr", "Revenu fiscal de référence"),
            ("dgfip_nbpart", "Nombre de parts"),
            ("dgfip_sitfam", "Situation de famille"),
            ("dgfip_pac", "Personnes à charge"),
            ("dgfip_aft", "Adresse fiscale de taxation"),
        ],
    },
    ScopeGroup {
        title: "Fournisseur de données : Assurance maladie",
        data_provider: true,
        scopes: &[("cnam_paiements_ij", "Paiements d'indemnités journalières")],
    },
];

/// The longest `idp_hint` accepted (an IdP uid or slug is far shorter).
const MAX_IDP_HINT: usize = 128;

/// One checkbox of the form.
#[derive(Debug, Serialize)]
struct ScopeBox {
    scope: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Debug, Serialize)]
struct GroupView {
    title: &'static str,
    data_provider: bool,
    scopes: Vec<ScopeBox>,
}

/// `GET /options`: the form, filled with the configured defaults, or with the options of the
/// query when the tester comes back from the preview to change them.
pub async fn options_get(
    app: web::Data<AppState>,
    session: Session,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, SpError> {
    let chosen = if query.is_empty() {
        defaults(&app)
    } else {
        parse_options(&query, |hub| default_acr(&app, hub))?
    };
    let groups: Vec<GroupView> = SCOPE_GROUPS
        .iter()
        .map(|group| GroupView {
            title: group.title,
            data_provider: group.data_provider,
            scopes: group
                .scopes
                .iter()
                .map(|(scope, label)| ScopeBox {
                    scope,
                    label,
                    checked: chosen.scopes.iter().any(|s| s == scope),
                })
                .collect(),
        })
        .collect();
    let mut context = app.pages.context(&session)?;
    context.insert("groups", &groups);
    context.insert("acr_levels", &ACR_LEVELS);
    // No level chosen yet: the platform's own default, whichever the tester picks.
    let acr = if query.is_empty() {
        ""
    } else {
        chosen.acr_values.as_str()
    };
    context.insert("acr", acr);
    context.insert("prompt_login", &chosen.prompts.iter().any(|p| p == "login"));
    context.insert(
        "prompt_consent",
        &chosen.prompts.iter().any(|p| p == "consent"),
    );
    context.insert("amr", &chosen.amr);
    context.insert("idp_hint", &chosen.idp_hint.clone().unwrap_or_default());
    context.insert("version", chosen.api_version.as_str());
    context.insert("pkce", &chosen.pkce);
    context.insert("hub", chosen.hub.as_str());
    app.pages.render("options.html", &context)
}

/// The level asked of `hub` when the form says none.
fn default_acr(app: &AppState, hub: Platform) -> String {
    app.hubs.get(hub).settings().acr_values.clone()
}

/// The form's first state: the configured identity scopes and level, v2, nothing else.
fn defaults(app: &AppState) -> AuthorizeRequest {
    AuthorizeRequest {
        purpose: Purpose::Identity,
        hub: Platform::FranceConnect,
        api_version: ApiVersion::V2,
        scopes: app
            .config
            .scopes
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        acr_values: app.config.acr_values.clone(),
        prompts: Vec::new(),
        amr: false,
        idp_hint: None,
        pkce: false,
    }
}

/// `GET /options/preview`: builds the authorize request (a fresh `state` and `nonce`, stored for
/// the callback) and shows it before leaving.
pub async fn options_preview_get(
    app: web::Data<AppState>,
    session: Session,
    http: Http,
    request: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, SpError> {
    let wanted = parse_options(&query, |hub| default_acr(&app, hub))?;
    let pending = prepare_authorization(&app, &http, &wanted).await?;
    let authorize_url = pending.authorize_url.clone();
    let params: Vec<(String, String)> = url::Url::parse(&authorize_url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let endpoint = authorize_url.split('?').next().unwrap_or("").to_owned();

    let mut context = app.pages.context(&session)?;
    context.insert("authorize_url", &authorize_url);
    context.insert("endpoint", &endpoint);
    context.insert("params", &params);
    context.insert("notes", &notes(&wanted));
    context.insert("version", wanted.api_version.as_str());
    context.insert("edit_query", request.query_string());
    let mut page = app.pages.render("options_preview.html", &context)?;
    page.add_cookie(&app.pending.cookie(&pending)?)
        .map_err(|e| SpError::Session(e.to_string()))?;
    Ok(page)
}

/// What the tester should know about the options chosen.
fn notes(wanted: &AuthorizeRequest) -> Vec<&'static str> {
    let mut notes = Vec::new();
    if wanted.pkce {
        notes.push(
            "PKCE : FranceConnect refuse le paramètre code_challenge (erreur Y030007). \
             Seul un hub en mode « relaxed » l'accepte.",
        );
    }
    if wanted.idp_hint.is_some() {
        notes.push(
            "idp_hint : FranceConnect ne l'accepte que pour les fournisseurs d'identité listés dans \
             l'inscription du fournisseur de service ; sinon il répond error=invalid_idp_hint.",
        );
    }
    if wanted.api_version == ApiVersion::V2
        && wanted.scopes.iter().any(|s| s == "address" || s == "phone")
    {
        notes.push("Les scopes address et phone n'existent qu'en v1 : la v2 les ignore.");
    }
    if wanted.api_version == ApiVersion::V1 {
        notes.push(
            "API v1 : pas de découverte ; ID token signé en HS256 avec le client_secret, \
             userinfo en JSON simple.",
        );
    }
    if wanted.purpose == Purpose::Data {
        notes.push(
            "Des scopes d'un fournisseur de données sont demandés : au retour, ce service \
             appellera le fournisseur de données avec le jeton d'accès.",
        );
    }
    notes
}

/// Reads the options form. Unknown fields are ignored; a bad value is a 400 with nothing stored.
pub fn parse_options(
    pairs: &[(String, String)],
    default_acr: impl Fn(Platform) -> String,
) -> Result<AuthorizeRequest, SpError> {
    let single = |name: &str| -> Result<Option<&str>, SpError> {
        let mut values = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (_, Some(_)) => Err(bad(format!("paramètre {name} répété"))),
            (first, None) => Ok(first),
        }
    };
    let known_scope = |s: &str| s == "openid" || SCOPE_GROUPS.iter().any(|g| g.has(s));
    let scopes = many(pairs, "scope", known_scope)?;
    let hub = Platform::parse(single("hub")?)?.unwrap_or_default();
    let acr_values = match single("acr")? {
        None | Some("") => default_acr(hub),
        Some(acr) if ACR_LEVELS.contains(&acr) => acr.to_owned(),
        Some(acr) => return Err(bad(format!("niveau eIDAS inconnu : {}", quoted(acr)))),
    };
    let api_version = match single("version")? {
        None | Some("v2") => ApiVersion::V2,
        Some("v1") => ApiVersion::V1,
        Some(other) => return Err(bad(format!("version d'API inconnue : {}", quoted(other)))),
    };
    if hub == Platform::FranceConnectPlus && api_version == ApiVersion::V1 {
        return Err(bad("FranceConnect+ n'a que l'API v2".into()));
    }
    let data = scopes
        .iter()
        .any(|s| SCOPE_GROUPS.iter().any(|g| g.data_provider && g.has(s)));
    Ok(AuthorizeRequest {
        purpose: if data {
            Purpose::Data
        } else {
            Purpose::Identity
        },
        hub,
        api_version,
        scopes,
        acr_values,
        prompts: many(pairs, "prompt", |p| p == "login" || p == "consent")?,
        amr: single("amr")?.is_some_and(|v| !v.is_empty()),
        idp_hint: idp_hint(single("idp_hint")?)?,
        pkce: single("pkce")?.is_some_and(|v| !v.is_empty()),
    })
}

impl ScopeGroup {
    fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|(s, _)| *s == scope)
    }
}

fn bad(what: String) -> SpError {
    SpError::BadRequest(what)
}

/// A value the client wrote, cut short, for an error message.
fn quoted(text: &str) -> String {
    format!("« {} »", text.chars().take(40).collect::<String>())
}

/// Every value of the repeatable field `name`, each known, without duplicates, in order.
fn many(
    pairs: &[(String, String)],
    name: &str,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<String>, SpError> {
    let mut values: Vec<String> = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == name) {
        if !known(value) {
            return Err(bad(format!("{name} inconnu : {}", quoted(value))));
        }
        if !values.contains(value) {
            values.push(value.clone());
        }
    }
    Ok(values)
}

/// An IdP uid or slug: short, letters, digits and a few separators.
fn idp_hint(value: Option<&str>) -> Result<Option<String>, SpError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(hint)
            if hint.len() <= MAX_IDP_HINT
                && hint
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) =>
        {
            Ok(Some(hint.to_owned()))
        }
        Some(_) => Err(bad(format!(
            "idp_hint : au plus {MAX_IDP_HINT} lettres, chiffres, « - », « _ », « . » ou « : »"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_becomes_an_authorize_request() {
        let request = parse_options(
            &pairs(&[
                ("scope", "given_name"),
                ("scope", "dgfip_rfr"),
                ("scope", "given_name"),
                ("acr", "eidas2"),
                ("prompt", "login"),
                ("prompt", "consent"),
                ("amr", "1"),
                ("idp_hint", " fia1v2 "),
                ("version", "v1"),
                ("pkce", "1"),
                ("unknown", "ignored"),
            ]),
            |_| "eidas1".into(),
        )
        .unwrap();
        assert_eq!(request.scopes, ["given_name", "dgfip_rfr"]);
        assert_eq!(request.purpose, Purpose::Data);
        assert_eq!(request.acr_values, "eidas2");
        assert_eq!(request.prompts, ["login", "consent"]);
        assert!(request.amr && request.pkce);
        assert_eq!(request.idp_hint.as_deref(), Some("fia1v2"));
        assert_eq!(request.api_version, ApiVersion::V1);
    }

    #[test]
    fn an_empty_form_gives_the_defaults() {
        let request = parse_options(&pairs(&[("idp_hint", ""), ("acr", "")]), |_| {
            "eidas1".into()
        })
        .unwrap();
        assert_eq!(request.purpose, Purpose::Identity);
        assert_eq!(request.acr_values, "eidas1");
        assert_eq!(request.api_version, ApiVersion::V2);
        assert_eq!(request.hub, Platform::FranceConnect);
        assert!(request.idp_hint.is_none() && !request.amr && !request.pkce);
    }

    #[test]
    fn franceconnect_plus_takes_its_own_default_level_and_v2_only() {
        let defaults = |hub: Platform| match hub {
            Platform::FranceConnect => "eidas1".to_owned(),
            Platform::FranceConnectPlus => "eidas2".to_owned(),
        };
        let plus = parse_options(&pairs(&[("hub", "franceconnect-plus")]), defaults).unwrap();
        assert_eq!(plus.hub, Platform::FranceConnectPlus);
        assert_eq!(plus.acr_values, "eidas2");
        let v1 = pairs(&[("hub", "franceconnect-plus"), ("version", "v1")]);
        assert!(parse_options(&v1, defaults).is_err());
        assert!(parse_options(&pairs(&[("hub", "fc2")]), defaults).is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            vec![("scope", "admin")],
            vec![("acr", "eidas4")],
            vec![("prompt", "none")],
            vec![("version", "v3")],
            vec![("idp_hint", "<script>")],
            vec![("acr", "eidas1"), ("acr", "eidas2")],
        ] {
            assert!(
                parse_options(&pairs(&bad), |_| "eidas1".into()).is_err(),
                "{bad:?} accepted"
            );
        }
        let long = "a".repeat(MAX_IDP_HINT + 1);
        assert!(parse_options(&pairs(&[("idp_hint", &long)]), |_| "eidas1".into()).is_err());
    }
}
