//! One simulated browser (the README's journey, seen from the user's side): its own cookie jar, no
//! automatic redirects (each hop is a timed request of its own), and just enough HTML reading to
//! submit the forms the pages show.
//!
//! All browsers share one `reqwest::Client`, hence one connection pool: with a client per browser,
//! 10 000 browsers would mean 10 000 pools, TLS-less but still one socket set each, and the load
//! generator would spend its time opening connections instead of driving journeys. Cookies stay
//! per browser because the jar is ours, not the client's: we send `Cookie` and store `Set-Cookie`
//! ourselves. Cookies ignore ports, so one jar covers the four programs on `localhost`.

use std::time::{Duration, Instant};

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use url::Url;

use crate::stats::Samples;

/// Longest redirect chain followed (the logout chain has four hops).
const MAX_REDIRECTS: usize = 15;

/// Idle connections kept per program (four programs: ≈ 8 000 descriptors at most, beside
/// one in use per browser).
const IDLE_PER_HOST: usize = 2048;

/// The client shared by every browser.
pub fn shared_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        // Enough idle connections for 2 048 browsers to keep their own to each program; more
        // would run a 10 000-browser burst out of file descriptors (idle connections to the
        // SP pile up while everyone is at the hub), failing connects in the load generator.
        .pool_max_idle_per_host(IDLE_PER_HOST)
        // The programs close idle keep-alive connections after 5 s (actix's default): reusing
        // one just as it closes fails the request, so forget idle connections well before that.
        .pool_idle_timeout(std::time::Duration::from_secs(3))
        .build()
}

/// What went wrong on one request: the caller turns it into a journey error.
#[derive(Debug)]
pub enum FetchError {
    /// Connection refused or reset, timeout, unreadable body.
    Transport { step: String, detail: String },
    /// A 4xx or 5xx answer, with the page it came with (an error page names its code).
    Status {
        step: String,
        status: u16,
        body: String,
    },
    /// A redirect without a usable `Location`, or more than [`MAX_REDIRECTS`] of them.
    Redirect { step: String, detail: String },
}

/// The page a request chain ended on.
pub struct Page {
    pub url: Url,
    pub status: u16,
    pub body: String,
    /// Every URL requested, the first one included.
    pub hops: Vec<Url>,
}

pub struct Browser {
    client: reqwest::Client,
    jar: Jar,
    /// Redirects to URLs starting with one of these end the chain unfollowed.
    stop_at: Vec<String>,
}

