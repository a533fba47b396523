//! `fcplus_tokens WORK_DIR`: what a running FranceConnect+ hub really sends, written to files
//! for an independent JOSE library to check (`interop/jose/run`, `docs/franceconnect-plus.md`).
//!
//! For each algorithm (ECDH-ES, RSA-OAEP, RSA-OAEP-256), `WORK_DIR/recipient-{ALG}.json` holds a
//! public JWKS made by the other library. This program starts the example IdP and a FranceConnect+
//! hub on free ports, serves each JWKS as the `jwks_uri` of a service provider and of a data
//! provider registered with that algorithm, drives a whole login (mire, IdP, consent) as
//! `3_melaine`, and writes `WORK_DIR/hub-{ALG}.json`: the encrypted ID token, userinfo answer and
//! checktoken answer exactly as they came over the wire, with what they must say. The hub's
//! public keys go to `WORK_DIR/hub-jwks.json`. Any failure exits non-zero, saying why.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fc_plumbing::testing::{Browser, set};
use hub::Instance;
use serde_json::{Value, json};

const ALGS: [&str; 3] = ["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"];
const SECRET: &str = "interop-jose-secret-0000000000000000000000000000000000000000000";
const NONCE: &str = "a-nonce-long-enough-for-franceconnect-plus";

fn slug(alg: &str) -> String {
    alg.to_lowercase()
}

