use std::net::TcpListener;

use clap::Parser;
use hub::{Application, Cli, Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    fc_plumbing::telemetry::init(cli.json_logs);
    let config = Config::from_cli(&cli)?;
    let listener = TcpListener::bind(&cli.listen)?;
    let app = Application::build(config, listener).await?;
    tracing::info!(
        "hub listening on {} (public URL {})",
        cli.listen,
        cli.public_url
    );
    app.run_until_stopped().await?;
    Ok(())
}
