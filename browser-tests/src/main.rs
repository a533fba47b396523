//! The demo journey in a real headless Chromium, driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`). `cargo run -p browser-tests` starts the four programs in-process (the
//! `cargo run` mode) on free ports; `--sp-url http://localhost:3000` targets a demo already
//! running, such as `docker compose up`. A missing browser is a failure, never a skip. On a
//! failure the page's screenshot and HTML are saved under `target/browser-tests/`.
//!
//! Besides the journeys: the same journey by keyboard alone ([`keyboard`]), the consent page's
//! wording for each kind of person ([`wording`]), and a tour of every page ([`tour`]), each
//! checked by axe-core and for reflow on a phone, with screenshots at desktop and phone width
//! under `target/browser-tests/pages/` on every run ([`audit`]).

mod audit;
mod keyboard;
mod tour;
mod wording;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use clap::Parser;
use fantoccini::{Client, ClientBuilder, Locator};

mod plus;

#[derive(Parser)]
#[command(about = "Browser tests of the FranceConnect demo")]
struct Cli {
    /// Service provider URL of a running demo; without it the demo is started in-process.
    #[arg(long)]
    sp_url: Option<String>,
    #[arg(long, default_value = "/usr/bin/chromium")]
    chromium: PathBuf,
    #[arg(long, default_value = "/usr/bin/chromedriver")]
    chromedriver: PathBuf,
    /// Data provider URL of the running demo given by --sp-url (its 404 page is checked).
    #[arg(long, default_value = "http://localhost:8002")]
    dp_url: String,
    /// Where screenshots and HTML of failures go; every page's screenshots go to `pages/` in it.
    #[arg(long, default_value = "target/browser-tests")]
    artifacts: PathBuf,
    /// axe-core's `axe.min.js` (default: the one `npm ci` installs in browser-tests/).
    #[arg(long)]
    axe: Option<PathBuf>,
    /// The hub's admin token of the running demo given by --sp-url, to audit the admin console
    /// too (the in-process demo's is known).
    #[arg(long, env = "FC_HUB_ADMIN_TOKEN")]
    hub_admin_token: Option<fc_plumbing::Secret>,
}

const WAIT: Duration = Duration::from_secs(20);

async fn click(c: &Client, css: &str) -> anyhow::Result<()> {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))?
        .click()
        .await?;
    Ok(())
}

async fn text_of(c: &Client, css: &str) -> anyhow::Result<String> {
    let e = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))?;
    Ok(e.text().await?)
}

async fn type_into(c: &Client, css: &str, text: &str) -> anyhow::Result<()> {
    let e = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))?;
    e.clear().await?;
    e.send_keys(text).await?;
    Ok(())
}

/// SP home → FranceConnect button → mire → the example IdP's form.
async fn reach_idp_form(c: &Client, sp: &str) -> anyhow::Result<()> {
    c.goto(&format!("{sp}/")).await?;
    click(c, "#fc-login").await?;
    click(c, "[data-testid=\"idp-identity-provider-example\"]").await?;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#login-form"))
        .await
        .context("IdP login form")?;
    Ok(())
}

async fn log_in_at_idp(c: &Client, login: &str, password: &str) -> anyhow::Result<()> {
    type_into(c, "#login-form input[name=\"login\"]", login).await?;
    type_into(c, "#login-form input[name=\"password\"]", password).await?;
    c.find(Locator::Css("#login-form select[name=\"acr\"]"))
        .await?
        .select_by_value("eidas1")
        .await?;
    click(
        c,
        "#login-form button[type=\"submit\"]:not([name=\"cancel\"])",
    )
    .await
}

