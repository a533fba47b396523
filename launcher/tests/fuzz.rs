//! A bounded, seeded HTTP fuzz run across the programs' routes (both hubs): a few thousand hostile
//! requests (random methods, paths near the real ones, junk queries, bodies, headers and cookies)
//! must give no panic, no dropped connection and no 5xx — every client mistake is a clear 4xx.
//! The seed is printed; `FC_FUZZ_SEED=<n>` replays a run, `FC_FUZZ_REQUESTS=<n>` sizes it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fc_demo::{Options, launch};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const HUB: &[&str] = &[
    "/",
    "/health",
    "/api/v2/.well-known/openid-configuration",
    "/api/v2/jwks",
    "/api/v2/authorize",
    "/api/v2/interaction/x",
    "/api/v2/interaction/x/consent",
    "/api/v2/redirect-to-idp",
    "/api/v2/redirect-to-sp-with-error",
    "/api/v2/oidc-callback",
    "/api/v2/login",
    "/api/v2/token",
    "/api/v2/token/revocation",
    "/api/v2/userinfo",
    "/api/v2/session/end",
    "/api/v2/client/logout-callback",
    "/api/v2/checktoken",
    "/api/v1/authorize",
    "/api/v1/token",
    "/api/v1/userinfo",
    "/api/v1/logout",
    "/api/v1/checktoken",
];
const SP: &[&str] = &[
    "/",
    "/health",
    "/login",
    "/data/login",
    "/options",
    "/oidc-callback",
    "/me",
    "/data",
    "/journal",
    "/logout",
    "/logout-callback",
];
const IDP: &[&str] = &[
    "/",
    "/health",
    "/.well-known/openid-configuration",
    "/jwks",
    "/authorize",
    "/login",
    "/token",
    "/userinfo",
    "/session/end",
    "/users",
];
const DP: &[&str] = &[
    "/",
    "/health",
    "/situations/ir/assiettes/annrev/2023",
    "/api/dgfip",
    "/exchanges/x",
];
const NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "acr_values",
    "prompt",
    "claims",
    "idp_hint",
    "code",
    "error",
    "iss",
    "id_token_hint",
    "post_logout_redirect_uri",
    "grant_type",
    "client_secret",
    "token",
    "csrfToken",
    "providerUid",
    "login",
    "password",
    "pending",
    "code_verifier",
    "client_assertion",
    "client_assertion_type",
];

fn junk(rng: &mut StdRng) -> String {
    match rng.gen_range(0..10) {
        0 => String::new(),
        1 => "x".repeat(rng.gen_range(1..20_000)),
        2 => "é🙂\u{0}\u{202e}<script>alert(1)</script>".into(),
        3 => "../../../../etc/passwd".into(),
        4 => "%00%ff%fe%2e%2e%2f".into(),
        5 => r#"{"id_token":{"amr":{"essential":true}},"x":[1,2,{"y":null}]}"#.into(),
        6 => "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".into(),
        7 => "openid profile email birth dgfip_rfr eidas1 eidas3".into(),
        8 => (0..rng.gen_range(1..64))
            .map(|_| rng.gen_range(0x20u8..0x7f) as char)
            .collect(),
        _ => rng.gen_range(0..u64::MAX).to_string(),
    }
}

fn query(rng: &mut StdRng) -> String {
    let n = rng.gen_range(0..8);
    let pairs: Vec<(String, String)> = (0..n)
        .map(|_| {
            let name = if rng.gen_bool(0.9) {
                NAMES[rng.gen_range(0..NAMES.len())].to_owned()
            } else {
                junk(rng)
            };
            (name, junk(rng))
        })
        .collect();
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn path(rng: &mut StdRng, routes: &[&str]) -> String {
    let base = routes[rng.gen_range(0..routes.len())];
    match rng.gen_range(0..6) {
        0 => format!(
            "{base}/{}",
            url::form_urlencoded::byte_serialize(junk(rng).as_bytes()).collect::<String>()
        ),
        1 => format!("{base}//x/..%2f"),
        _ => base.to_owned(),
    }
}

async fn one(
    client: &reqwest::Client,
    rng: &mut StdRng,
    base: &str,
    routes: &[&str],
) -> (String, u16) {
    let method = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"][rng.gen_range(0..7)];
    let target = format!("{base}{}?{}", path(rng, routes), query(rng));
    let mut request = client.request(method.parse().unwrap(), &target);
    if rng.gen_bool(0.5) {
        let (content_type, body) = match rng.gen_range(0..4) {
            0 => ("application/x-www-form-urlencoded", query(rng).into_bytes()),
            1 => (
                "application/json",
                format!("{{\"token\":\"{}\"}}", junk(rng)).into_bytes(),
            ),
            2 => ("text/plain", junk(rng).into_bytes()),
            _ => (
                "application/octet-stream",
                (0..rng.gen_range(0..4096)).map(|_| rng.r#gen()).collect(),
            ),
        };
        request = request.header("content-type", content_type).body(body);
    }
    if rng.gen_bool(0.3) {
        let value = match rng.gen_range(0..3) {
            0 => format!("Bearer {}", junk(rng)),
            1 => format!("Basic {}", junk(rng)),
            _ => junk(rng),
        };
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&value) {
            request = request.header("authorization", value);
        }
    }
    if rng.gen_bool(0.3) {
        let cookie = format!(
            "fc_hub_session={0}; sp_session={0}; idp_session={0}",
            junk(rng).replace([';', '\n', '\r'], "")
        );
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&cookie) {
            request = request.header("cookie", value);
        }
    }
    let label = format!("{method} {}", target.chars().take(160).collect::<String>());
    match request.send().await {
        Ok(response) => (label, response.status().as_u16()),
        // A request the client itself cannot build never reached a server.
        Err(e) if e.is_builder() => (label, 200),
        Err(e) => (format!("{label}: {}", e.without_url()), 0),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_hostile_requests_give_no_panic_and_no_5xx() {
    let seed: u64 = std::env::var("FC_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen());
    let total: usize = std::env::var("FC_FUZZ_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    println!("fuzz seed {seed} ({total} requests): FC_FUZZ_SEED={seed} replays it");
    let options = Options::on_free_ports();
    let demo = launch(&options).await.expect("the four programs start");
    let targets = [
        (demo.hub_url.clone(), HUB),
        (demo.hub_plus_url.clone(), HUB),
        (demo.sp_url.clone(), SP),
        (demo.idp_url.clone(), IDP),
        (demo.dp_url.clone(), DP),
    ];
    let handles = demo.spawn();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();

    let workers = 8;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (client, targets) = (client.clone(), targets.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_add(w));
            let mut failures = Vec::new();
            for _ in 0..total / workers as usize {
                let (base, routes) = &targets[rng.gen_range(0..targets.len())];
                let (label, status) = one(&client, &mut rng, base, routes).await;
                if status == 0 || status >= 500 {
                    failures.push(format!("{status} {label}"));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    for h in handles {
        h.stop(false).await;
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} requests failed, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
