//! The launcher behind `cargo run`: binds the listeners first, then gives each program its
//! peers' URLs, so the hub ↔ IdP ↔ SP ↔ DP cycle of URLs needs no fixed ports. Tests use it too,
//! on port 0. Two hubs run: FranceConnect and, beside it, FranceConnect+
//! (`docs/franceconnect-plus.md`), both clients of the same example IdP.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use anyhow::Context;
use fc_plumbing::Secret;

/// Ports of the programs (0: any free port).
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub hub: u16,
    /// FranceConnect+.
    pub hub_plus: u16,
    pub sp: u16,
    pub idp: u16,
    pub dp: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Self {
            hub: 8000,
            hub_plus: 8003,
            sp: 3000,
            idp: 8001,
            dp: 8002,
        }
    }
}

/// Where to listen and how browsers reach the programs.
#[derive(Debug, Clone)]
pub struct Options {
    pub ports: Ports,
    /// Address the listeners bind (`127.0.0.1`, or `0.0.0.0`).
    pub bind: String,
    /// Host name in public URLs (`localhost`).
    pub public_host: String,
    /// The hub's admin token (control API and `/admin` page); `None`: a fresh one is generated.
    pub hub_admin_token: Option<Secret>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ports: Ports::default(),
            bind: "127.0.0.1".into(),
            public_host: "localhost".into(),
            hub_admin_token: None,
        }
    }
}

impl Options {
    /// Every program on a free port the system picks: what tests and the load generator use, so
    /// runs never collide with a demo already running on the usual ports.
    pub fn on_free_ports() -> Self {
        Self {
            ports: Ports {
                hub: 0,
                hub_plus: 0,
                sp: 0,
                idp: 0,
                dp: 0,
            },
            ..Self::default()
        }
    }
}

/// The running programs.
pub struct Demo {
    pub hub_url: String,
    /// FranceConnect+'s public URL (its issuer is `{hub_plus_url}/api/v2`).
    pub hub_plus_url: String,
    pub sp_url: String,
    pub idp_url: String,
    pub dp_url: String,
    /// The hub's admin token, to print with the URLs (`/admin`, `/admin/api`).
    pub hub_admin_token: Secret,
    hub: hub::Application,
    hub_plus: hub::Application,
    sp: service_provider_example::Application,
    idp: identity_provider_example::Application,
    dp: data_provider_example::Application,
}

/// The URLs the fixture files and defaults use; replaced by the real ones.
const DEFAULT_HUB: &str = "http://localhost:8000";
const DEFAULT_HUB_PLUS: &str = "http://localhost:8003";
const DEFAULT_SP: &str = "http://localhost:3000";
const DEFAULT_IDP: &str = "http://localhost:8001";
const DEFAULT_DP: &str = "http://localhost:8002";

/// The programs' real URLs.
struct Urls<'a> {
    hub: &'a str,
    hub_plus: &'a str,
    sp: &'a str,
    idp: &'a str,
    dp: &'a str,
}

/// The hub configuration of `instance` with every fixture URL moved to the real one — in two
/// steps through placeholders, so one program's new URL is never taken for another's default.
fn hub_config_for(instance: hub::Instance, urls: &Urls<'_>) -> anyhow::Result<hub::Config> {
    let mut config = hub::Config::local_for(instance)?;
    let own = match instance {
        hub::Instance::FranceConnect => urls.hub,
        hub::Instance::FranceConnectPlus => urls.hub_plus,
    };
    config.public_url = own.to_owned();
    let moves = [
        (DEFAULT_SP, "fc-demo://sp", urls.sp),
        (DEFAULT_IDP, "fc-demo://idp", urls.idp),
        (DEFAULT_DP, "fc-demo://dp", urls.dp),
        (DEFAULT_HUB, "fc-demo://hub", urls.hub),
        (DEFAULT_HUB_PLUS, "fc-demo://hub-plus", urls.hub_plus),
    ];
    for (from, placeholder, _) in moves {
        config.registry.replace_url_prefix(from, placeholder);
    }
    for (_, placeholder, to) in moves {
        config.registry.replace_url_prefix(placeholder, to);
    }
    Ok(config)
}

fn bind(options: &Options, port: u16, what: &str) -> anyhow::Result<(TcpListener, String)> {
    let listener = TcpListener::bind((options.bind.as_str(), port))
        .with_context(|| format!("cannot listen for the {what} on {}:{port}", options.bind))?;
    let url = format!(
        "http://{}:{}",
        options.public_host,
        listener.local_addr()?.port()
    );
    Ok((listener, url))
}

