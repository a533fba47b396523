//! Browser endpoints: authorize, the mire, the IdP callback, the consent page, logout. Each parses,
//! calls the domain with the browser's session state, commits what changed, renders.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::browser_session::BrowserSession;
use super::{found, render, see_other};
use crate::domain::ApiVersion;
use crate::error::Result;
use crate::federation::{self, CallbackOutcome, CallbackQuery};
use crate::platform::Platform;
use crate::provider::authorize::{self, AuthorizeOutcome};
use crate::provider::consent::{self, ConsentOutcome};
use crate::provider::interaction;
use crate::provider::logout::{self, FinishOutcome, LogoutOutcome, LogoutRequest};

type P = web::Data<Platform>;
type Templates = web::Data<tera::Tera>;
type Version = web::Data<ApiVersion>;

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

pub async fn authorize_get(
    req: HttpRequest,
    session: Session,
    platform: P,
    version: Version,
) -> Result<HttpResponse> {
    authorize(
        &pairs(req.query_string().as_bytes()),
        session,
        &platform,
        **version,
    )
    .await
}

pub async fn authorize_post(
    body: web::Bytes,
    session: Session,
    platform: P,
) -> Result<HttpResponse> {
    authorize(&pairs(&body), session, &platform, ApiVersion::V2).await
}

async fn authorize(
    params: &[(String, String)],
    session: Session,
    platform: &Platform,
    version: ApiVersion,
) -> Result<HttpResponse> {
    let mut browser = BrowserSession::load(session);
    let outcome = authorize::start(platform, &mut browser.state, params, version).await?;
    browser.commit()?;
    let prefix = version.prefix();
    Ok(match outcome {
        AuthorizeOutcome::ShowMire { uid } => see_other(&format!("{prefix}/interaction/{uid}")),
        AuthorizeOutcome::Consent { uid } => {
            see_other(&format!("{prefix}/interaction/{uid}/consent"))
        }
        AuthorizeOutcome::RedirectToIdp { url } => found(&url),
        AuthorizeOutcome::RedirectToSp(redirect) => see_other(&redirect.location()),
    })
}

pub async fn interaction_get(
    path: web::Path<String>,
    session: Session,
    platform: P,
    templates: Templates,
) -> Result<HttpResponse> {
    let mut browser = BrowserSession::load(session);
    let view = interaction::mire(&platform, &mut browser.state, &path)?;
    browser.commit()?;
    render(&templates, "mire.html", &view)
}

#[derive(Deserialize)]
pub struct IdpChoice {
    #[serde(rename = "providerUid")]
    provider_uid: String,
    #[serde(rename = "csrfToken")]
    csrf_token: Option<String>,
}

pub async fn redirect_to_idp_post(
    form: web::Form<IdpChoice>,
    session: Session,
    platform: P,
) -> Result<HttpResponse> {
    let mut browser = BrowserSession::load(session);
    let url = interaction::choose_idp(
        &platform,
        &mut browser.state,
        &form.provider_uid,
        form.csrf_token.as_deref(),
    )
    .await?;
    browser.commit()?;
    Ok(found(&url))
}

pub async fn redirect_to_sp_with_error_get(session: Session, platform: P) -> Result<HttpResponse> {
    let mut browser = BrowserSession::load(session);
    let redirect = interaction::give_up(&platform, &mut browser.state)?;
    browser.commit()?;
    Ok(see_other(&redirect.location()))
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

pub async fn oidc_callback_get(
    query: web::Query<CallbackParams>,
    session: Session,
    platform: P,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let query = CallbackQuery {
        code: query.code,
        state: query.state,
        error: query.error,
        iss: query.iss,
    };
    let mut browser = BrowserSession::load(session);
    let outcome = federation::callback(&platform, &mut browser.state, &query).await;
    let prefix = |b: &BrowserSession| {
        b.state
            .journey
            .as_ref()
            .map_or("/api/v2", |j| j.request.api_version.prefix())
    };
    match outcome {
        Ok(CallbackOutcome::BackToMire { uid }) => {
            let location = format!("{}/interaction/{uid}", prefix(&browser));
            browser.commit()?;
            Ok(found(&location))
        }
        Ok(CallbackOutcome::Identified { uid }) => {
            let location = format!("{}/interaction/{uid}/consent", prefix(&browser));
            browser.commit_renewed()?;
            Ok(found(&location))
        }
        // A spent leg stays spent: what changed is kept even on failure.
        Err(e) => browser.finish(Err(e)),
    }
}

pub async fn consent_get(
    path: web::Path<String>,
    session: Session,
    platform: P,
    templates: Templates,
) -> Result<HttpResponse> {
    let mut browser = BrowserSession::load(session);
    let outcome = consent::show(&platform, &mut browser.state, &path).await?;
    browser.commit()?;
    match outcome {
        ConsentOutcome::Show(view) => render(&templates, "consent.html", &view),
        ConsentOutcome::Redirect(redirect) => Ok(see_other(&redirect.location())),
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(rename = "csrfToken")]
    csrf_token: Option<String>,
    consent: Option<String>,
    refuse: Option<String>,
}

pub async fn login_post(
    form: web::Form<ConsentForm>,
    session: Session,
    platform: P,
) -> Result<HttpResponse> {
    let mut browser = BrowserSession::load(session);
    let redirect = consent::submit(
        &platform,
        &mut browser.state,
        form.csrf_token.as_deref(),
        form.consent.is_some(),
        form.refuse.is_some(),
    )
    .await?;
    browser.commit()?;
    Ok(see_other(&redirect.location()))
}

#[derive(Deserialize)]
pub struct SessionEndQuery {
    id_token_hint: Option<String>,
    state: Option<String>,
    post_logout_redirect_uri: Option<String>,
}

/// `GET /api/v2/session/end` and `GET /api/v1/logout`.
pub async fn session_end_get(
    query: web::Query<SessionEndQuery>,
    session: Session,
    platform: P,
    version: Version,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let request = LogoutRequest {
        id_token_hint: query.id_token_hint,
        state: query.state,
        post_logout_redirect_uri: query.post_logout_redirect_uri,
    };
    let mut browser = BrowserSession::load(session);
    let outcome = logout::end_session(&platform, &mut browser.state, &request, **version).await?;
    browser.commit()?;
    Ok(match outcome {
        LogoutOutcome::ToIdp { url } => found(&url),
        LogoutOutcome::Finish => found("/api/v2/client/logout-callback"),
    })
}

pub async fn logout_callback_get(session: Session, templates: Templates) -> Result<HttpResponse> {
    let browser = BrowserSession::load(session);
    let outcome = logout::finish(&browser.state);
    browser.purge();
    match outcome {
        FinishOutcome::RedirectToSp { url } => Ok(found(&url)),
        FinishOutcome::LoggedOut => render(&templates, "logged_out.html", &serde_json::json!({})),
    }
}
