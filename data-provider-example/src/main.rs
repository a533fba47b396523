//! `data-provider-example`: parses the configuration, binds, serves until Ctrl-C.

use std::net::TcpListener;

use clap::Parser;
use data_provider_example::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    fc_plumbing::telemetry::init(config.json_logs);
    let listener = TcpListener::bind(&config.listen)?;
    let public_url = config.public_url.clone();
    let application = Application::build(config, listener).await?;
    println!(
        "data-provider-example: {public_url} (port {})",
        application.port()
    );
    application.run_until_stopped().await?;
    Ok(())
}
