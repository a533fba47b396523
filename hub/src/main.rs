use std::net::TcpListener;

use clap::Parser;
use hub::{Application, Cli, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fc_plumbing::telemetry::init(cli.json_logs);
    let config = Config::from_cli(&cli)?;
    let listen = cli
        .listen
        .clone()
        .unwrap_or_else(|| Config::default_listen(cli.instance));
    let listener = TcpListener::bind(&listen)?;
    let public_url = config.public_url.clone();
    let app = Application::build(config, listener).await?;
    tracing::info!(
        "{} hub listening on {listen} (public URL {public_url})",
        cli.instance
    );
    app.run_until_stopped().await?;
    Ok(())
}
