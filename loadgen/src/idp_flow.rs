//! `--idp-flow ISSUER`: the identity provider alone, driven as the hub drives it (OpenID Connect
//! Core §3.1, authorization code flow): authorize → the provider's login form → code at the
//! `redirect_uri` → token (`client_secret_post`) → userinfo. The same code measures our IdP and
//! node-oidc-provider (`loadgen/bench/node-idp.mjs`), so their CPU per flow compare side by side
//! (`BENCHMARKS.md`, "Our IdP against node-oidc-provider"). Endpoints come from the provider's
//! discovery document; the flow checks that userinfo names the person who logged in.

use serde_json::Value;
use url::Url;

use crate::browser::{Browser, set};
use crate::journey::JourneyError;
use crate::people::Person;
use crate::stats::Samples;

/// The provider's endpoints and the client that drives it.
#[derive(Debug, Clone)]
pub struct IdpFlow {
    pub authorize: Url,
    pub token: Url,
    pub userinfo: Url,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// Everyone logs in as this person (`login`, `password`) instead of their own.
    pub person: Option<(String, String)>,
}

const PHASE: &str = "idp-flow";

impl IdpFlow {
    /// Reads the endpoints from `{issuer}/.well-known/openid-configuration`.
    pub async fn discover(
        client: &reqwest::Client,
        issuer: &str,
        config: &crate::Config,
    ) -> anyhow::Result<Self> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc: Value = client.get(&url).send().await?.json().await?;
        let endpoint = |name: &str| -> anyhow::Result<Url> {
            let text = doc[name]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("{url}: no {name}"))?;
            Ok(Url::parse(text)?)
        };
        let person = config
            .idp_person
            .as_deref()
            .map(|p| {
                p.split_once(':')
                    .map(|(l, pw)| (l.to_owned(), pw.to_owned()))
                    .ok_or_else(|| anyhow::anyhow!("--idp-person: expected LOGIN:PASSWORD"))
            })
            .transpose()?;
        Ok(Self {
            authorize: endpoint("authorization_endpoint")?,
            token: endpoint("token_endpoint")?,
            userinfo: endpoint("userinfo_endpoint")?,
            client_id: config.idp_client_id.clone(),
            client_secret: config.idp_client_secret.clone(),
            redirect_uri: config.idp_redirect_uri.clone(),
            person,
        })
    }

    /// A browser that stops at the client's `redirect_uri` (nothing listens there).
    pub fn browser(&self, client: reqwest::Client) -> Browser {
        Browser::new(client).stopping_at(self.redirect_uri.clone())
    }

    /// One code flow for `person` (or the fixed person), checked end to end.
    pub async fn run(
        &self,
        browser: &Browser,
        person: &Person,
        samples: &mut Samples,
    ) -> Result<(), JourneyError> {
        let (login, password) = match &self.person {
            Some((l, p)) => (l.as_str(), p.as_str()),
            None => (person.login.as_str(), person.password.as_str()),
        };
        let state = fc_plumbing::random::token(16);
        let mut authorize = self.authorize.clone();
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid profile birth")
            .append_pair("state", &state)
            .append_pair("nonce", &fc_plumbing::random::token(16))
            .append_pair("acr_values", "eidas1")
            .append_pair("prompt", "login");
        let form_page = browser.open(PHASE, authorize, samples).await?;
        let (action, mut fields) =
            form_page
                .form("id=\"login-form\"")
                .ok_or_else(|| JourneyError::Page {
                    code: None,
                    phase: PHASE,
                    url: form_page.url.path().to_owned(),
                    what: "no login form".into(),
                })?;
        set(&mut fields, "login", login);
        set(&mut fields, "password", password);
        let back = browser.submit(PHASE, action, &fields, samples).await?;
        let code = back
            .url
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .filter(|_| back.url.as_str().starts_with(&self.redirect_uri))
            .ok_or_else(|| JourneyError::Page {
                code: None,
                phase: PHASE,
                url: back.url.path().to_owned(),
                what: "no code sent to the redirect_uri".into(),
            })?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        let tokens = browser
            .json(
                PHASE,
                "POST /token",
                self.token.clone(),
                Some(&form),
                None,
                samples,
            )
            .await?;
        let access_token = tokens["access_token"].as_str().unwrap_or_default();
        if access_token.is_empty() || !tokens["id_token"].is_string() {
            return Err(JourneyError::Page {
                code: None,
                phase: PHASE,
                url: self.token.path().to_owned(),
                what: "no access or ID token".into(),
            });
        }
        let claims = browser
            .json(
                PHASE,
                "GET /userinfo",
                self.userinfo.clone(),
                None,
                Some(access_token),
                samples,
            )
            .await?;
        let expected = match &self.person {
            Some(_) => None,
            None => Some(person.family_name.as_str()),
        };
        let shown = claims["family_name"].as_str().unwrap_or_default();
        if shown.is_empty() || expected.is_some_and(|e| e != shown) {
            return Err(JourneyError::CrossTalk {
                login: login.to_owned(),
                what: format!("userinfo family_name {shown:?}"),
            });
        }
        Ok(())
    }
}
