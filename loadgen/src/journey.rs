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
    /// An error answer; `code` is the error code its page shows (`id="error-code"`: the hub's
    /// `Y…` codes, the SP's French error page), if any.
    #[error("{step}: HTTP {status}{}", code.as_deref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Status {
        step: String,
        status: u16,
        code: Option<String>,
    },
    #[error("{step}: {detail}")]
    Redirect { step: String, detail: String },
    /// The chain ended on another page than the journey expects, or the page lacks a form.
    #[error("{phase}: unexpected page {url}: {what}")]
    Page {
        phase: &'static str,
        url: String,
        what: String,
        /// The error code the page shows, if it is an error page.
        code: Option<String>,
    },
    /// The SP shows someone else's identity or data.
    #[error("cross-talk for {login}: {what}")]
    CrossTalk { login: String, what: String },
}

impl JourneyError {
    pub fn kind(&self) -> String {
        match self {
            Self::Transport { step, detail } => format!("transport {detail} at {step}"),
            Self::Status {
                step,
                status,
                code: Some(code),
            } => format!("HTTP {status} at {step}, page {code}"),
            Self::Status { step, status, .. } => format!("HTTP {status} at {step}"),
            Self::Redirect { step, .. } => format!("bad redirect at {step}"),
            Self::Page {
                phase,
                what,
                code: Some(code),
                ..
            } => format!("unexpected page in {phase}: {what}, page {code}"),
            Self::Page { phase, what, .. } => format!("unexpected page in {phase}: {what}"),
            Self::CrossTalk { .. } => "cross-talk".into(),
        }
    }
}

impl From<FetchError> for JourneyError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Transport { step, detail } => Self::Transport { step, detail },
            FetchError::Status { step, status, body } => Self::Status {
                step,
                status,
                code: error_code(&body),
            },
            FetchError::Redirect { step, detail } => Self::Redirect { step, detail },
        }
    }
}

/// The code an error page shows (hub, SP and IdP pages mark it `id="error-code"`), or
/// `data-error` for the SP's data page that says in French why the data provider did not answer.
pub fn error_code(body: &str) -> Option<String> {
    let Some(start) = body.find("id=\"error-code\"") else {
        return body
            .contains("id=\"data-error\"")
            .then(|| "data-error".to_owned());
    };
    let open_end = start + body[start..].find('>')? + 1;
    let close = open_end + body[open_end..].find('<')?;
    let code = body[open_end..close].trim();
    (!code.is_empty() && code.len() <= 32).then(|| code.to_owned())
}

impl JourneyError {
    /// The error code of the page the journey ended on, if it was an error page.
    pub fn page_code(&self) -> Option<&str> {
        match self {
            Self::Status { code, .. } | Self::Page { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

fn unexpected(phase: &'static str, page: &Page, what: &str) -> JourneyError {
    JourneyError::Page {
        code: error_code(&page.body),
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

/// `path` at the SP.
fn at(sp: &Url, path: &str) -> Result<Url, JourneyError> {
    sp.join(path).map_err(|e| JourneyError::Page {
        code: None,
        phase: "login",
        url: sp.to_string(),
        what: e.to_string(),
    })
}

/// Runs one journey for `person` from the SP at `sp`.
pub async fn run(
    browser: &Browser,
    sp: &Url,
    person: &Person,
    samples: &mut Samples,
) -> Result<(), JourneyError> {
    let login_page = start_login(browser, sp, samples).await?;
    finish_login(browser, &login_page, person, samples).await?;
    data(browser, sp, person, samples).await?;
    logout(browser, sp, samples).await
}

/// Login, first half: SP → hub authorize → mire → the IdP's login page.
pub async fn start_login(
    browser: &Browser,
    sp: &Url,
    samples: &mut Samples,
) -> Result<Page, JourneyError> {
    let phase = "login";
    let mire = browser.open(phase, at(sp, "/login")?, samples).await?;
    let (action, fields) = form(
        phase,
        &mire,
        "data-testid=\"idp-identity-provider-example\"",
    )?;
    Ok(browser.submit(phase, action, &fields, samples).await?)
}

/// Login, second half: IdP login → hub callback → consent → SP callback → `/me`, which must
/// show `person`.
pub async fn finish_login(
    browser: &Browser,
    login_page: &Page,
    person: &Person,
    samples: &mut Samples,
) -> Result<(), JourneyError> {
    let phase = "login";
    let (action, mut fields) = form(phase, login_page, "id=\"login-form\"")?;
    set(&mut fields, "login", &person.login);
    set(&mut fields, "password", &person.password);
    set(&mut fields, "acr", "eidas1");
    let consent = browser.submit(phase, action, &fields, samples).await?;
    let (action, fields) = form(phase, &consent, "id=\"consent-form\"")?;
    let me = browser.submit(phase, action, &fields, samples).await?;
    check_me(&me, person)
}

/// The SP's `/me` page shows `person`'s identity.
pub fn check_me(me: &Page, person: &Person) -> Result<(), JourneyError> {
    let phase = "login";
    if me.url.path() != "/me" {
        return Err(unexpected(phase, me, "not the SP's /me"));
    }
    let userinfo = json(phase, me, "userinfo-json")?;
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
    Ok(())
}

/// Data: SSO at the hub (no mire, no IdP), consent to the DGFiP data, the DP's answer.
pub async fn data(
    browser: &Browser,
    sp: &Url,
    person: &Person,
    samples: &mut Samples,
) -> Result<(), JourneyError> {
    let phase = "data";
    let consent = browser.open(phase, at(sp, "/data/login")?, samples).await?;
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
    Ok(())
}

/// Logout: SP → hub → IdP → hub → SP.
pub async fn logout(
    browser: &Browser,
    sp: &Url,
    samples: &mut Samples,
) -> Result<(), JourneyError> {
    let phase = "logout";
    let out = browser.open(phase, at(sp, "/logout")?, samples).await?;
    for path in ["/api/v2/session/end", "/session/end", "/logout-callback"] {
        if !out.went_through(path) {
            return Err(unexpected(phase, &out, &format!("chain skipped {path}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::error_code;

    #[test]
    fn error_pages_give_their_code_and_the_data_page_its_error() {
        let hub = r#"<p>Code <span id="error-code">Y190001</span></p>"#;
        assert_eq!(error_code(hub).as_deref(), Some("Y190001"));
        let data = r#"<p id="data-error">Le fournisseur de données n'a pas répondu</p>"#;
        assert_eq!(error_code(data).as_deref(), Some("data-error"));
        assert_eq!(error_code("<p>Mes données</p>"), None);
        let empty = r#"<span id="error-code"></span>"#;
        assert_eq!(error_code(empty), None);
    }
}
