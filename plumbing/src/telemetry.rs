//! Logging set-up: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), JSON on demand.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests, the launcher) are no-ops.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    // Colours only on a terminal: `docker compose logs` and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
