//! `service-provider-example`: parse the configuration, listen, serve until Ctrl-C.

use clap::Parser;
use service_provider_example::{Application, Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::parse();
    fc_plumbing::telemetry::init(config.json_logs);
    let listener = std::net::TcpListener::bind(config.listen)?;
    let public_url = config.public_url.clone();
    let application = Application::build(config, listener).await?;
    println!(
        "service-provider-example: {public_url} (port {})",
        application.port()
    );
    let handle = application.handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            handle.stop(true).await;
        }
    });
    application.run_until_stopped().await?;
    Ok(())
}
