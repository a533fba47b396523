//! Test support (feature `testing`): a tiny "browser" for flow tests — one cookie jar, no
//! automatic redirects (each hop is recorded so tests can assert it), and just enough HTML
//! reading to submit the forms the pages show. Panics are the point here: it is only used by tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::redirect::Policy;

pub struct Browser {
    client: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    /// Redirects to URLs starting with one of these are recorded but not followed (status 0):
    /// for peers that do not exist in a test.
    stop_at: Vec<String>,
}

/// One step of a redirect chain.
#[derive(Debug, Clone)]
pub struct Hop {
    pub url: String,
    pub status: u16,
}

pub struct Page {
    pub url: String,
    pub status: u16,
    pub body: String,
    pub hops: Vec<Hop>,
}

impl Browser {
    pub fn new() -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            // The servers close idle keep-alive connections after 5 s; a request sent on one as
            // it closes fails, which a loaded machine makes likely: drop idle ones well before.
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap();
        Self {
            client,
            jar,
            stop_at: Vec::new(),
        }
    }

    /// A browser that does not follow redirects to `prefix`.
    pub fn stopping_at(prefix: &str) -> Self {
        let mut b = Self::new();
        b.stop_at.push(prefix.to_owned());
        b
    }

    /// The `Cookie` header this browser would send to `url` (empty when none).
    pub fn cookies(&self, url: &str) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&reqwest::Url::parse(url).unwrap())
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// GET `url` and follow redirects (at most 15), recording every hop.
    pub async fn open(&self, url: &str) -> Page {
        let response = self
            .client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.follow(url, response).await
    }

    /// POST a form and follow redirects.
    pub async fn submit(&self, url: &str, fields: &[(String, String)]) -> Page {
        let response = self
            .client
            .post(url)
            .form(fields)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        self.follow(url, response).await
    }

    async fn follow(&self, first: &str, mut response: reqwest::Response) -> Page {
        let mut url = first.to_owned();
        let mut hops = vec![Hop {
            url: url.clone(),
            status: response.status().as_u16(),
        }];
        for _ in 0..15 {
            if !response.status().is_redirection() {
                break;
            }
            let location = response
                .headers()
                .get("location")
                .expect("a redirect has a Location")
                .to_str()
                .unwrap();
            url = reqwest::Url::parse(&url)
                .unwrap()
                .join(location)
                .unwrap()
                .to_string();
            if self.stop_at.iter().any(|p| url.starts_with(p.as_str())) {
                hops.push(Hop {
                    url: url.clone(),
                    status: 0,
                });
                return Page {
                    url,
                    status: 0,
                    body: String::new(),
                    hops,
                };
            }
            response = self
                .client
                .get(&url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {url}: {e}"));
            hops.push(Hop {
                url: url.clone(),
                status: response.status().as_u16(),
            });
        }
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        Page {
            url,
            status,
            body,
            hops,
        }
    }
}

impl Page {
    /// The form that contains `marker` (an id, a data-testid…): its absolute action and the
    /// values of its `<input>` fields.
    pub fn form(&self, marker: &str) -> (String, Vec<(String, String)>) {
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<form") {
            let end = rest[start..]
                .find("</form>")
                .map(|e| start + e)
                .unwrap_or(rest.len());
            let form = &rest[start..end];
            if form.contains(marker) {
                let tag = &form[..form.find('>').unwrap()];
                let action = attr(tag, "action").unwrap_or_default();
                let action = reqwest::Url::parse(&self.url)
                    .unwrap()
                    .join(&action)
                    .unwrap()
                    .to_string();
                let mut fields = Vec::new();
                let mut inputs = form;
                while let Some(i) = inputs.find("<input") {
                    let tag_end = inputs[i..].find('>').map(|e| i + e).unwrap();
                    let tag = &inputs[i..tag_end];
                    if let Some(name) = attr(tag, "name") {
                        let kind = attr(tag, "type").unwrap_or_default();
                        if kind != "checkbox" && kind != "submit" {
                            fields.push((name, attr(tag, "value").unwrap_or_default()));
                        }
                    }
                    inputs = &inputs[tag_end..];
                }
                // A <select> sends its selected option (or its first one), as a browser would.
                let mut selects = form;
                while let Some(i) = selects.find("<select") {
                    let end = selects[i..]
                        .find("</select>")
                        .map(|e| i + e)
                        .unwrap_or(selects.len());
                    let select = &selects[i..end];
                    let tag = &select[..select.find('>').unwrap_or(select.len())];
                    if let Some(name) = attr(tag, "name") {
                        let options: Vec<&str> = select.split("<option").skip(1).collect();
                        let chosen = options
                            .iter()
                            .find(|o| o.split('>').next().unwrap_or("").contains("selected"))
                            .or(options.first());
                        if let Some(option) = chosen {
                            let value = attr(option.split('>').next().unwrap_or(""), "value")
                                .unwrap_or_default();
                            fields.push((name, value));
                        }
                    }
                    selects = &selects[end..];
                }
                return (action, fields);
            }
            rest = &rest[end..];
        }
        panic!("no form with {marker:?} on {}:\n{}", self.url, self.body);
    }

    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "{needle:?} not on {} (status {}):\n{}",
            self.url,
            self.status,
            self.body
        );
    }

    /// The text of the element with `id` (up to its first closing tag), entities decoded.
    pub fn element_text(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no #{id} on {}:\n{}", self.url, self.body));
        let open_end = start + self.body[start..].find('>').unwrap() + 1;
        let close = open_end + self.body[open_end..].find("</").unwrap();
        unescape(&self.body[open_end..close])
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

pub fn unescape(s: &str) -> String {
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

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}