impl Browser {
    pub fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            jar: Jar::default(),
            stop_at: Vec::new(),
        }
    }

    /// A redirect to a URL starting with `prefix` is not followed: the chain ends on a page
    /// whose `url` is that URL, with the redirect's status and no body. For a client's
    /// `redirect_uri` where nothing listens (the interop suite's OpenID Connect libraries).
    pub fn stopping_at(mut self, prefix: impl Into<String>) -> Self {
        self.stop_at.push(prefix.into());
        self
    }

    /// Forgets every cookie: after a failed journey, the next one starts clean.
    pub fn clear_cookies(&mut self) {
        self.jar = Jar::default();
    }

    /// GET `url` and follow redirects, timing each request under `phase`.
    pub async fn open(
        &self,
        phase: &str,
        url: Url,
        samples: &mut Samples,
    ) -> Result<Page, FetchError> {
        self.chain(phase, url, None, samples).await
    }

    /// POST a form and follow redirects.
    pub async fn submit(
        &self,
        phase: &str,
        url: Url,
        fields: &[(String, String)],
        samples: &mut Samples,
    ) -> Result<Page, FetchError> {
        self.chain(phase, url, Some(fields), samples).await
    }

    async fn chain(
        &self,
        phase: &str,
        first: Url,
        mut form: Option<&[(String, String)]>,
        samples: &mut Samples,
    ) -> Result<Page, FetchError> {
        let mut url = first;
        let mut hops = Vec::new();
        for _ in 0..=MAX_REDIRECTS {
            let step = step_name(phase, form.is_some(), &url);
            hops.push(url.clone());
            let started = Instant::now();
            let (status, location, body) = self.request(&step, &url, form).await?;
            samples.record(&step, started.elapsed());
            form = None;
            if (300..400).contains(&status) {
                let location = location.ok_or_else(|| FetchError::Redirect {
                    step: step.clone(),
                    detail: format!("{status} without Location"),
                })?;
                url = url.join(&location).map_err(|e| FetchError::Redirect {
                    step: step.clone(),
                    detail: format!("bad Location: {e}"),
                })?;
                if self.stop_at.iter().any(|p| url.as_str().starts_with(p)) {
                    hops.push(url.clone());
                    return Ok(Page {
                        url,
                        status,
                        body: String::new(),
                        hops,
                    });
                }
                continue;
            }
            if status >= 400 {
                return Err(FetchError::Status { step, status, body });
            }
            return Ok(Page {
                url,
                status,
                body,
                hops,
            });
        }
        Err(FetchError::Redirect {
            step: step_name(phase, false, &url),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// A client's back-channel call (token, userinfo), timed as `"{phase} {label}"`: a form
    /// POST or a GET, with a bearer token if given, answering JSON.
    pub async fn json(
        &self,
        phase: &str,
        label: &str,
        url: Url,
        form: Option<&[(&str, &str)]>,
        bearer: Option<&str>,
        samples: &mut Samples,
    ) -> Result<serde_json::Value, FetchError> {
        let step = format!("{phase} {label}");
        let transport = |e: reqwest::Error| FetchError::Transport {
            step: step.clone(),
            detail: transport_kind(&e),
        };
        let mut request = match form {
            Some(fields) => self.client.post(url).form(fields),
            None => self.client.get(url),
        };
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let started = Instant::now();
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(transport)?;
        samples.record(&step, started.elapsed());
        if status >= 300 {
            return Err(FetchError::Status { step, status, body });
        }
        serde_json::from_str(&body).map_err(|e| FetchError::Transport {
            step,
            detail: format!("not JSON: {e}"),
        })
    }

    /// One request, its body read to the end so the connection goes back to the pool.
    async fn request(
        &self,
        step: &str,
        url: &Url,
        form: Option<&[(String, String)]>,
    ) -> Result<(u16, Option<String>, String), FetchError> {
        let transport = |e: reqwest::Error| FetchError::Transport {
            step: step.to_owned(),
            detail: transport_kind(&e),
        };
        let mut request = match form {
            Some(fields) => self.client.post(url.clone()).form(fields),
            None => self.client.get(url.clone()),
        };
        if let Some(cookies) = self.jar.cookies(url) {
            request = request.header(COOKIE, cookies);
        }
        let response = request.send().await.map_err(transport)?;
        let mut set_cookies = response.headers().get_all(SET_COOKIE).iter();
        self.jar.set_cookies(&mut set_cookies, url);
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(transport)?;
        Ok((status, location, body))
    }
}

/// Groups reqwest's errors into a few kinds, so the error table stays short.
fn transport_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else if e.is_body() || e.is_decode() {
        "body".into()
    } else {
        "request".into()
    }
}

/// `"{phase} {METHOD} {program} {path}"`, with the interaction uid replaced, so the same request
/// of every journey lands in the same latency series. The program follows from the path alone:
/// only the IdP has `POST /login`, `/authorize` and `/session/end` outside `/api/v2`.
pub fn step_name(phase: &str, post: bool, url: &Url) -> String {
    let path = url.path();
    let method = if post { "POST" } else { "GET" };
    let program = if phase == "idp-flow" {
        "idp"
    } else if path.starts_with("/api/v2/") {
        "hub"
    } else if (post && path == "/login") || path == "/authorize" || path == "/session/end" {
        "idp"
    } else {
        "sp"
    };
    let path = match path.strip_prefix("/api/v2/interaction/") {
        Some(rest) if rest.ends_with("/consent") => "/api/v2/interaction/{uid}/consent",
        Some(_) => "/api/v2/interaction/{uid}",
        // node-oidc-provider's interaction and resume paths (--idp-flow).
        None if path.starts_with("/interaction/") && path.ends_with("/login") => {
            "/interaction/{uid}/login"
        }
        None if path.starts_with("/interaction/") => "/interaction/{uid}",
        None if path.starts_with("/auth/") => "/auth/{uid}",
        None => path,
    };
    format!("{phase} {method} {program} {path}")
}

impl Page {
    /// The form that contains `marker`: its absolute action and the values of its `<input>`
    /// fields (checkboxes and submit buttons left out, as a browser does when they are not
    /// clicked) and of its `<select>`s (the selected option, or the first).
    pub fn form(&self, marker: &str) -> Option<(Url, Vec<(String, String)>)> {
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<form") {
            let end = rest[start..]
                .find("</form>")
                .map_or(rest.len(), |e| start + e);
            let form = &rest[start..end];
            if form.contains(marker) {
                let tag = &form[..form.find('>')?];
                let action = self
                    .url
                    .join(&attr(tag, "action").unwrap_or_default())
                    .ok()?;
                return Some((action, fields(form)));
            }
            rest = &rest[end..];
        }
        None
    }

    /// The text of the element with `id` (up to its first closing tag), entities decoded.
    pub fn element_text(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let start = self.body.find(&marker)?;
        let open_end = start + self.body[start..].find('>')? + 1;
        let close = open_end + self.body[open_end..].find("</")?;
        Some(unescape(&self.body[open_end..close]))
    }

    pub fn went_through(&self, path: &str) -> bool {
        self.hops.iter().any(|u| u.path() == path)
    }
}

