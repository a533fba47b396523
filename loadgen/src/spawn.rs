//! `--spawn`: starts the four release programs as separate processes (so CPU and RSS are per
//! program), on their default ports, the IdP and DP reading the generated people; measures the
//! time from process start until each answers HTTP; stops them (by PID) when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use crate::procstat::Watched;

/// A started program: killed and reaped on drop, so an early error leaves nothing running.
pub struct Program {
    pub name: &'static str,
    child: Child,
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    pub program: String,
    /// From the start of this process to its first HTTP answer.
    pub ready_ms: f64,
}

pub struct Spawned {
    pub programs: Vec<Program>,
    pub startup: Vec<Startup>,
    /// From the first process start until the last program answered.
    pub all_ready_ms: f64,
}

impl Spawned {
    pub fn watched(&self) -> Vec<Watched> {
        self.programs
            .iter()
            .map(|p| Watched {
                name: p.name.to_owned(),
                pid: p.child.id(),
            })
            .collect()
    }
}

/// Starts hub, IdP, DP and SP from `bin_dir` and waits until all four answer (at most 30 s).
pub async fn start(
    bin_dir: &Path,
    users_dir: &Path,
    records: &Path,
    env: &[String],
    logs: &Path,
) -> anyhow::Result<Spawned> {
    std::fs::create_dir_all(logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let users = users_dir.to_string_lossy().into_owned();
    let records = records.to_string_lossy().into_owned();
    let specs: [(&'static str, Vec<&str>, &str); 4] = [
        (
            "hub",
            vec![],
            "http://127.0.0.1:8000/api/v2/.well-known/openid-configuration",
        ),
        (
            "identity-provider-example",
            vec!["--users-dir", &users],
            "http://127.0.0.1:8001/",
        ),
        (
            "data-provider-example",
            vec!["--records", &records],
            "http://127.0.0.1:8002/",
        ),
        ("service-provider-example", vec![], "http://127.0.0.1:3000/"),
    ];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()?;
    let first = Instant::now();
    let mut programs = Vec::new();
    let mut waits = Vec::new();
    for (name, args, probe) in specs {
        let log = std::fs::File::create(logs.join(format!("{name}.log")))?;
        let mut command = Command::new(bin_dir.join(name));
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for pair in env {
            let (k, v) = pair
                .split_once('=')
                .with_context(|| format!("--spawn-env {pair}: expected KEY=VALUE"))?;
            command.env(k, v);
        }
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", bin_dir.join(name).display()))?;
        programs.push(Program { name, child });
        let client = client.clone();
        let probe = probe.to_owned();
        waits.push(tokio::spawn(async move {
            // Poll until the first HTTP answer, whatever its status: the program is serving.
            while started.elapsed() < Duration::from_secs(30) {
                if client.get(&probe).send().await.is_ok() {
                    return Some((started.elapsed(), first.elapsed()));
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            None
        }));
    }
    let mut startup = Vec::new();
    let mut all_ready = Duration::ZERO;
    for (wait, program) in waits.into_iter().zip(&programs) {
        let (own, since_first) = wait
            .await?
            .with_context(|| format!("{} did not answer within 30 s", program.name))?;
        all_ready = all_ready.max(since_first);
        startup.push(Startup {
            program: program.name.into(),
            ready_ms: own.as_secs_f64() * 1000.0,
        });
    }
    Ok(Spawned {
        programs,
        startup,
        all_ready_ms: all_ready.as_secs_f64() * 1000.0,
    })
}
