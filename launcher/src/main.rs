//! `cargo run --release`: the whole FranceConnect demo on localhost.

use clap::Parser;
use fc_demo::{Options, Ports, launch};
use fc_plumbing::Secret;

mod multicall;

#[derive(Parser)]
#[command(
    name = "fc-demo",
    about = "Starts the FranceConnect demo: the FranceConnect and FranceConnect+ hubs, service provider, identity provider and data provider"
)]
struct Cli {
    #[arg(long, env = "FC_DEMO_HUB_PORT", default_value_t = 8000)]
    hub_port: u16,
    /// Port of the FranceConnect+ hub (eidas2, eidas3; encrypted tokens).
    #[arg(long, env = "FC_DEMO_HUB_PLUS_PORT", default_value_t = 8003)]
    hub_plus_port: u16,
    #[arg(long, env = "FC_DEMO_SP_PORT", default_value_t = 3000)]
    sp_port: u16,
    #[arg(long, env = "FC_DEMO_IDP_PORT", default_value_t = 8001)]
    idp_port: u16,
    #[arg(long, env = "FC_DEMO_DP_PORT", default_value_t = 8002)]
    dp_port: u16,
    /// Address to listen on.
    #[arg(long, env = "FC_DEMO_BIND", default_value = "127.0.0.1")]
    bind: String,
    /// Host name browsers use to reach the programs.
    #[arg(long, env = "FC_DEMO_PUBLIC_HOST", default_value = "localhost")]
    public_host: String,
    /// The hub's admin token (control API `/admin/api` and page `/admin`, at least 16
    /// characters); a fresh one is generated and printed when absent.
    #[arg(long, env = "FC_HUB_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<Secret>,
    /// Log as JSON lines.
    #[arg(long, env = "FC_DEMO_JSON_LOGS")]
    json_logs: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // In the docker image, `hub`, `service-provider-example`… are links to this binary.
    if let Some(program) = std::env::args_os()
        .next()
        .and_then(|argv0| multicall::Program::from_invocation(&argv0))
    {
        return program.run().await;
    }
    let cli = Cli::parse();
    fc_plumbing::telemetry::init(cli.json_logs);
    let options = Options {
        ports: Ports {
            hub: cli.hub_port,
            hub_plus: cli.hub_plus_port,
            sp: cli.sp_port,
            idp: cli.idp_port,
            dp: cli.dp_port,
        },
        bind: cli.bind,
        public_host: cli.public_host,
        hub_admin_token: cli.admin_token.clone(),
    };
    if cli.admin_token.as_ref().is_some_and(|t| {
        !t.is_empty() && t.expose().chars().count() < hub::config::MIN_ADMIN_TOKEN_CHARS
    }) {
        anyhow::bail!(
            "the admin token must hold at least {} characters",
            hub::config::MIN_ADMIN_TOKEN_CHARS
        );
    }
    let demo = launch(&options).await?;
    println!("FranceConnect demo is running:");
    println!("  service provider   {}   <- open this one", demo.sp_url);
    println!(
        "  hub (FranceConnect) {}/api/v2/.well-known/openid-configuration",
        demo.hub_url
    );
    println!(
        "  hub (FranceConnect+) {}/api/v2/.well-known/openid-configuration   (eidas2, eidas3; encrypted tokens)",
        demo.hub_plus_url
    );
    println!("  identity provider  {}   (3_melaine / 123)", demo.idp_url);
    println!("  data provider      {}", demo.dp_url);
    // Shown once, on the console (never in a log line): the developer needs it to drive the hub.
    let token = match cli.admin_token.filter(|t| !t.is_empty()) {
        Some(_) => "the one in FC_HUB_ADMIN_TOKEN / --admin-token".to_owned(),
        None => demo.hub_admin_token.expose().to_owned(),
    };
    println!(
        "  hub admin          {}/admin   (API {}/admin/api, token: {token})",
        demo.hub_url, demo.hub_url
    );
    println!("Ctrl-C to stop.");
    let handles = demo.handles();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            for h in handles {
                h.stop(true).await;
            }
        }
    });
    demo.run_until_stopped().await
}
