//! The admin page (`/admin`, `docs/admin.md`): the registrations in force and, for each service
//! provider, a form that switches its scenario in one click.
//!
//! A person signs in by typing the admin token once; the hub answers with a cookie that proves
//! it for an hour: `{expiry}.{HMAC-SHA256(admin token, expiry)}`, `HttpOnly` (no script reads
//! it), `SameSite=Strict` (no other site's page sends it) and limited to `/admin`. Nothing is
//! stored server-side, so every replica accepts it. Each form also carries a CSRF token derived
//! from the cookie, in case a browser ignores `SameSite`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::admin::{clear_scenario, scenario_view, set_scenario};
use super::{render, see_other};
use crate::error::{AdminError, Error, Result};
use crate::platform::Platform;
use crate::provider::scenario::{MAX_COUNT, Scenario, ScenarioRequest};

type P = web::Data<Platform>;
type Templates = web::Data<tera::Tera>;

const COOKIE: &str = "fc_hub_admin";
/// How long a sign-in lasts.
const SESSION_SECS: i64 = 3600;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(admin_get))
        .route("/admin/login", web::post().to(login_post))
        .route("/admin/scenario", web::post().to(scenario_post))
        .route("/admin/logout", web::post().to(logout_post));
}

/// HMAC-SHA256 of `message` under the admin token, hex; `None` when the API is disabled.
fn mac(platform: &Platform, purpose: &str, message: &str) -> Option<String> {
    let token = platform.admin.settings.token.as_ref()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(token.expose().as_bytes()).ok()?;
    mac.update(format!("fc-hub-admin|{purpose}|{message}").as_bytes());
    Some(hex::encode(mac.finalize().into_bytes()))
}

fn new_session(platform: &Platform) -> Option<String> {
    let expiry = platform.clock.now() + SESSION_SECS;
    Some(format!(
        "{expiry}.{}",
        mac(platform, "session", &expiry.to_string())?
    ))
}

/// The browser's sign-in cookie, when it is one of ours and still valid.
fn session(req: &HttpRequest, platform: &Platform) -> Option<String> {
    let value = req.cookie(COOKIE)?.value().to_owned();
    let (expiry, presented) = value.split_once('.')?;
    let expected = mac(platform, "session", expiry)?;
    let fresh = expiry
        .parse::<i64>()
        .is_ok_and(|e| e > platform.clock.now());
    (fresh && fc_plumbing::random::secure_eq(&expected, presented)).then_some(value)
}

fn csrf_ok(platform: &Platform, session: &str, presented: &str) -> bool {
    mac(platform, "csrf", session)
        .is_some_and(|expected| fc_plumbing::random::secure_eq(&expected, presented))
}

fn cookie(platform: &Platform, value: String, max_age: i64) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(platform.admin.settings.cookie_secure)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

#[derive(Serialize)]
struct LoginView {
    error: Option<&'static str>,
}

fn login_page(
    templates: &tera::Tera,
    status: u16,
    error: Option<&'static str>,
) -> Result<HttpResponse> {
    let mut response = render(templates, "admin_login.html", &LoginView { error })?;
    *response.status_mut() =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    Ok(response)
}

#[derive(Deserialize)]
pub struct Done {
    fait: Option<String>,
}

