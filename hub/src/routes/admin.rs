//! The control API (`docs/admin.md`): JSON under `/admin/api`, for whoever holds the admin token
//! (`Authorization: Bearer …`). Registrations are read, added, replaced and removed with the
//! field names of the TOML files; scenarios are set per service provider. Routes exist only when
//! a token is configured: otherwise `/admin` is the hub's ordinary 404.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::admin_page;
use crate::admin;
use crate::error::{AdminError, Error, Result};
use crate::platform::Platform;
use crate::provider::scenario::{self, Scenario, ScenarioRequest, ScenarioSetting};
use crate::registry::{DataProvider, IdentityProvider, Registration, ServiceProvider};

type P = web::Data<Platform>;

/// The caller proved it holds the admin token.
pub struct AdminCaller;

impl FromRequest for AdminCaller {
    type Error = Error;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let presented = req
            .headers()
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let platform = req.app_data::<P>();
        ready(match (presented, platform) {
            (Some(token), Some(p)) if p.admin.token_matches(token) => Ok(AdminCaller),
            (None, _) => Err(Error::admin(
                AdminError::Unauthorized,
                "send the admin token as Authorization: Bearer <token>",
            )),
            _ => Err(Error::admin(AdminError::Unauthorized, "wrong admin token")),
        })
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api")
            .route("/config", web::get().to(config_get))
            .route("/scenarios", web::get().to(scenarios_get))
            .route(
                "/service-providers/{client_id}/scenario",
                web::get().to(scenario_get),
            )
            .route(
                "/service-providers/{client_id}/scenario",
                web::put().to(scenario_put),
            )
            .route(
                "/service-providers/{client_id}/scenario",
                web::delete().to(scenario_delete),
            )
            .configure(entries::<ServiceProvider>("/service-providers"))
            .configure(entries::<IdentityProvider>("/identity-providers"))
            .configure(entries::<DataProvider>("/data-providers"))
            .default_service(web::to(unknown_endpoint)),
    );
    admin_page::configure(cfg);
}

/// The four routes of one kind of registration.
fn entries<T: Registration>(path: &'static str) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let one = format!("{path}/{{id}}");
        cfg.route(path, web::get().to(list_get::<T>))
            .route(&one, web::get().to(entry_get::<T>))
            .route(&one, web::put().to(entry_put::<T>))
            .route(&one, web::delete().to(entry_delete::<T>));
    }
}

async fn unknown_endpoint(_: AdminCaller) -> Result<HttpResponse> {
    Err(Error::admin(
        AdminError::NotFound,
        "no such endpoint or method (docs/admin.md lists them)",
    ))
}

/// The JSON body of a request, as `T`; any fault names its field.
fn body<T: DeserializeOwned>(req: &HttpRequest, bytes: &[u8]) -> Result<T> {
    let value = json_object(req, bytes)?;
    parse(value)
}

fn json_object(req: &HttpRequest, bytes: &[u8]) -> Result<Value> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(Error::admin(
            AdminError::InvalidBody,
            "the body must be JSON (Content-Type: application/json)",
        ));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::admin(AdminError::InvalidBody, format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(Error::admin(
            AdminError::InvalidBody,
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        let path = e.path().to_string();
        // A missing or unknown field is reported at the object itself: name it from the message.
        let field = if path == "." {
            message
                .split('`')
                .nth(1)
                .map_or_else(|| "(body)".to_owned(), str::to_owned)
        } else {
            path
        };
        Error::admin_field(field, message)
    })
}

fn not_found<T: Registration>(id: &str) -> Error {
    Error::admin(
        AdminError::NotFound,
        format!("no {} with {} {id:?}", T::KIND.label(), T::KIND.id_field()),
    )
}

async fn list_get<T: Registration>(_: AdminCaller, platform: P) -> HttpResponse {
    HttpResponse::Ok().json(platform.registry().entries::<T>())
}

async fn entry_get<T: Registration>(
    _: AdminCaller,
    platform: P,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let registry = platform.registry();
    let entry = registry
        .entry::<T>(&id)
        .ok_or_else(|| not_found::<T>(&id))?;
    Ok(HttpResponse::Ok().json(entry))
}

/// `PUT`: adds or replaces the entry; the id comes from the path (the body may repeat it).
async fn entry_put<T: Registration>(
    _: AdminCaller,
    platform: P,
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let mut value = json_object(&req, &bytes)?;
    let id_field = T::KIND.id_field();
    if let Some(object) = value.as_object_mut() {
        match object.get(id_field) {
            None => {
                object.insert(id_field.to_owned(), json!(id));
            }
            Some(Value::String(named)) if *named == id => {}
            Some(_) => {
                return Err(Error::admin_field(
                    id_field,
                    format!("must be {id:?}, as in the URL (or be left out)"),
                ));
            }
        }
    }
    let entry: T = parse(value)?;
    entry
        .validate()
        .map_err(|e| Error::admin_field(e.field, e.message))?;
    let created = admin::update(&platform, |doc, registry| {
        let existed = registry.entry::<T>(&id).is_some();
        doc.registrations.put(entry.clone());
        Ok(!existed)
    })
    .await?;
    tracing::info!(
        kind = T::KIND.label(),
        id,
        created,
        "ADMIN_REGISTRATION_PUT"
    );
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(entry))
}

