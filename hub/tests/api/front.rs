//! A round-robin front for replica tests: what a load balancer without stickiness does. Each
//! request goes to the next hub in turn, method, path, query, headers and body as they came, and
//! the answer comes back as it left the hub (status, headers — every `Set-Cookie`, `Location` —
//! and body); only hop-by-hop headers (RFC 9110 §7.6.1) stay on their own hop. It remembers
//! which hub answered what, so tests can check the requests really alternated.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request the front passed on: to which hub (index in the upstream list), what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub replica: usize,
    pub method: String,
    pub path: String,
}

#[derive(Default)]
struct Shared {
    upstreams: Mutex<Vec<String>>,
    next: AtomicUsize,
    served: Mutex<Vec<Served>>,
}

pub struct Front {
    pub url: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

impl Front {
    /// Starts the front on a free loopback port; it has no upstream until [`Front::set_upstreams`].
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let shared = Arc::new(Shared::default());
        let app_shared = shared.clone();
        let server = HttpServer::new(move || {
            // One client per worker: its connections live on the worker's own runtime.
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            App::new()
                .app_data(web::Data::from(app_shared.clone()))
                .app_data(web::Data::new(client))
                .app_data(web::PayloadConfig::default().limit(1 << 20))
                .default_service(web::to(forward))
        })
        .workers(2)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            shared,
            handle,
        }
    }

    /// The hubs (base URLs) requests go to, in turn.
    pub fn set_upstreams(&self, upstreams: Vec<String>) {
        *self.shared.upstreams.lock().unwrap() = upstreams;
    }

    /// What was passed on so far, in order.
    pub fn served(&self) -> Vec<Served> {
        self.shared.served.lock().unwrap().clone()
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.contains(&name)
}

async fn forward(
    request: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
    client: web::Data<reqwest::Client>,
) -> HttpResponse {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let (replica, upstream) = {
        let upstreams = shared.upstreams.lock().unwrap();
        let replica = shared.next.fetch_add(1, Ordering::SeqCst) % upstreams.len();
        (replica, upstreams[replica].clone())
    };
    shared.served.lock().unwrap().push(Served {
        replica,
        method: request.method().to_string(),
        path: path.clone(),
    });
    // actix and reqwest use different `http` crate versions: names and bytes cross, not types.
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes()).unwrap();
    let mut out = client.request(method, format!("{upstream}{path}"));
    for (name, value) in request.headers() {
        if !hop_by_hop(name.as_str()) {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = match out.body(body).send().await {
        Ok(answer) => answer,
        Err(e) => return HttpResponse::BadGateway().body(format!("front → {upstream}{path}: {e}")),
    };
    let mut back = HttpResponse::build(StatusCode::from_u16(answer.status().as_u16()).unwrap());
    for (name, value) in answer.headers() {
        // The body is passed whole, so its length is the front's to state.
        if !hop_by_hop(name.as_str()) && name.as_str() != "content-length" {
            back.append_header((name.as_str(), value.as_bytes()));
        }
    }
    match answer.bytes().await {
        Ok(body) => back.body(body),
        Err(e) => HttpResponse::BadGateway().body(format!("front ← {upstream}{path}: {e}")),
    }
}