async fn full_journey(c: &Client, sp: &str) -> anyhow::Result<()> {
    reach_idp_form(c, sp).await?;
    log_in_at_idp(c, "3_melaine", "123").await?;
    let who = text_of(c, "#identity-name").await?;
    ensure!(
        who.contains("Mélaine Évelyne TROIS"),
        "consent page shows {who:?}"
    );
    click(c, "#consent-accept").await?;
    let userinfo = text_of(c, "#userinfo-json").await?;
    ensure!(
        userinfo.contains("Mélaine Évelyne") && userinfo.contains("TROIS"),
        "identity page shows {userinfo}"
    );
    let id_token = text_of(c, "#id-token-payload").await?;
    ensure!(
        id_token.contains("eidas1"),
        "decoded ID token shows {id_token}"
    );

    // Data: SSO straight to the consent page, which needs the box ticked.
    click(c, "#fc-data").await?;
    click(c, "input[name=\"consent\"]").await?;
    click(c, "#consent-accept").await?;
    let data = text_of(c, "#data-json").await?;
    ensure!(data.contains("42000"), "data page shows {data}");

    c.goto(&format!("{sp}/journal")).await?;
    let journal = text_of(c, "#exchanges").await?;
    ensure!(
        journal.contains("checktoken"),
        "the journal lists the DP's checktoken call"
    );

    click(c, "#logout").await?;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#fc-login"))
        .await
        .context("logged-out SP shows the FranceConnect button")?;
    let url = c.current_url().await?;
    ensure!(
        url.as_str().starts_with(sp) && url.path() == "/logout-callback",
        "logout chain ended at {url}"
    );
    // Logged out at the hub too: the next login shows the mire.
    click(c, "#fc-login").await?;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-testid=\"idp-identity-provider-example\"]",
        ))
        .await
        .context("mire after logout")?;
    Ok(())
}

async fn cancel_at_idp(c: &Client, sp: &str) -> anyhow::Result<()> {
    reach_idp_form(c, sp).await?;
    click(c, "#login-form button[name=\"cancel\"]").await?;
    // FranceConnect sends the user back to the mire with a banner; leaving from there tells
    // the SP access_denied.
    let banner = text_of(c, ".alert.error").await?;
    ensure!(
        banner.contains("Fournisseur d'identité de démonstration"),
        "banner: {banner}"
    );
    click(c, "#back-to-sp").await?;
    let page = c.source().await?;
    ensure!(page.contains("access_denied"), "the SP shows access_denied");
    ensure!(
        c.current_url().await?.as_str().starts_with(sp),
        "back at the SP"
    );
    Ok(())
}

async fn wrong_password(c: &Client, sp: &str) -> anyhow::Result<()> {
    reach_idp_form(c, sp).await?;
    log_in_at_idp(c, "3_melaine", "not-the-password").await?;
    let message = text_of(c, ".alert.error").await?;
    ensure!(
        message.contains("Identifiant ou mot de passe incorrect"),
        "IdP says {message:?}"
    );
    c.find(Locator::Css("#login-form"))
        .await
        .context("still on the login form")?;
    Ok(())
}

async fn new_session(driver: &str, chromium: &Path) -> anyhow::Result<Client> {
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--hide-scrollbars",
                     "--window-size=1280,1024"]
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        bail!("capabilities")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    Ok(ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(driver)
        .await?)
}

async fn save_artifacts(c: &Client, dir: &Path, name: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let png = dir.join(format!("{name}.png"));
    let html = dir.join(format!("{name}.html"));
    std::fs::write(&png, c.screenshot().await?)?;
    std::fs::write(&html, c.source().await?)?;
    eprintln!(
        "  screenshot: {}\n  page HTML:  {}\n  at URL:     {}",
        png.display(),
        html.display(),
        c.current_url().await?
    );
    Ok(())
}

/// Prints the scenario's result, saves the page on a failure and closes the session; true when
/// it passed.
async fn outcome(
    client: &Client,
    name: &str,
    started: Instant,
    result: anyhow::Result<()>,
    artifacts: &Path,
) -> bool {
    let passed = match result {
        Ok(()) => {
            println!("test {name} ... ok ({} ms)", started.elapsed().as_millis());
            true
        }
        Err(e) => {
            println!("test {name} ... FAILED: {e:#}");
            if let Err(save) = save_artifacts(client, artifacts, name).await {
                eprintln!("  (could not save artifacts: {save:#})");
            }
            false
        }
    };
    client.clone().close().await.ok();
    passed
}

