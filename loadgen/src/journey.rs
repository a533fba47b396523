//! One complete journey of the README, as a user's browser makes it: SP login → mire → IdP login →
//! consent → identity at the SP → data (SSO, consent to the DGFiP data) → logout through the
//! chain SP → hub → IdP → hub → SP. Every request is timed under its step name; the journey fails
//! on the first unexpected answer and ends by checking that the identity and data shown are this
//! browser's person's (cross-talk: another browser's session leaking into this one).

use serde_json::Value;
use url::Url;

use crate::browser::{Browser, FetchError, Page, set};
use crate::people::Person;
use crate::stats::Samples;

/// Why a journey failed. [`JourneyError::kind`] is the grouping key of the error table.
#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    #[error("{step}: {detail}")]
    Transport { step: String, detail: String },
    #[error("{step}: HTTP {status}")]
    Status { step: String, status: u16 },
    #[error("{step}: {detail}")]
    Redirect { step: String, detail: String },
    /// The chain ended on another page than the journey expects, or the page lacks a form.
    #[error("{phase}: unexpected page {url}: {what}")]
    Page {
        phase: &'static str,
        url: String,
        what: String,
    },
    /// The SP shows someone else's identity or data.
    #[error("cross-talk for {login}: {what}")]
    CrossTalk { login: String, what: String },
}

impl JourneyError {
    pub fn kind(&self) -> String {
        match self {
            Self::Transport { step, detail } => format!("transport {detail} at {step}"),
            Self::Status { step, status } => format!("HTTP {status} at {step}"),
            Self::Redirect { step, .. } => format!("bad redirect at {step}"),
            Self::Page { phase, what, .. } => format!("unexpected page in {phase}: {what}"),
            Self::CrossTalk { .. } => "cross-talk".into(),
        }
    }
}

impl From<FetchError> for JourneyError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Transport { step, detail } => Self::Transport { step, detail },
            FetchError::Status { step, status, .. } => Self::Status { step, status },
            FetchError::Redirect { step, detail } => Self::Redirect { step, detail },
        }
    }
}

fn unexpected(phase: &'static str, page: &Page, what: &str) -> JourneyError {
    JourneyError::Page {
        phase,
        url: page
            .url
            .as_str()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned(),
        what: what.to_owned(),
    }
}

fn form(
    phase: &'static str,
    page: &Page,
    marker: &str,
) -> Result<(Url, Vec<(String, String)>), JourneyError> {
    page.form(marker)
        .ok_or_else(|| unexpected(phase, page, &format!("no form {marker}")))
}

fn json(phase: &'static str, page: &Page, id: &str) -> Result<Value, JourneyError> {
    page.element_text(id)
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| unexpected(phase, page, &format!("no JSON in #{id}")))
}

/// Runs one journey for `person` from the SP at `sp`.
pub async fn run(
    browser: &Browser,
    sp: &Url,
    person: &Person,
    samples: &mut Samples,
) -> Result<(), JourneyError> {
    let join = |path: &str| {
        sp.join(path).map_err(|e| JourneyError::Page {
            phase: "login",
            url: sp.to_string(),
            what: e.to_string(),
        })
    };

    // 1. Login: SP → hub authorize → mire → IdP → hub callback → consent → SP callback → /me.
    let phase = "login";
    let mire = browser.open(phase, join("/login")?, samples).await?;
    let (action, fields) = form(
        phase,
        &mire,
        "data-testid=\"idp-identity-provider-example\"",
    )?;
    let login_page = browser.submit(phase, action, &fields, samples).await?;
    let (action, mut fields) = form(phase, &login_page, "id=\"login-form\"")?;
    set(&mut fields, "login", &person.login);
    set(&mut fields, "password", &person.password);
    set(&mut fields, "acr", "eidas1");
    let consent = browser.submit(phase, action, &fields, samples).await?;
    let (action, fields) = form(phase, &consent, "id=\"consent-form\"")?;
    let me = browser.submit(phase, action, &fields, samples).await?;
    if me.url.path() != "/me" {
        return Err(unexpected(phase, &me, "not the SP's /me"));
    }
    let userinfo = json(phase, &me, "userinfo-json")?;
    let shown = |claim: &str| userinfo[claim].as_str().unwrap_or_default().to_owned();
    if shown("family_name") != person.family_name
        || shown("given_name") != person.given_name
        || shown("birthdate") != person.birthdate
    {
        return Err(JourneyError::CrossTalk {
            login: person.login.clone(),
            what: format!(
                "identity {} {} {}",
                shown("given_name"),
                shown("family_name"),
                shown("birthdate")
            ),
        });
    }

    // 2. Data: SSO at the hub (no mire, no IdP), consent to the DGFiP data, the DP's answer.
    let phase = "data";
    let consent = browser.open(phase, join("/data/login")?, samples).await?;
    if consent.hops.iter().any(|u| u.path() == "/authorize") {
        return Err(unexpected(phase, &consent, "SSO went back to the IdP"));
    }
    let (action, mut fields) = form(phase, &consent, "id=\"consent-form\"")?;
    set(&mut fields, "consent", "yes");
    let data = browser.submit(phase, action, &fields, samples).await?;
    if data.url.path() != "/data" {
        return Err(unexpected(phase, &data, "not the SP's /data"));
    }
    let answer = json(phase, &data, "data-json")?;
    if answer["rfr"] != person.rfr {
        return Err(JourneyError::CrossTalk {
            login: person.login.clone(),
            what: format!("rfr {} instead of {}", answer["rfr"], person.rfr),
        });
    }

    // 3. Logout: SP → hub → IdP → hub → SP.
    let phase = "logout";
    let out = browser.open(phase, join("/logout")?, samples).await?;
    for path in ["/api/v2/session/end", "/session/end", "/logout-callback"] {
        if !out.went_through(path) {
            return Err(unexpected(phase, &out, &format!("chain skipped {path}")));
        }
    }
    Ok(())
}
