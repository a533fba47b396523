//! Test support (feature `redis-tests`): a throwaway `redis-server` on a free loopback port, and
//! a fresh namespace of it per store, so tests sharing one server never see each other's keys.
//!
//! The server runs under a small shell that waits on a pipe from this process and stops the
//! server (and removes its folder) when that pipe closes, so it goes away when the test binary
//! ends, however it ends. A missing `redis-server` fails the test with an install hint: these
//! suites never skip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use redis::AsyncCommands;

use super::RedisStore;
use super::redis::escape_glob;

const INSTALL_HINT: &str = "the Redis test suites (feature `redis-tests`) start Debian's \
    `redis-server` (Redis 7 or later) themselves: install it with `apt-get install redis-server`";

/// Stops the server when dropped (or when the process ends).
pub struct RedisServer {
    url: String,
    root: PathBuf,
    _stop: ChildStdin,
    _child: Child,
}

/// The shell around the server: `$1` the folder to remove at the end, then redis-server's own
/// arguments. `read` returns when this process closes the pipe (drop or exit).
const GUARD: &str = r#"root=$1; shift
redis-server "$@" &
pid=$!
read -r _ || true
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -rf "$root""#;

impl RedisServer {
    /// The server of this test binary, started on first use.
    pub fn shared() -> &'static RedisServer {
        static SHARED: OnceLock<RedisServer> = OnceLock::new();
        SHARED.get_or_init(RedisServer::start)
    }

    /// A new server on a free loopback port, no persistence, in a temporary folder.
    pub fn start() -> Self {
        check_installed();
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start() {
                Ok(server) => return server,
                Err(log) => last = log,
            }
        }
        panic!("redis-server did not start:\n{last}");
    }

    fn try_start() -> Result<Self, String> {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "hub-redis-tests-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(root.join("data")).unwrap();
        // A port the system just gave out and took back: free unless someone races for it,
        // in which case the server says so and another is tried.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("sh")
            .args(["-c", GUARD, "sh"])
            .arg(&root)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "notice", "--logfile", ""])
            .arg("--dir")
            .arg(root.join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run sh: {e}"));
        let stop = child.stdin.take().unwrap();
        let lines = child.stdout.take().unwrap();
        match wait_until_ready(lines) {
            Ok(()) => Ok(Self {
                url: format!("redis://127.0.0.1:{port}/0"),
                root,
                _stop: stop,
                _child: child,
            }),
            Err(log) => {
                drop(stop);
                let _ = child.wait();
                Err(log)
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A folder that goes away with the server (keys folders of test hubs).
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// A namespace no other caller gets.
    pub fn fresh_namespace() -> String {
        format!("test:{}", fc_plumbing::random::token(12))
    }

    /// A store on this server in a fresh namespace.
    pub async fn store(&self) -> RedisStore {
        RedisStore::connect(&self.url, &Self::fresh_namespace())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.url))
    }
}

fn check_installed() {
    match Command::new("redis-server").arg("--version").output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let major = text
                .split_whitespace()
                .find_map(|w| w.strip_prefix("v="))
                .and_then(|v| v.split('.').next())
                .and_then(|m| m.parse::<u32>().ok());
            if major.is_none_or(|m| m < 7) {
                panic!("{}: {INSTALL_HINT}", text.trim());
            }
        }
        Ok(out) => panic!(
            "redis-server --version failed ({}): {INSTALL_HINT}",
            out.status
        ),
        Err(e) => panic!("redis-server not found ({e}): {INSTALL_HINT}"),
    }
}

/// Reads the server's log until it is ready (or gives up), then keeps draining it in the
/// background so the server never blocks on a full pipe.
fn wait_until_ready(stdout: std::process::ChildStdout) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut log = String::new();
        let mut told = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if told {
                continue;
            }
            log.push_str(&line);
            log.push('\n');
            if line.contains("Ready to accept connections") {
                told = tx.send(Ok(())).is_ok();
            } else if line.contains("aborting") || line.contains("Fatal") {
                told = tx.send(Err(log.clone())).is_ok();
            }
        }
        if !told {
            let _ = tx.send(Err(format!("{log}(redis-server exited)")));
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| Err("redis-server said nothing for 30 s".into()))
}

/// Redis has no clock a test can move: this brings every key of `store`'s namespace `secs`
/// seconds closer to its expiry instead (a key whose time is up goes, as it would have).
pub async fn shift_expiry(store: &RedisStore, secs: u64) {
    let mut c = store.connection();
    let keys: Vec<String> = {
        let mut iter: redis::AsyncIter<'_, String> = c
            .scan_match(format!("{}*", escape_glob(store.namespace())))
            .await
            .unwrap();
        let mut keys = Vec::new();
        while let Some(key) = iter.next_item().await {
            keys.push(key.unwrap());
        }
        keys
    };
    let shift = i64::try_from(secs * 1000).unwrap();
    for key in keys {
        let left: i64 = c.pttl(&key).await.unwrap();
        if left < 0 {
            continue; // no expiry, or already gone
        }
        if left <= shift {
            let _: () = c.del(&key).await.unwrap();
        } else {
            let _: () = c.pexpire(&key, left - shift).await.unwrap();
        }
    }
}