async fn admin_get(
    req: HttpRequest,
    query: web::Query<Done>,
    platform: P,
    templates: Templates,
) -> Result<HttpResponse> {
    match session(&req, &platform) {
        None => login_page(&templates, 200, None),
        Some(session) => {
            let message = query
                .fait
                .is_some()
                .then_some("Le changement est en vigueur.");
            dashboard(&platform, &templates, &session, message, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

async fn login_post(
    form: web::Form<LoginForm>,
    platform: P,
    templates: Templates,
) -> Result<HttpResponse> {
    if !platform.admin.token_matches(form.token.trim()) {
        tracing::warn!("ADMIN_LOGIN_REFUSED");
        return login_page(
            &templates,
            401,
            Some("Ce jeton n'est pas le jeton d'administration."),
        );
    }
    let value = new_session(&platform).ok_or_else(|| Error::internal("no admin token"))?;
    tracing::info!("ADMIN_LOGIN");
    let mut response = see_other("/admin");
    response
        .add_cookie(&cookie(&platform, value, SESSION_SECS))
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct ScenarioForm {
    csrf: String,
    client_id: String,
    /// Empty: back to normal.
    scenario: String,
    #[serde(default)]
    count: String,
}

async fn scenario_post(
    req: HttpRequest,
    form: web::Form<ScenarioForm>,
    platform: P,
    templates: Templates,
) -> Result<HttpResponse> {
    let Some(session) = session(&req, &platform) else {
        return login_page(
            &templates,
            401,
            Some("Votre connexion a expiré : saisissez à nouveau le jeton."),
        );
    };
    if !csrf_ok(&platform, &session, &form.csrf) {
        return login_page(
            &templates,
            403,
            Some("Le formulaire n'est plus valide : rechargez la page."),
        );
    }
    match apply(&platform, &form).await {
        Ok(()) => Ok(see_other("/admin?fait=1")),
        Err(message) => dashboard(&platform, &templates, &session, None, Some(message)).await,
    }
}

/// The form's change, or what is wrong with it, in French.
async fn apply(platform: &Platform, form: &ScenarioForm) -> std::result::Result<(), String> {
    if form.scenario.is_empty() {
        return clear_scenario(platform, &form.client_id)
            .await
            .map_err(explain);
    }
    let scenario = Scenario::ALL
        .into_iter()
        .find(|s| s.name() == form.scenario)
        .ok_or_else(|| "Ce scénario n'existe pas.".to_owned())?;
    let count = match form.count.trim() {
        "" => None,
        n => Some(
            n.parse::<u32>()
                .ok()
                .filter(|c| (1..=MAX_COUNT).contains(c))
                .ok_or_else(|| {
                    format!("Le nombre de connexions doit être un entier entre 1 et {MAX_COUNT}.")
                })?,
        ),
    };
    let request = ScenarioRequest {
        scenario,
        count,
        delay_secs: None,
    };
    set_scenario(platform, &form.client_id, request)
        .await
        .map(|_| ())
        .map_err(explain)
}

/// Why the API refused a change, for a person reading French.
fn explain(error: Error) -> String {
    match error {
        Error::Admin {
            error: AdminError::NotFound,
            ..
        } => "Ce fournisseur de service n'est pas (ou plus) enregistré.".to_owned(),
        Error::Admin {
            field: Some(field), ..
        } if field == "scenario" => {
            "Ce scénario demande des ID tokens signés avec les clés du hub \
             (ES256 ou RS256) : ce fournisseur de service a choisi HS256."
                .to_owned()
        }
        other => format!("Le changement n'a pas pu être fait : {other}"),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

async fn logout_post(
    req: HttpRequest,
    form: web::Form<LogoutForm>,
    platform: P,
) -> Result<HttpResponse> {
    if let Some(session) = session(&req, &platform)
        && !csrf_ok(&platform, &session, &form.csrf)
    {
        return Ok(see_other("/admin"));
    }
    let mut response = see_other("/admin");
    response
        .add_cookie(&cookie(&platform, String::new(), 0))
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(response)
}

#[derive(Serialize)]
struct Choice {
    name: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct SpRow {
    name: String,
    client_id: String,
    active: bool,
    alg: String,
    scenario: Option<&'static str>,
    scenario_label: Option<&'static str>,
    count: Option<u32>,
    remaining: Option<i64>,
    choices: Vec<Choice>,
}

#[derive(Serialize)]
struct Row {
    title: String,
    id: String,
    active: bool,
}

#[derive(Serialize)]
struct DashboardView {
    csrf: String,
    message: Option<&'static str>,
    error: Option<String>,
    service_providers: Vec<SpRow>,
    identity_providers: Vec<Row>,
    data_providers: Vec<Row>,
    store: String,
    shared: bool,
    file: Option<String>,
}

async fn dashboard(
    platform: &Platform,
    templates: &tera::Tera,
    session: &str,
    message: Option<&'static str>,
    error: Option<String>,
) -> Result<HttpResponse> {
    let registry = platform.registry();
    let (doc, _) = platform.admin.doc();
    let mut service_providers = Vec::new();
    for sp in &registry.service_providers {
        let setting = doc.scenarios.get(&sp.client_id);
        let view = scenario_view(platform, &sp.client_id, setting).await?;
        let hs256 = sp.id_token_signed_response_alg == fc_plumbing::Jwa::HS256;
        let choices = Scenario::ALL
            .into_iter()
            .filter(|s| !(hs256 && s.needs_public_key()))
            .map(|s| Choice {
                name: s.name(),
                label: s.label(),
                selected: view.scenario == Some(s),
            })
            .collect();
        service_providers.push(SpRow {
            name: sp.name.clone(),
            client_id: sp.client_id.clone(),
            active: sp.active,
            alg: sp.id_token_signed_response_alg.to_string(),
            scenario: view.scenario.map(Scenario::name),
            scenario_label: view.scenario.map(Scenario::label),
            count: view.count,
            remaining: view.remaining,
            choices,
        });
    }
    let rows = |items: Vec<(String, String, bool)>| {
        items
            .into_iter()
            .map(|(title, id, active)| Row { title, id, active })
            .collect()
    };
    let view = DashboardView {
        csrf: mac(platform, "csrf", session).unwrap_or_default(),
        message,
        service_providers,
        identity_providers: rows(
            registry
                .identity_providers
                .iter()
                .map(|i| (i.title.clone(), i.uid.clone(), i.active))
                .collect(),
        ),
        data_providers: rows(
            registry
                .data_providers
                .iter()
                .map(|d| (d.title.clone(), d.client_id.clone(), true))
                .collect(),
        ),
        store: platform.store.describe(),
        shared: platform.admin.is_shared(),
        file: platform
            .admin
            .settings
            .file
            .as_ref()
            .map(|p| p.display().to_string()),
        error: error.clone(),
    };
    let mut response = render(templates, "admin.html", &view)?;
    if error.is_some() {
        *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}
