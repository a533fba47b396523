//! Back-channel HTTP client: every server-to-server call of the four programs (hub → identity
//! provider, service provider → hub, data provider → hub) goes through [`BackChannel`].
//!
//! Browsers and containers may reach a program under different names: the browser uses the public
//! URL (`http://localhost:8000`), a container the internal one (`http://hub:8000`). Issuers,
//! `iss`/`aud` values and redirects always carry public URLs; only the transport is rewritten here,
//! just before a request leaves. Redirects are never followed (an SSRF hole for OIDC clients) and
//! every call has a timeout, so a slow peer cannot hold a journey forever.
//!
//! TLS trust (see `docs/interop.md`): Mozilla's roots (compiled in), the platform's CA store, and
//! on top of them the certificates of the PEM file named by `SSL_CERT_FILE` and of any file given
//! to [`BackChannelBuilder::ca_file`] — how a peer served with a private CA is trusted. A CA file
//! that cannot be read or holds no certificate stops the program at startup, naming the file. A
//! failed call's error names the peer's URL and the whole cause chain (unknown issuer, name
//! mismatch, expired certificate…), not just reqwest's "error sending request".
//!
//! At most [`MAX_IN_FLIGHT_PER_PEER`] calls to one peer (scheme, host and port) are in progress at
//! once; the others wait their turn, within their timeout. Without that bound, 2 000 journeys at
//! once opened close to 2 000 connections from the SP to the hub and as many to the DP: each costs
//! buffers on both sides (BENCHMARKS.md, "Memory"), and the burst of connects overflowed listen
//! backlogs. A queued call costs a few hundred bytes; a connection tens of kilobytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
    /// The peer could not be reached or answered garbage. The message carries the cause chain,
    /// so the error has no `source()`: walking it would repeat the causes.
    #[error("request to {url} failed: {}", error_chain(error))]
    Transport { url: String, error: reqwest::Error },
    /// A CA file that cannot be used, at startup.
    #[error("CA file {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The call waited its whole timeout for one of the peer's places.
    #[error(
        "request to {url} failed: the calls in flight to the peer stayed at its limit ({limit}) for {waited:?}"
    )]
    Busy {
        url: String,
        limit: usize,
        waited: Duration,
    },
}

impl BackChannelError {
    /// The peer did not answer in time (or had no place for the call in time).
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Transport { error, .. } => error.is_timeout(),
            Self::Busy { .. } => true,
            _ => false,
        }
    }

    /// What went wrong, without the URL (for callers that log the URL beside it).
    pub fn cause(&self) -> String {
        match self {
            Self::Transport { error, .. } => error_chain(error),
            Self::Busy { limit, waited, .. } => {
                format!(
                    "the calls in flight to the peer stayed at its limit ({limit}) for {waited:?}"
                )
            }
            other => other.to_string(),
        }
    }

    /// A transport error for `url`, its query left out (it may carry a token).
    fn transport(url: &str, error: reqwest::Error) -> Self {
        Self::Transport {
            url: without_query(url),
            error: error.without_url(),
        }
    }
}

/// `error` followed by its causes (`Error::source()`), `": "`-separated; a cause whose text
/// the previous message already shows is skipped. reqwest's own message for a TLS failure is
/// only "error sending request": the reason (`invalid peer certificate: UnknownIssuer`, a
/// name mismatch, an expired certificate, a refused connection…) is several causes down.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut previous = out.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !previous.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        previous = text;
        source = cause.source();
    }
    out
}