async fn start_chromedriver(path: &Path) -> anyhow::Result<(tokio::process::Child, String)> {
    use tokio::io::AsyncBufReadExt;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = tokio::process::Command::new(path)
        .arg(format!("--port={port}"))
        .kill_on_drop(true)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", path.display()))?;
    // chromedriver says when it is ready; wait for that line rather than for some time.
    let stdout = child.stdout.take().context("chromedriver stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = async {
        while let Some(line) = lines.next_line().await? {
            if line.contains("started successfully") {
                return Ok::<_, std::io::Error>(true);
            }
        }
        Ok(false)
    };
    ensure!(
        tokio::time::timeout(WAIT, ready)
            .await
            .context("chromedriver start timed out")??,
        "chromedriver exited before it was ready"
    );
    // Keep reading its output so a full pipe never blocks it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, format!("http://127.0.0.1:{port}")))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    for tool in [&cli.chromium, &cli.chromedriver] {
        if !tool.exists() {
            bail!(
                "{} is missing: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
                tool.display()
            );
        }
    }
    let axe = cli.axe.clone().unwrap_or_else(audit::default_axe_path);
    audit::ensure_axe(&axe)?;
    let audit = audit::Audit::new(&axe, cli.artifacts.join("pages"))?;
    let mut dp_url = cli.dp_url.trim_end_matches('/').to_owned();
    let mut admin_token = cli.hub_admin_token.clone();
    let (sp_url, _demo) = match &cli.sp_url {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let options = fc_demo::Options {
                ports: fc_demo::Ports {
                    hub: 0,
                    hub_plus: 0,
                    sp: 0,
                    idp: 0,
                    dp: 0,
                },
                ..Default::default()
            };
            let demo = fc_demo::launch(&options).await?;
            let url = demo.sp_url.clone();
            dp_url.clone_from(&demo.dp_url);
            admin_token = Some(demo.hub_admin_token.clone());
            (url, Some(demo.spawn()))
        }
    };
    let (_driver, driver_url) = start_chromedriver(&cli.chromedriver).await?;
    println!("browser tests against {sp_url}");

    type Scenario = for<'a> fn(
        &'a Client,
        &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>,
    >;
    let scenarios: Vec<(&str, Scenario)> = vec![
        ("full_journey", |c, sp| Box::pin(full_journey(c, sp))),
        ("the_journey_by_keyboard_alone", |c, sp| {
            Box::pin(keyboard::keyboard_journey(c, sp))
        }),
        (
            "consent_page_says_sex_dates_and_countries_in_words",
            |c, sp| Box::pin(wording::consent_wording(c, sp)),
        ),
        ("cancel_at_idp_gives_the_sp_access_denied", |c, sp| {
            Box::pin(cancel_at_idp(c, sp))
        }),
        ("wrong_password_shows_the_generic_error", |c, sp| {
            Box::pin(wrong_password(c, sp))
        }),
        ("franceconnect_plus_journey", |c, sp| {
            Box::pin(plus::journey(c, sp))
        }),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, scenario) in scenarios {
        let started = Instant::now();
        let client = new_session(&driver_url, &cli.chromium)
            .await
            .context("cannot open a Chromium session")?;
        let result = scenario(&client, &sp_url).await;
        if outcome(&client, name, started, result, &cli.artifacts).await {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    let started = Instant::now();
    let client = new_session(&driver_url, &cli.chromium)
        .await
        .context("cannot open a Chromium session")?;
    let site = tour::Site {
        sp: sp_url.clone(),
        dp: dp_url,
        admin_token,
    };
    let result = tour::run(&client, &site, &audit).await;
    let name = "every_page_passes_axe_and_reflows_on_a_phone";
    if outcome(&client, name, started, result, &cli.artifacts).await {
        passed += 1;
    } else {
        failed += 1;
    }
    let shots = std::path::absolute(audit.dir()).unwrap_or_else(|_| audit.dir().to_owned());
    println!(
        "screenshots of every page (desktop and phone): {}",
        shots.display()
    );
    println!("browser-tests: {passed} passed, {failed} failed");
    if failed > 0 {
        return Err(anyhow!("{failed} browser scenario(s) failed"));
    }
    Ok(())
}