fn fields(form: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut inputs = form;
    while let Some(i) = inputs.find("<input") {
        let Some(tag_end) = inputs[i..].find('>').map(|e| i + e) else {
            break;
        };
        let tag = &inputs[i..tag_end];
        if let Some(name) = attr(tag, "name") {
            let kind = attr(tag, "type").unwrap_or_default();
            if kind != "checkbox" && kind != "submit" {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
        }
        inputs = &inputs[tag_end..];
    }
    let mut selects = form;
    while let Some(i) = selects.find("<select") {
        let end = selects[i..]
            .find("</select>")
            .map_or(selects.len(), |e| i + e);
        let select = &selects[i..end];
        let tag = &select[..select.find('>').unwrap_or(select.len())];
        if let Some(name) = attr(tag, "name") {
            let options: Vec<&str> = select.split("<option").skip(1).collect();
            let chosen = options
                .iter()
                .find(|o| o.split('>').next().unwrap_or("").contains("selected"))
                .or(options.first());
            if let Some(option) = chosen {
                let value =
                    attr(option.split('>').next().unwrap_or(""), "value").unwrap_or_default();
                fields.push((name, value));
            }
        }
        selects = &selects[end..];
    }
    fields
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// Decodes the entities the programs' templates (Tera autoescape) produce.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Sets (or adds) a form field.
pub fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.retain(|(n, _)| n != name);
    fields.push((name.to_owned(), value.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn steps_are_named_by_program_and_path_without_the_uid() {
        let hub = "http://localhost:8000/api/v2/interaction/abc123/consent";
        assert_eq!(
            step_name("login", false, &url(hub)),
            "login GET hub /api/v2/interaction/{uid}/consent"
        );
        assert_eq!(
            step_name("login", true, &url("http://localhost:8001/login")),
            "login POST idp /login"
        );
        assert_eq!(
            step_name("login", false, &url("http://localhost:3000/login")),
            "login GET sp /login"
        );
        assert_eq!(
            step_name(
                "logout",
                false,
                &url("http://localhost:8001/session/end?x=1")
            ),
            "logout GET idp /session/end"
        );
    }

    #[test]
    fn a_form_gives_its_action_inputs_and_selected_option_but_not_checkboxes() {
        let page = Page {
            url: url("http://localhost:8001/authorize?x"),
            status: 200,
            body: concat!(
                "<form action=\"/other\"><input name=\"no\" value=\"1\"></form>",
                "<form id=\"login-form\" action=\"/login\">",
                "<input type=\"hidden\" name=\"uid\" value=\"a&amp;b\">",
                "<input type=\"checkbox\" name=\"remember\" value=\"yes\">",
                "<select name=\"acr\"><option value=\"eidas1\">1</option>",
                "<option value=\"eidas2\" selected>2</option></select></form>",
                "<pre id=\"json\">{&quot;a&quot;:1}</pre>"
            )
            .into(),
            hops: vec![],
        };
        let (action, fields) = page.form("id=\"login-form\"").unwrap();
        assert_eq!(action.as_str(), "http://localhost:8001/login");
        assert_eq!(
            fields,
            [
                ("uid".into(), "a&b".into()),
                ("acr".into(), "eidas2".into())
            ]
        );
        assert!(page.form("id=\"missing\"").is_none());
        assert_eq!(page.element_text("json").unwrap(), "{\"a\":1}");
        assert!(page.element_text("nothing").is_none());
    }
}