/// The value of `SSL_CERT_FILE`, the usual way to name extra CA certificates (unset or empty:
/// none).
pub fn ssl_cert_file_from_env() -> Option<PathBuf> {
    std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The certificates of the PEM file at `path`, each checked to be usable as a trust anchor.
/// Unreadable, without any `CERTIFICATE` block or with a broken one: an error naming the file.
pub fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, BackChannelError> {
    read_ca_file(path)?
        .iter()
        .map(|der| {
            reqwest::Certificate::from_der(der).map_err(|e| BackChannelError::CaFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        })
        .collect()
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, BackChannelError> {
    let fail = |reason: String| BackChannelError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let ders = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not a valid PEM file: {e}")))?;
    if ders.is_empty() {
        return Err(fail("no PEM certificate in it".into()));
    }
    for (i, der) in ders.iter().enumerate() {
        rustls::RootCertStore::empty()
            .add(der.clone())
            .map_err(|e| fail(format!("certificate #{}: {e}", i + 1)))?;
    }
    Ok(ders)
}

/// Mozilla's roots and the platform's CA store, parsed once per process (a few hundred
/// certificates: too slow to redo for every client the tests build). rustls-native-certs (like
/// OpenSSL) reads `SSL_CERT_FILE`/`SSL_CERT_DIR` *instead of* the platform store when they are
/// set; the back channel adds those files to the store, so the platform's certificate folders
/// are then read as well. Certificates rustls cannot use are skipped, as reqwest's loader does.
fn base_roots() -> &'static rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut store = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if openssl_probe::has_ssl_cert_env_vars() {
            for dir in openssl_probe::candidate_cert_dirs() {
                let found = rustls_native_certs::load_certs_from_paths(None, Some(dir));
                store.add_parsable_certificates(found.certs);
            }
        }
        store
    })
}

/// The trust anchors of the CA file at `path`, remembered while the file keeps its size and
/// modification time: cargo sets SSL_CERT_FILE to the whole system bundle (when unset) for the
/// programs and tests it runs, and the tests build hundreds of back channels.
fn ca_file_anchors(path: &Path) -> Result<rustls::RootCertStore, BackChannelError> {
    type Key = (PathBuf, u64, Option<std::time::SystemTime>);
    static PARSED: OnceLock<Mutex<HashMap<Key, rustls::RootCertStore>>> = OnceLock::new();
    let key = std::fs::metadata(path)
        .ok()
        .map(|m| (path.to_owned(), m.len(), m.modified().ok()));
    let parsed = PARSED.get_or_init(Mutex::default);
    let lock = || parsed.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(store) = key.as_ref().and_then(|k| lock().get(k).cloned()) {
        return Ok(store);
    }
    let mut store = rustls::RootCertStore::empty();
    store.add_parsable_certificates(read_ca_file(path)?);
    if let Some(key) = key {
        lock().insert(key, store.clone());
    }
    Ok(store)
}