async fn entry_delete<T: Registration>(
    _: AdminCaller,
    platform: P,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let base = platform.admin.base();
    admin::update(&platform, |doc, _| {
        if !doc.registrations.remove::<T>(base, &id) {
            return Err(not_found::<T>(&id));
        }
        doc.scenarios.remove(&id);
        Ok(())
    })
    .await?;
    tracing::info!(kind = T::KIND.label(), id, "ADMIN_REGISTRATION_DELETED");
    Ok(HttpResponse::NoContent().finish())
}

/// A scenario as the API shows it: what it does and how many logins it has left.
#[derive(Serialize)]
pub struct ScenarioView {
    pub client_id: String,
    pub scenario: Option<Scenario>,
    pub count: Option<u32>,
    pub used: Option<i64>,
    pub remaining: Option<i64>,
    pub delay_secs: Option<u64>,
    pub since: Option<i64>,
}

pub async fn scenario_view(
    platform: &Platform,
    client_id: &str,
    setting: Option<&ScenarioSetting>,
) -> Result<ScenarioView> {
    let used = match setting {
        Some(s) if s.count.is_some() => Some(scenario::used(platform, s).await?),
        _ => None,
    };
    Ok(ScenarioView {
        client_id: client_id.to_owned(),
        scenario: setting.map(|s| s.scenario),
        count: setting.and_then(|s| s.count),
        used,
        remaining: setting
            .and_then(|s| s.count)
            .zip(used)
            .map(|(count, used)| (i64::from(count) - used).max(0)),
        delay_secs: setting.and_then(|s| s.delay_secs),
        since: setting.map(|s| s.since),
    })
}

fn known_sp(platform: &Platform, client_id: &str) -> Result<ServiceProvider> {
    platform
        .registry()
        .service_provider(client_id)
        .cloned()
        .ok_or_else(|| not_found::<ServiceProvider>(client_id))
}

async fn scenario_get(_: AdminCaller, platform: P, id: web::Path<String>) -> Result<HttpResponse> {
    known_sp(&platform, &id)?;
    let (doc, _) = platform.admin.doc();
    let view = scenario_view(&platform, &id, doc.scenarios.get(id.as_str())).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Sets the scenario of one SP (`{"scenario": NAME, "count": N, "delay_secs": S}`).
pub async fn set_scenario(
    platform: &Platform,
    client_id: &str,
    request: ScenarioRequest,
) -> Result<ScenarioSetting> {
    let sp = known_sp(platform, client_id)?;
    let setting = scenario::prepare(platform, &sp, request).await?;
    admin::update(platform, |doc, registry| {
        if registry.service_provider(client_id).is_none() {
            return Err(not_found::<ServiceProvider>(client_id));
        }
        doc.scenarios.insert(client_id.to_owned(), setting.clone());
        Ok(())
    })
    .await?;
    tracing::info!(
        client_id,
        scenario = setting.scenario.name(),
        count = setting.count,
        "ADMIN_SCENARIO_SET"
    );
    Ok(setting)
}

/// Back to normal logins for one SP.
pub async fn clear_scenario(platform: &Platform, client_id: &str) -> Result<()> {
    known_sp(platform, client_id)?;
    admin::update(platform, |doc, _| {
        doc.scenarios.remove(client_id);
        Ok(())
    })
    .await?;
    tracing::info!(client_id, "ADMIN_SCENARIO_CLEARED");
    Ok(())
}

async fn scenario_put(
    _: AdminCaller,
    platform: P,
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
) -> Result<HttpResponse> {
    let request: ScenarioRequest = body(&req, &bytes)?;
    let setting = set_scenario(&platform, &id, request).await?;
    let view = scenario_view(&platform, &id, Some(&setting)).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn scenario_delete(
    _: AdminCaller,
    platform: P,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    clear_scenario(&platform, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn scenarios_get(_: AdminCaller) -> HttpResponse {
    let all: Vec<Value> = Scenario::ALL
        .iter()
        .map(|s| {
            json!({
                "scenario": s.name(),
                "label": s.label(),
                "needs_public_key": s.needs_public_key(),
            })
        })
        .collect();
    HttpResponse::Ok().json(all)
}

/// `GET /admin/api/config`: what this hub is and how it runs.
async fn config_get(_: AdminCaller, platform: P) -> HttpResponse {
    let settings = &platform.settings;
    let kids: Vec<Value> = platform.keys.jwks()["keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .map(|k| json!({"kid": k["kid"], "alg": k["alg"]}))
                .collect()
        })
        .unwrap_or_default();
    let plus = settings
        .acr_supported
        .iter()
        .all(|a| a.as_str() != "eidas1");
    let (_, version) = platform.admin.doc();
    let admin = &platform.admin.settings;
    HttpResponse::Ok().json(json!({
        "instance": if plus { "FranceConnect+" } else { "FranceConnect" },
        "public_url": settings.public_url,
        "issuer": settings.issuer,
        "acr_values": settings.acr_supported,
        "signing_keys": kids,
        "store": platform.store.describe(),
        "shared_store": platform.admin.is_shared(),
        "relaxed": settings.relaxed,
        "deterministic": admin.deterministic,
        "registrations_file": admin.file.as_ref().map(|p| p.display().to_string()),
        "scenario_delay_secs": admin.scenario_delay_secs,
        "changes_version": version,
    }))
}

/// With a shared store, each request may be the one that looks for another replica's change
/// (at most once a second); with the memory store this middleware is not even installed.
pub async fn refresh(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> std::result::Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(platform) = req.app_data::<P>() {
        admin::refresh(platform).await;
    }
    next.call(req).await
}
