//! `fc-interop-browser`: reads URLs on standard input, one per line, walks each one as a person
//! would (see the library) and writes on standard output, one line per URL, the redirect to the
//! client that ended the walk, or `error: …`. One process keeps one cookie jar, so a driver logs
//! in and then out with the same "browser", as the hub's logout chain requires.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use fc_interop_browser::{Person, Walker};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Parser)]
#[command(name = "fc-interop-browser", about = "The interop suite's browser")]
struct Cli {
    /// A redirect to a URL starting with this ends a walk (the client's redirect_uri,
    /// post_logout_redirect_uri). Repeatable.
    #[arg(long = "stop-at", required = true)]
    stop_at: Vec<String>,
    /// Slug of the identity provider to pick on the hub's mire.
    #[arg(long, default_value = "identity-provider-example")]
    idp: String,
    #[arg(long, default_value = "3_melaine")]
    login: String,
    #[arg(long, default_value = "123")]
    password: String,
    /// PEM file of CA certificates to trust on top of the usual roots (default: SSL_CERT_FILE).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Timeout of each request, in seconds.
    #[arg(long, default_value_t = 15)]
    timeout_secs: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let person = Person {
        idp: cli.idp,
        login: cli.login,
        password: cli.password,
    };
    let ca_file = cli
        .ca_file
        .or_else(fc_plumbing::backchannel::ssl_cert_file_from_env);
    let walker = Walker::new(
        person,
        &cli.stop_at,
        ca_file.as_deref(),
        Duration::from_secs(cli.timeout_secs),
    )?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        let url = line.trim();
        if url.is_empty() {
            continue;
        }
        let answer = match walker.walk(url).await {
            Ok(end) => end.to_string(),
            Err(e) => format!("error: {}", format!("{e:#}").replace('\n', " ")),
        };
        stdout.write_all(format!("{answer}\n").as_bytes()).await?;
        stdout.flush().await?;
    }
    Ok(())
}
