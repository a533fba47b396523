//! `identity-provider-example`: parses the configuration, binds the listener and serves until
//! Ctrl-C.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::Parser;
use identity_provider_example::{Application, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    fc_plumbing::telemetry::init(config.json_logs);
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("identity-provider-example: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(&config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let public_url = config.public_url.clone();
    let application = Application::build(config, listener).await?;
    let handle = application.handle();
    println!("identity-provider-example listening on {public_url}");
    tokio::select! {
        result = application.run_until_stopped() => result?,
        _ = tokio::signal::ctrl_c() => handle.stop(true).await,
    }
    Ok(())
}
