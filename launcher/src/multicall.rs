//! One binary for the whole docker image: run under the name of one program (a link
//! `hub -> fc-demo`, as the image installs them), `fc-demo` starts that program alone, configured
//! exactly as its own binary is (same options, same environment variables). The four programs
//! share most of their code (actix-web, rustls, the JOSE code…), so one binary weighs a third of
//! four separate ones and the image stays small (README, "With Docker"; BENCHMARKS.md, "Image").
//!
//! Started under its own name, `fc-demo` is the launcher of `cargo run` (main.rs).

use std::ffi::OsStr;
use std::fmt::Display;
use std::net::{TcpListener, ToSocketAddrs};
use std::path::Path;

use anyhow::Context;
use clap::Parser;

/// A program the image can start by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Hub,
    ServiceProvider,
    IdentityProvider,
    DataProvider,
}

impl Program {
    /// The program a name designates: the file name of the binary it was started as (argv[0]).
    pub fn from_invocation(argv0: &OsStr) -> Option<Self> {
        match Path::new(argv0).file_name()?.to_str()? {
            "hub" => Some(Self::Hub),
            "service-provider-example" => Some(Self::ServiceProvider),
            "identity-provider-example" => Some(Self::IdentityProvider),
            "data-provider-example" => Some(Self::DataProvider),
            _ => None,
        }
    }

    /// Parses the program's own command line and environment, listens, serves until stopped
    /// (SIGINT or SIGTERM: actix-web's servers stop gracefully on both, which `docker stop` needs).
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Hub => hub().await,
            Self::ServiceProvider => service_provider().await,
            Self::IdentityProvider => identity_provider().await,
            Self::DataProvider => data_provider().await,
        }
    }
}

fn bind(listen: impl ToSocketAddrs + Display) -> anyhow::Result<TcpListener> {
    TcpListener::bind(&listen).with_context(|| format!("cannot listen on {listen}"))
}

async fn hub() -> anyhow::Result<()> {
    let cli = hub::Cli::parse();
    fc_plumbing::telemetry::init(cli.json_logs);
    let config = hub::Config::from_cli(&cli)?;
    let listen = cli
        .listen
        .clone()
        .unwrap_or_else(|| hub::Config::default_listen(cli.instance));
    let public_url = config.public_url.clone();
    let app = hub::Application::build(config, bind(&listen)?).await?;
    tracing::info!(
        "{} hub listening on {listen} (public URL {public_url})",
        cli.instance
    );
    Ok(app.run_until_stopped().await?)
}

async fn service_provider() -> anyhow::Result<()> {
    let config = service_provider_example::Config::parse();
    fc_plumbing::telemetry::init(config.json_logs);
    let listener = bind(config.listen)?;
    let public_url = config.public_url.clone();
    let app = service_provider_example::Application::build(config, listener).await?;
    tracing::info!("service-provider-example listening on {public_url}");
    Ok(app.run_until_stopped().await?)
}

async fn identity_provider() -> anyhow::Result<()> {
    let config = identity_provider_example::Config::parse();
    fc_plumbing::telemetry::init(config.json_logs);
    let listener = bind(&config.listen)?;
    let public_url = config.public_url.clone();
    let app = identity_provider_example::Application::build(config, listener).await?;
    tracing::info!("identity-provider-example listening on {public_url}");
    Ok(app.run_until_stopped().await?)
}

async fn data_provider() -> anyhow::Result<()> {
    let config = data_provider_example::Config::parse();
    fc_plumbing::telemetry::init(config.json_logs);
    let listener = bind(&config.listen)?;
    let public_url = config.public_url.clone();
    let app = data_provider_example::Application::build(config, listener).await?;
    tracing::info!("data-provider-example listening on {public_url}");
    Ok(app.run_until_stopped().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_of_the_link_picks_the_program() {
        let cases = [
            ("hub", Some(Program::Hub)),
            ("/usr/local/bin/hub", Some(Program::Hub)),
            ("service-provider-example", Some(Program::ServiceProvider)),
            (
                "/usr/local/bin/identity-provider-example",
                Some(Program::IdentityProvider),
            ),
            ("data-provider-example", Some(Program::DataProvider)),
            ("fc-demo", None),
            ("/src/target/release/fc-demo", None),
            ("hub-plus", None),
            ("", None),
        ];
        for (argv0, expected) in cases {
            assert_eq!(
                Program::from_invocation(OsStr::new(argv0)),
                expected,
                "{argv0}"
            );
        }
    }
}