/// Serves `WORK_DIR/recipient-{ALG}.json` at `/{alg}.json`.
fn serve_key_sets(dir: PathBuf) -> anyhow::Result<(String, actix_web::dev::Server)> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let server = HttpServer::new(move || {
        let dir = dir.clone();
        App::new().route(
            "/{alg}.json",
            web::get().to(move |alg: web::Path<String>| {
                let path = dir.join(format!("recipient-{alg}.json"));
                async move {
                    match std::fs::read_to_string(path) {
                        Ok(body) => HttpResponse::Ok()
                            .content_type("application/json")
                            .body(body),
                        Err(_) => HttpResponse::NotFound().finish(),
                    }
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok((url, server))
}

fn registrations(keys_url: &str) -> String {
    ALGS.iter()
        .map(|alg| {
            let s = slug(alg);
            format!(
                r#"
[[service_provider]]
client_id = "interop-sp-{s}"
client_secret = "{SECRET}"
name = "interop {alg}"
entity_id = "interop-sp-{s}"
type = "public"
scopes = ["openid", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email", "rnipp_given_name", "dgfip_rfr"]
redirect_uris = ["http://interop-{s}.test/oidc-callback"]
id_token_encrypted_response_alg = "{alg}"
id_token_encrypted_response_enc = "A256GCM"
userinfo_encrypted_response_alg = "{alg}"
userinfo_encrypted_response_enc = "A256GCM"
jwks_uri = "{keys_url}/{alg}.json"

[[data_provider]]
uid = "interop-dp-{s}"
title = "interop DP {alg}"
client_id = "interop-dp-{s}"
client_secret = "{SECRET}"
scopes = ["dgfip_rfr"]
checktoken_encrypted_response_alg = "{alg}"
checktoken_encrypted_response_enc = "A256GCM"
jwks_uri = "{keys_url}/{alg}.json"
"#
            )
        })
        .collect()
}

struct Running {
    hub_url: String,
    handles: Vec<actix_web::dev::ServerHandle>,
}

async fn start(dir: &Path) -> anyhow::Result<Running> {
    let hub_listener = TcpListener::bind("127.0.0.1:0")?;
    let idp_listener = TcpListener::bind("127.0.0.1:0")?;
    let hub_url = format!("http://localhost:{}", hub_listener.local_addr()?.port());
    let idp_url = format!("http://localhost:{}", idp_listener.local_addr()?.port());
    let (keys_url, keys) = serve_key_sets(dir.to_owned())?;

    let instance = Instance::FranceConnectPlus;
    let mut config = hub::Config::local_for(instance)?;
    config.public_url = hub_url.clone();
    config
        .registry
        .add_toml(&registrations(&keys_url))
        .map_err(anyhow::Error::msg)?;
    config
        .registry
        .replace_url_prefix("http://localhost:8001", &idp_url);
    config
        .registry
        .replace_url_prefix(&instance.default_public_url(), &hub_url);
    let hub = hub::Application::build(config, hub_listener).await?;

    let mut idp_config = identity_provider_example::Config::local();
    idp_config.public_url = idp_url;
    idp_config.redirect_uris = vec![format!("{hub_url}/api/v2/oidc-callback")];
    let idp = identity_provider_example::Application::build(idp_config, idp_listener).await?;

    let handles = vec![hub.handle(), idp.handle(), keys.handle()];
    tokio::spawn(hub.run_until_stopped());
    tokio::spawn(idp.run_until_stopped());
    tokio::spawn(keys);
    Ok(Running { hub_url, handles })
}

/// One login through FranceConnect+ for the SP of `alg`, at `acr`; the answers as sent.
async fn journey(hub_url: &str, alg: &str, acr: &str) -> anyhow::Result<Value> {
    let s = slug(alg);
    let client_id = format!("interop-sp-{s}");
    let callback = format!("http://interop-{s}.test/oidc-callback");
    let authorize = fc_plumbing::web::url_with_query(
        &format!("{hub_url}/api/v2/authorize"),
        &[
            ("client_id", client_id.as_str()),
            ("redirect_uri", &callback),
            ("response_type", "code"),
            (
                "scope",
                "openid given_name family_name rnipp_given_name dgfip_rfr",
            ),
            ("state", "interop"),
            ("nonce", NONCE),
            ("acr_values", acr),
        ],
    );
    let browser = Browser::stopping_at(&format!("http://interop-{s}.test"));
    let mire = browser.open(&authorize).await;
    let (action, fields) = mire.form("data-testid=\"idp-identity-provider-example\"");
    let login = browser.submit(&action, &fields).await;
    let (action, mut fields) = login.form("id=\"login-form\"");
    set(&mut fields, "login", "3_melaine");
    set(&mut fields, "password", "123");
    let consent = browser.submit(&action, &fields).await;
    let (action, mut fields) = consent.form("id=\"consent-form\"");
    set(&mut fields, "consent", "yes");
    let back = browser.submit(&action, &fields).await;
    let code = reqwest::Url::parse(&back.url)?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no code for {alg}: {}", back.url))?;

    let client = reqwest::Client::new();
    let tokens: Value = client
        .post(format!("{hub_url}/api/v2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", &callback),
            ("client_id", &client_id),
            ("client_secret", SECRET),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let access_token = tokens["access_token"].as_str().context("no access token")?;
    let userinfo = client
        .get(format!("{hub_url}/api/v2/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let dp_client_id = format!("interop-dp-{s}");
    let checktoken = client
        .post(format!("{hub_url}/api/v2/checktoken"))
        .form(&[
            ("token", access_token),
            ("client_id", &dp_client_id),
            ("client_secret", SECRET),
        ])
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(json!({
        "alg": alg,
        "issuer": format!("{hub_url}/api/v2"),
        "client_id": client_id,
        "dp_client_id": dp_client_id,
        "nonce": NONCE,
        "acr": acr,
        "id_token": tokens["id_token"],
        "userinfo": userinfo,
        "checktoken": checktoken,
    }))
}

async fn run(dir: &Path) -> anyhow::Result<()> {
    for alg in ALGS {
        let path = dir.join(format!("recipient-{alg}.json"));
        if !path.exists() {
            bail!("{} is missing", path.display());
        }
    }
    let running = start(dir).await?;
    let jwks: Value = reqwest::get(format!("{}/api/v2/jwks", running.hub_url))
        .await?
        .json()
        .await?;
    std::fs::write(dir.join("hub-jwks.json"), jwks.to_string())?;
    for (i, alg) in ALGS.iter().enumerate() {
        let acr = if i % 2 == 0 { "eidas3" } else { "eidas2" };
        let answers = journey(&running.hub_url, alg, acr).await?;
        std::fs::write(dir.join(format!("hub-{alg}.json")), answers.to_string())?;
        println!("{alg}: ID token, userinfo and checktoken written ({acr})");
    }
    for handle in running.handles {
        handle.stop(false).await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .context("usage: fcplus_tokens WORK_DIR")?;
    run(&dir).await
}
