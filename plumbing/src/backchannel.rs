//! Back-channel HTTP client (SPEC §2).
//!
//! Browsers and containers may reach a program under different names: the browser uses the public
//! URL (`http://localhost:8000`), a container the internal one (`http://hub:8000`). Issuers,
//! `iss`/`aud` values and redirects always carry public URLs; only the transport is rewritten here,
//! just before a request leaves. Redirects are never followed (an SSRF hole for OIDC clients) and
//! every call has a timeout, so a slow peer cannot hold a journey forever.

use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse};

/// One peer: requests whose URL starts with `public` are sent to `internal` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlRewrite {
    pub public: String,
    pub internal: String,
}

impl UrlRewrite {
    pub fn new(public: impl Into<String>, internal: impl Into<String>) -> Self {
        Self {
            public: public.into().trim_end_matches('/').to_owned(),
            internal: internal.into().trim_end_matches('/').to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackChannelError {
    #[error("request to {url} failed: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// The reqwest client every program uses for server-to-server calls.
#[derive(Debug, Clone)]
pub struct BackChannel {
    client: reqwest::Client,
    rewrites: Vec<UrlRewrite>,
}

impl BackChannel {
    /// A client with the given timeout and public → internal rewrites.
    pub fn new(timeout: Duration, rewrites: Vec<UrlRewrite>) -> Result<Self, BackChannelError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            // Peers close idle keep-alive connections after 5 s (actix's default); a request sent
            // on one just as it closes fails, so idle connections are dropped well before that.
            .pool_idle_timeout(Duration::from_secs(3))
            .user_agent(concat!("franceconnect-demo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BackChannelError::Invalid(e.to_string()))?;
        Ok(Self { client, rewrites })
    }

    /// The URL a request for `public_url` is really sent to.
    pub fn rewrite(&self, public_url: &str) -> String {
        for r in &self.rewrites {
            if r.public != r.internal
                && let Some(rest) = public_url.strip_prefix(r.public.as_str())
                && (rest.is_empty() || rest.starts_with(['/', '?', '#']))
            {
                return format!("{}{}", r.internal, rest);
            }
        }
        public_url.to_owned()
    }

    /// A request builder for `public_url`, already rewritten.
    pub fn request(&self, method: reqwest::Method, public_url: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.rewrite(public_url))
    }

    pub fn get(&self, public_url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, public_url)
    }

    pub fn post(&self, public_url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, public_url)
    }

    /// The `openidconnect` HTTP client: use as `let http = |r| back_channel.send_oidc(r);`
    /// and pass `&http` to `request_async`.
    pub async fn send_oidc(&self, request: HttpRequest) -> Result<HttpResponse, BackChannelError> {
        let (parts, body) = request.into_parts();
        let url = self.rewrite(&parts.uri.to_string());
        let mut builder = self.client.request(parts.method, &url).body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|source| BackChannelError::Transport {
                url: url.clone(),
                source,
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| BackChannelError::Transport { url, source })?;
        let mut out = HttpResponse::new(bytes.to_vec());
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> BackChannel {
        BackChannel::new(
            Duration::from_secs(1),
            vec![UrlRewrite::new("http://localhost:8000", "http://hub:8000")],
        )
        .unwrap()
    }

    #[test]
    fn rewrites_only_urls_under_a_peer_public_url() {
        let c = client();
        assert_eq!(
            c.rewrite("http://localhost:8000/api/v2/token"),
            "http://hub:8000/api/v2/token"
        );
        assert_eq!(c.rewrite("http://localhost:8000"), "http://hub:8000");
        assert_eq!(
            c.rewrite("http://localhost:80001/x"),
            "http://localhost:80001/x"
        );
        assert_eq!(c.rewrite("http://other/x"), "http://other/x");
    }
}
