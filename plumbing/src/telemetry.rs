//! Logging set-up: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), JSON on demand.
//!
//! Every program logs one line per request and per back-channel call. Written from the request's
//! own thread, each line cost a `write` system call on the request path (≈ 4 % of the hub's CPU
//! under load, BENCHMARKS.md "Third pass"); the lines now go to one logging thread that writes
//! whatever has queued up in one go.

use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Lines waiting for the logging thread, at most. Beyond that a request waits for its line to
/// be taken (no line is dropped): a flood slows the flood, and memory stays bounded.
const QUEUED_LINES: usize = 4096;

/// Keep it alive as long as the program runs: dropping it writes the lines still queued.
#[must_use = "the last lines are written when the guard is dropped"]
pub struct LogGuard {
    _writes_the_rest_on_drop: Option<WorkerGuard>,
}

/// Installs the global subscriber once; later calls (tests, the launcher) change nothing.
pub fn init(json: bool) -> LogGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    // Colours only on a terminal: `docker compose logs` and log files get plain text.
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    let installed = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    LogGuard {
        _writes_the_rest_on_drop: installed.is_ok().then_some(guard),
    }
}