pub async fn launch(options: &Options) -> anyhow::Result<Demo> {
    let (hub_listener, hub_url) = bind(options, options.ports.hub, "hub")?;
    let (plus_listener, hub_plus_url) =
        bind(options, options.ports.hub_plus, "FranceConnect+ hub")?;
    let (sp_listener, sp_url) = bind(options, options.ports.sp, "service provider")?;
    let (idp_listener, idp_url) = bind(options, options.ports.idp, "identity provider")?;
    let (dp_listener, dp_url) = bind(options, options.ports.dp, "data provider")?;

    let urls = Urls {
        hub: &hub_url,
        hub_plus: &hub_plus_url,
        sp: &sp_url,
        idp: &idp_url,
        dp: &dp_url,
    };
    let hub_config = hub_config_for(hub::Instance::FranceConnect, &urls)?;
    let plus_config = hub_config_for(hub::Instance::FranceConnectPlus, &urls)?;
    let mut hub_config = hub_config;
    // The control API is on: a developer points their own SP at the hub and drives it from
    // there. Registration changes last until the demo stops (no registrations folder).
    let hub_admin_token = options
        .hub_admin_token
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| Secret::new(fc_plumbing::random::token(24)));
    hub_config.admin_token = Some(hub_admin_token.clone());

    let mut idp_config = identity_provider_example::Config::local();
    idp_config.public_url = idp_url.clone();
    // The IdP's one client is the hub: both instances registered their callbacks there.
    idp_config.redirect_uris = [&hub_url, &hub_plus_url]
        .map(|hub| format!("{hub}/api/v2/oidc-callback"))
        .to_vec();
    idp_config.post_logout_redirect_uris = [&hub_url, &hub_plus_url]
        .map(|hub| format!("{hub}/api/v2/client/logout-callback"))
        .to_vec();

    let mut dp_config = data_provider_example::Config::local();
    dp_config.public_url = dp_url.clone();
    dp_config.hub_url = hub_url.clone();

    let mut sp_config = service_provider_example::Config::local();
    sp_config.public_url = sp_url.clone();
    sp_config.hub_url = hub_url.clone();
    sp_config.hub_plus_url = hub_plus_url.clone();
    sp_config.dp_url = dp_url.clone();

    let hub = hub::Application::build(hub_config, hub_listener).await?;
    let hub_plus = hub::Application::build(plus_config, plus_listener).await?;
    let idp = identity_provider_example::Application::build(idp_config, idp_listener).await?;
    let dp = data_provider_example::Application::build(dp_config, dp_listener).await?;
    let sp = service_provider_example::Application::build(sp_config, sp_listener).await?;
    Ok(Demo {
        hub_url,
        hub_plus_url,
        sp_url,
        idp_url,
        dp_url,
        hub_admin_token,
        hub,
        hub_plus,
        sp,
        idp,
        dp,
    })
}

impl Demo {
    pub fn handles(&self) -> Vec<ServerHandle> {
        vec![
            self.sp.handle(),
            self.hub.handle(),
            self.hub_plus.handle(),
            self.idp.handle(),
            self.dp.handle(),
        ]
    }

    /// The configuration `instance` was started with, its URLs moved to the real ones (tests
    /// restart a hub with it: without a keys folder, it comes back with new keys).
    pub fn hub_config(&self, instance: hub::Instance) -> anyhow::Result<hub::Config> {
        let urls = Urls {
            hub: &self.hub_url,
            hub_plus: &self.hub_plus_url,
            sp: &self.sp_url,
            idp: &self.idp_url,
            dp: &self.dp_url,
        };
        hub_config_for(instance, &urls)
    }

    /// FranceConnect+'s platform (registrations, store, keys): tests register their own
    /// clients there.
    pub fn hub_plus_platform(&self) -> actix_web::web::Data<hub::platform::Platform> {
        self.hub_plus.platform()
    }

    /// Runs the servers; returns when all have stopped (or one failed).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (a, plus, b, c, d) = tokio::join!(
            self.hub.run_until_stopped(),
            self.hub_plus.run_until_stopped(),
            self.sp.run_until_stopped(),
            self.idp.run_until_stopped(),
            self.dp.run_until_stopped()
        );
        a.context("hub")?;
        plus.context("FranceConnect+ hub")?;
        b.context("service provider")?;
        c.context("identity provider")?;
        d.context("data provider")?;
        Ok(())
    }

    /// Starts the servers in the background (tests): stop them with [`Demo::handles`].
    pub fn spawn(self) -> Vec<ServerHandle> {
        let handles = self.handles();
        tokio::spawn(async move {
            if let Err(e) = self.run_until_stopped().await {
                tracing::error!("demo stopped: {e:#}");
            }
        });
        handles
    }
}
