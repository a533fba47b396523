//! The browser of the interop suite (`interop/run`, see `docs/interop.md`): the part of an
//! OpenID Connect journey a person clicks, so that each library under test only does the protocol
//! part. Given a URL (an authorization request, an end-session request), it follows redirects and
//! fills the pages it meets — the hub's list of identity providers (the *mire*), an identity
//! provider's login form, the hub's consent page, node-oidc-provider's logout confirmation —
//! until a redirect leads to one of the client's own URLs (`redirect_uri`,
//! `post_logout_redirect_uri`), which it returns without following: nothing listens there.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use loadgen::browser::{Browser, FetchError, Page, set};
use loadgen::stats::Samples;
use url::Url;

/// Most forms one walk submits (mire, login, consent, and a margin).
const MAX_FORMS: usize = 8;

/// Who logs in where.
#[derive(Debug, Clone)]
pub struct Person {
    /// Slug of the identity provider picked on the mire.
    pub idp: String,
    pub login: String,
    pub password: String,
}

pub struct Walker {
    browser: Browser,
    person: Person,
    stop_at: Vec<String>,
}

impl Walker {
    /// A browser with its own cookie jar that stops at redirects to `stop_at` prefixes and
    /// trusts the CA certificates of `ca_file` on top of the usual roots (https identity
    /// providers with a private CA).
    pub fn new(
        person: Person,
        stop_at: &[String],
        ca_file: Option<&Path>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout);
        if let Some(path) = ca_file {
            for cert in fc_plumbing::backchannel::load_ca_file(path)? {
                client = client.add_root_certificate(cert);
            }
        }
        let mut browser = Browser::new(client.build()?);
        for prefix in stop_at {
            browser = browser.stopping_at(prefix.clone());
        }
        Ok(Self {
            browser,
            person,
            stop_at: stop_at.to_vec(),
        })
    }

    /// Opens `start` and clicks through until a redirect to a stop prefix; returns its URL.
    pub async fn walk(&self, start: &str) -> anyhow::Result<Url> {
        let mut samples = Samples::default();
        let start = Url::parse(start).with_context(|| format!("not a URL: {start:?}"))?;
        let mut page = self
            .browser
            .open("walk", start, &mut samples)
            .await
            .map_err(fetch_error)?;
        for _ in 0..MAX_FORMS {
            if self
                .stop_at
                .iter()
                .any(|p| page.url.as_str().starts_with(p))
            {
                return Ok(page.url);
            }
            let (action, fields) = self.next_form(&page)?;
            page = self
                .browser
                .submit("walk", action, &fields, &mut samples)
                .await
                .map_err(fetch_error)?;
        }
        bail!(
            "still no redirect to the client after {MAX_FORMS} forms, at {}",
            page.url
        )
    }

    /// The form a person would submit on `page`, filled.
    fn next_form(&self, page: &Page) -> anyhow::Result<(Url, Vec<(String, String)>)> {
        let mire = format!("data-testid=\"idp-{}\"", self.person.idp);
        if let Some(form) = page.form(&mire) {
            return Ok(form);
        }
        if let Some((action, mut fields)) = page.form("id=\"login-form\"") {
            set(&mut fields, "login", &self.person.login);
            set(&mut fields, "password", &self.person.password);
            return Ok((action, fields));
        }
        // The hub's information page; `consent` is the "J'accepte" box, when it shows one.
        if let Some((action, mut fields)) = page.form("id=\"consent-form\"") {
            set(&mut fields, "consent", "yes");
            return Ok((action, fields));
        }
        // node-oidc-provider's "do you want to sign out" page: its button sits outside the form.
        if let Some((action, mut fields)) = page.form("id=\"op.logoutForm\"") {
            set(&mut fields, "logout", "yes");
            return Ok((action, fields));
        }
        bail!(
            "unexpected page {} (HTTP {}): {}",
            page.url,
            page.status,
            text_of(&page.body)
        )
    }
}

fn fetch_error(e: FetchError) -> anyhow::Error {
    match e {
        FetchError::Transport { step, detail } => anyhow::anyhow!("{step}: {detail}"),
        FetchError::Status { step, status, body } => {
            anyhow::anyhow!("{step}: HTTP {status}: {}", text_of(&body))
        }
        FetchError::Redirect { step, detail } => anyhow::anyhow!("{step}: {detail}"),
    }
}

/// The visible text of an HTML page, whitespace collapsed, cut to 400 characters: enough for
/// an error page's title, code and message.
pub fn text_of(html: &str) -> String {
    let body = html.find("<body").map_or(html, |i| &html[i..]);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    loadgen::browser::unescape(&words.join(" "))
        .chars()
        .take(400)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_text_keeps_the_words_of_the_body_only() {
        let html = "<html><head><title>t</title><style>x</style></head><body><h1>Erreur</h1>\n<p>Code : <span>Y030007</span> &amp; plus</p></body></html>";
        assert_eq!(text_of(html), "Erreur Code : Y030007 & plus");
    }
}