/// The TLS settings of a back channel: [`base_roots`] plus the certificates of `ca_files`.
fn tls_config(ca_files: &[&Path]) -> Result<rustls::ClientConfig, BackChannelError> {
    let mut roots = base_roots().clone();
    for path in ca_files {
        roots.roots.extend(ca_file_anchors(path)?.roots);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| BackChannelError::Invalid(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // reqwest is built without HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Calls in progress to one peer, at most: enough to keep a two-core machine's programs busy
/// (a call on loopback takes a millisecond or two), far below the thousands of connections a
/// burst would otherwise open.
pub const MAX_IN_FLIGHT_PER_PEER: usize = 64;

/// The reqwest client every program uses for server-to-server calls.
#[derive(Debug, Clone)]
pub struct BackChannel {
    client: reqwest::Client,
    rewrites: Vec<UrlRewrite>,
    peers: Arc<PeerLimits>,
}

/// The places of each peer, by origin (`scheme://host:port`).
#[derive(Debug)]
struct PeerLimits {
    per_peer: usize,
    /// The client's timeout: a call's whole time, waiting for a place included, unless the
    /// request sets its own.
    timeout: Duration,
    places: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl PeerLimits {
    /// A place for `request`'s call, waited for within the call's timeout; the request keeps
    /// what is left of that timeout for the call itself.
    async fn place(
        &self,
        request: &mut reqwest::Request,
    ) -> Result<OwnedSemaphorePermit, BackChannelError> {
        let timeout = request.timeout().copied().unwrap_or(self.timeout);
        let started = tokio::time::Instant::now();
        let permit = self.wait_for_place(request.url(), timeout).await?;
        *request.timeout_mut() = Some(timeout.saturating_sub(started.elapsed()));
        Ok(permit)
    }

    async fn wait_for_place(
        &self,
        url: &reqwest::Url,
        waited: Duration,
    ) -> Result<OwnedSemaphorePermit, BackChannelError> {
        let origin = url.origin().ascii_serialization();
        let places = {
            let mut peers = self.places.lock().unwrap_or_else(|e| e.into_inner());
            peers
                .entry(origin)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_peer)))
                .clone()
        };
        match tokio::time::timeout(waited, places.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a closed one would be a bug, reported as busy.
            Ok(Err(_)) | Err(_) => Err(BackChannelError::Busy {
                url: without_query(url.as_str()),
                limit: self.per_peer,
                waited,
            }),
        }
    }
}

fn without_query(url: &str) -> String {
    url.split('?').next().unwrap_or_default().to_owned()
}

/// How a [`BackChannel`] is made: [`BackChannel::builder`], then [`BackChannelBuilder::build`].
#[derive(Debug, Clone)]
pub struct BackChannelBuilder {
    timeout: Duration,
    rewrites: Vec<UrlRewrite>,
    ssl_cert_file: Option<PathBuf>,
    ca_files: Vec<PathBuf>,
    max_in_flight_per_peer: usize,
}

impl BackChannelBuilder {
    /// Calls in progress to one peer at most ([`MAX_IN_FLIGHT_PER_PEER`] unless set; at least 1).
    pub fn max_in_flight_per_peer(mut self, calls: usize) -> Self {
        self.max_in_flight_per_peer = calls.max(1);
        self
    }

    /// Also trust the CA certificates of this PEM file (what a program's `--ca-file` flag
    /// gives). May be called several times; adds to the platform store and `SSL_CERT_FILE`.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// What `SSL_CERT_FILE` names: [`BackChannel::builder`] reads it from the environment;
    /// this replaces that value (tests give a path here rather than mutate the environment).
    pub fn ssl_cert_file(mut self, path: Option<PathBuf>) -> Self {
        self.ssl_cert_file = path;
        self
    }

    pub fn build(self) -> Result<BackChannel, BackChannelError> {
        let ca_files: Vec<&Path> = self
            .ssl_cert_file
            .iter()
            .chain(&self.ca_files)
            .map(PathBuf::as_path)
            .collect();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config(&ca_files)?)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            // A peer that does not answer is found out in 3 s at the default timeouts; a longer
            // timeout (a burst of thousands of journeys, docs/hub.md) also waits longer for a
            // connection that sits in a full listen backlog.
            .connect_timeout(
                self.timeout
                    .min(Duration::from_secs(3).max(self.timeout / 4)),
            )
            // Peers close idle keep-alive connections after 5 s (actix's default); a request sent
            // on one just as it closes fails, so idle connections are dropped well before that.
            .pool_idle_timeout(Duration::from_secs(3))
            .user_agent(concat!("franceconnect-demo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BackChannelError::Invalid(error_chain(&e)))?;
        Ok(BackChannel {
            client,
            rewrites: self.rewrites,
            peers: Arc::new(PeerLimits {
                per_peer: self.max_in_flight_per_peer,
                timeout: self.timeout,
                places: Mutex::new(HashMap::new()),
            }),
        })
    }
}

impl BackChannel {
    /// A client with the given timeout and public → internal rewrites, trusting the platform's
    /// CA store plus `SSL_CERT_FILE`'s certificates.
    pub fn new(timeout: Duration, rewrites: Vec<UrlRewrite>) -> Result<Self, BackChannelError> {
        Self::builder(timeout, rewrites).build()
    }

    /// Like [`BackChannel::new`], with more options (extra CA files).
    pub fn builder(timeout: Duration, rewrites: Vec<UrlRewrite>) -> BackChannelBuilder {
        BackChannelBuilder {
            timeout,
            rewrites,
            ssl_cert_file: ssl_cert_file_from_env(),
            ca_files: Vec::new(),
            max_in_flight_per_peer: MAX_IN_FLIGHT_PER_PEER,
        }
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

    /// Sends a request made by [`BackChannel::request`]; a failure names the URL (without its
    /// query) and the whole cause chain.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, BackChannelError> {
        let (_, request) = request.build_split();
        let request = request.map_err(|error| {
            let url = error.url().map(|u| u.to_string()).unwrap_or_default();
            BackChannelError::transport(&url, error)
        })?;
        self.execute(request).await
    }

    /// Sends a built request once the peer has a place for it (the place is held until the
    /// answer's head arrives; callers read the body at once).
    pub async fn execute(
        &self,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, BackChannelError> {
        Ok(self.execute_in_place(request).await?.1)
    }

    /// Sends `request` in one of its peer's places and hands the place back with the answer,
    /// for a caller that holds it while it reads the body.
    async fn execute_in_place(
        &self,
        mut request: reqwest::Request,
    ) -> Result<(OwnedSemaphorePermit, reqwest::Response), BackChannelError> {
        let url = request.url().to_string();
        let place = self.peers.place(&mut request).await?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|error| BackChannelError::transport(&url, error))?;
        Ok((place, response))
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
        let request = builder
            .build()
            .map_err(|e| BackChannelError::transport(&url, e))?;
        // The place is held until the whole body is read.
        let (_place, response) = self.execute_in_place(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| BackChannelError::transport(&url, e))?;
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

/// TLS trust over real sockets: a private CA made with rcgen, an https server on loopback.
#[cfg(test)]
mod tls_tests {
    use std::sync::Arc;

    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    struct Ca {
        issuer: CertifiedIssuer<'static, KeyPair>,
        dir: PathBuf,
    }

    impl Ca {
        /// A CA whose PEM file is written to a fresh folder under the target dir.
        fn new(name: &str) -> Self {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(DnType::CommonName, format!("{name} test CA"));
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let issuer =
                CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
            let dir = std::env::temp_dir()
                .join(format!("fc-backchannel-{name}-{}", crate::random::hex64()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("ca.pem"), issuer.pem()).unwrap();
            Self { issuer, dir }
        }

        fn pem_path(&self) -> PathBuf {
            self.dir.join("ca.pem")
        }

        /// A server certificate for `name` signed by this CA, expired when `expired`.
        fn server_cert(&self, name: &str, expired: bool) -> Served {
            let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
            if expired {
                params.not_before = rcgen::date_time_ymd(2000, 1, 1);
                params.not_after = rcgen::date_time_ymd(2001, 1, 1);
            }
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &self.issuer).unwrap();
            Served {
                chain: vec![cert.der().clone()],
                key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            }
        }
    }

    impl Drop for Ca {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    struct Served {
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    }

    /// Serves `ok` over https on a loopback port until the test ends; returns the port.
    async fn https_server(served: Served) -> u16 {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(served.chain, served.key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that rejects the certificate aborts the handshake: nothing to do.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer =
                        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
                    let _ = tls.write_all(answer.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        port
    }

    fn client(builder: BackChannelBuilder) -> BackChannel {
        builder.build().unwrap()
    }

    fn builder() -> BackChannelBuilder {
        BackChannel::builder(Duration::from_secs(5), Vec::new()).ssl_cert_file(None)
    }

    async fn get(back_channel: &BackChannel, url: &str) -> Result<String, BackChannelError> {
        let response = back_channel.send(back_channel.get(url)).await?;
        Ok(response.text().await.unwrap())
    }

    #[tokio::test]
    async fn an_unknown_ca_fails_and_the_error_names_the_cause_and_the_url() {
        let ca = Ca::new("unknown");
        let port = https_server(ca.server_cert("localhost", false)).await;
        let url = format!("https://localhost:{port}/token?secret=x");
        let error = get(&client(builder()), &url).await.unwrap_err().to_string();
        assert!(error.contains("UnknownIssuer"), "{error}");
        assert!(
            error.contains(&format!("https://localhost:{port}/token")),
            "{error}"
        );
        assert!(!error.contains("secret"), "the query is left out: {error}");
    }

    #[tokio::test]
    async fn a_trusted_ca_given_as_a_file_or_as_ssl_cert_file_is_accepted() {
        let ca = Ca::new("trusted");
        let port = https_server(ca.server_cert("localhost", false)).await;
        let url = format!("https://localhost:{port}/");
        let explicit = client(builder().ca_file(ca.pem_path()));
        assert_eq!(get(&explicit, &url).await.unwrap(), "ok");
        let from_env = client(builder().ssl_cert_file(Some(ca.pem_path())));
        assert_eq!(get(&from_env, &url).await.unwrap(), "ok");
    }

    #[tokio::test]
    async fn ssl_cert_file_and_ca_files_add_up() {
        let (first, second) = (Ca::new("first"), Ca::new("second"));
        let port_1 = https_server(first.server_cert("localhost", false)).await;
        let port_2 = https_server(second.server_cert("localhost", false)).await;
        let both = client(
            builder()
                .ssl_cert_file(Some(first.pem_path()))
                .ca_file(second.pem_path()),
        );
        for port in [port_1, port_2] {
            let url = format!("https://localhost:{port}/");
            assert_eq!(get(&both, &url).await.unwrap(), "ok");
        }
        let only_first = client(builder().ca_file(first.pem_path()));
        let error = get(&only_first, &format!("https://localhost:{port_2}/"))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    }

    #[tokio::test]
    async fn a_name_mismatch_and_an_expired_certificate_are_named() {
        let ca = Ca::new("causes");
        let trusting = client(builder().ca_file(ca.pem_path()));
        let port = https_server(ca.server_cert("idp.example", false)).await;
        let error = get(&trusting, &format!("https://localhost:{port}/"))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("not valid for name"), "{error}");
        let port = https_server(ca.server_cert("localhost", true)).await;
        let error = get(&trusting, &format!("https://localhost:{port}/"))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("expired"), "{error}");
    }

    #[test]
    fn an_unusable_ca_file_is_an_error_naming_the_file() {
        let ca = Ca::new("files");
        let missing = ca.dir.join("missing.pem");
        let not_pem = ca.dir.join("not-pem.txt");
        std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
        let key_only = ca.dir.join("key.pem");
        std::fs::write(&key_only, KeyPair::generate().unwrap().serialize_pem()).unwrap();
        let broken = ca.dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for (path, reason) in [
            (&missing, "cannot read it"),
            (&not_pem, "no PEM certificate"),
            (&key_only, "no PEM certificate"),
            (&broken, "certificate #1"),
        ] {
            for attempt in [
                builder().ca_file(path).build(),
                builder().ssl_cert_file(Some(path.clone())).build(),
            ] {
                let error = attempt.unwrap_err().to_string();
                assert!(error.contains(&path.display().to_string()), "{error}");
                assert!(error.contains(reason), "{error}");
            }
        }
    }

    #[test]
    fn the_cause_chain_skips_repeated_messages() {
        #[derive(Debug)]
        struct Layer(&'static str, Option<Box<Layer>>);
        impl std::fmt::Display for Layer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Layer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|l| l as _)
            }
        }
        let chain = Layer(
            "error sending request",
            Some(Box::new(Layer(
                "client error (Connect)",
                Some(Box::new(Layer(
                    "invalid peer certificate: UnknownIssuer",
                    Some(Box::new(Layer("UnknownIssuer", None))),
                ))),
            ))),
        );
        assert_eq!(
            error_chain(&chain),
            "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer"
        );
    }
}

#[cfg(test)]
mod peer_limit_tests {
    use super::*;

    async fn get(back_channel: &BackChannel, url: &str) -> Result<String, BackChannelError> {
        let response = back_channel.send(back_channel.get(url)).await?;
        Ok(response.text().await.unwrap())
    }

    /// A peer that answers `200 ok` to each request only once the test lets it through, and
    /// counts the requests it holds.
    struct GatedPeer {
        port: u16,
        gate: Arc<Semaphore>,
        held: tokio::sync::watch::Receiver<usize>,
        most_held: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl GatedPeer {
        async fn start() -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let gate = Arc::new(Semaphore::new(0));
            let (tx, held) = tokio::sync::watch::channel(0usize);
            let tx = Arc::new(tx);
            let most_held = Arc::new(AtomicUsize::new(0));
            let (g, m) = (gate.clone(), most_held.clone());
            tokio::spawn(async move {
                while let Ok((mut socket, _)) = listener.accept().await {
                    let (gate, tx, most_held) = (g.clone(), tx.clone(), m.clone());
                    tokio::spawn(async move {
                        let mut head = Vec::new();
                        let mut buf = [0u8; 1024];
                        loop {
                            let Ok(n) = socket.read(&mut buf).await else {
                                return;
                            };
                            if n == 0 {
                                return;
                            }
                            head.extend_from_slice(&buf[..n]);
                            if !head.windows(4).any(|w| w == b"\r\n\r\n") {
                                continue;
                            }
                            head.clear();
                            tx.send_modify(|held| *held += 1);
                            most_held.fetch_max(*tx.borrow(), Ordering::SeqCst);
                            gate.acquire().await.unwrap().forget();
                            tx.send_modify(|held| *held -= 1);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if socket.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
            Self {
                port,
                gate,
                held,
                most_held,
            }
        }

        fn url(&self) -> String {
            format!("http://127.0.0.1:{}/call", self.port)
        }

        async fn holds_at_least(&mut self, n: usize) {
            self.held.wait_for(|held| *held >= n).await.unwrap();
        }
    }

    #[tokio::test]
    async fn calls_to_one_peer_wait_for_one_of_its_places() {
        let mut peer = GatedPeer::start().await;
        let back_channel = BackChannel::builder(Duration::from_secs(30), vec![])
            .max_in_flight_per_peer(4)
            .build()
            .unwrap();
        let calls: Vec<_> = (0..12)
            .map(|_| {
                let (back_channel, url) = (back_channel.clone(), peer.url());
                tokio::spawn(async move { get(&back_channel, &url).await })
            })
            .collect();
        // One call through at a time, each once the peer holds all it can be sent.
        for done in 0..12 {
            peer.holds_at_least(4.min(12 - done)).await;
            peer.gate.add_permits(1);
        }
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap(), "ok");
        }
        let most = peer.most_held.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(most, 4, "never more than 4 calls at the peer at once");
    }

    #[tokio::test]
    async fn a_call_that_finds_no_place_within_its_timeout_says_so() {
        let mut peer = GatedPeer::start().await;
        let back_channel = BackChannel::builder(Duration::from_secs(30), vec![])
            .max_in_flight_per_peer(1)
            .build()
            .unwrap();
        let first = {
            let (back_channel, url) = (back_channel.clone(), peer.url());
            tokio::spawn(async move { get(&back_channel, &url).await })
        };
        peer.holds_at_least(1).await;
        let url = format!("{}?token=secret", peer.url());
        let second = back_channel
            .send(back_channel.get(&url).timeout(Duration::from_millis(50)))
            .await
            .unwrap_err();
        assert!(second.is_timeout());
        let text = second.to_string();
        assert!(
            text.contains("the calls in flight to the peer stayed at its limit (1)"),
            "{text}"
        );
        assert!(!text.contains("secret"), "no query in the error: {text}");
        peer.gate.add_permits(1);
        assert_eq!(first.await.unwrap().unwrap(), "ok");
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_for_a_place_comes_out_of_the_calls_timeout() {
        let limits = Arc::new(PeerLimits {
            per_peer: 1,
            timeout: Duration::from_secs(10),
            places: Mutex::new(HashMap::new()),
        });
        let url = reqwest::Url::parse("http://127.0.0.1:9/call").unwrap();
        let mut first = reqwest::Request::new(reqwest::Method::GET, url.clone());
        let held = limits.place(&mut first).await.unwrap();
        assert_eq!(first.timeout(), Some(&Duration::from_secs(10)));
        let waiting = {
            let limits = limits.clone();
            tokio::spawn(async move {
                let mut second = reqwest::Request::new(reqwest::Method::GET, url);
                let _place = limits.place(&mut second).await.unwrap();
                second.timeout().copied()
            })
        };
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(4)).await;
        drop(held);
        assert_eq!(waiting.await.unwrap(), Some(Duration::from_secs(6)));
    }
}
