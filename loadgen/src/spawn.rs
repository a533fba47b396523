//! `--spawn`: starts the release programs as separate processes (so CPU and RSS are per
//! program), on their default ports, the IdP and DP reading the generated people; measures the
//! time from process start until each answers HTTP; stops them (by PID) when dropped. A program
//! can be killed and started again with the same command (`--faults`). It refuses to start when
//! one of those ports already answers: the figures would be another process's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use crate::procstat::Watched;

/// How long a program may take to answer its first request.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// A started program: killed and reaped on drop, so an early error leaves nothing running.
pub struct Program {
    pub name: &'static str,
    bin: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    /// A URL that answers once the program serves.
    pub probe: String,
    child: Option<Child>,
}

impl Drop for Program {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Program {
    /// Starts the program (its output appended to its log).
    pub fn launch(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        let child = Command::new(&self.bin)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Kills the process (SIGKILL: a crash, not a clean stop) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Fails if the process has already exited (its log says why: a port taken, a bad option).
    pub fn still_running(&mut self) -> anyhow::Result<()> {
        let Some(child) = self.child.as_mut() else {
            anyhow::bail!("{} was not started", self.name);
        };
        match child.try_wait()? {
            None => Ok(()),
            Some(status) => anyhow::bail!(
                "{} exited ({status}) right after starting: see {}",
                self.name,
                self.log.display()
            ),
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The arguments of the next [`Program::launch`].
    pub fn set_args(&mut self, args: Vec<String>) {
        self.args = args;
    }

    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// Polls the probe every 2 ms until the first HTTP answer, whatever its status.
    pub async fn wait_ready(&self, client: &reqwest::Client) -> Option<Duration> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if client.get(&self.probe).send().await.is_ok() {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        None
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
            .filter_map(|p| {
                Some(Watched {
                    name: p.name.to_owned(),
                    pid: p.pid()?,
                })
            })
            .collect()
    }

    pub fn program_mut(&mut self, name: &str) -> Option<&mut Program> {
        self.programs.iter_mut().find(|p| p.name == name)
    }
}

/// Which programs `--spawn` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// Hub, IdP, DP and SP: the whole journey.
    Journey,
    /// The IdP alone (`--idp-flow`).
    IdpOnly,
}

/// A client for readiness probes.
pub fn probe_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .pool_max_idle_per_host(0)
        .build()
}

/// Fails if a program's probe answers before the program is started. Something still listening
/// there (often a program left running by an earlier run) would be measured in place of the one
/// started now, whose bind fails: zero CPU, zero RSS, and journeys that succeed all the same.
async fn refuse_taken<'a>(
    client: &reqwest::Client,
    probes: impl Iterator<Item = (&'a str, &'a str)>,
) -> anyhow::Result<()> {
    for (name, probe) in probes {
        if client.get(probe).send().await.is_ok() {
            anyhow::bail!(
                "{probe} answers before {name} is started: stop what listens there first"
            );
        }
    }
    Ok(())
}

/// Starts the programs of `set` from `bin_dir` (the hub with `hub_args`) and waits until all
/// answer (at most 30 s each).
pub async fn start(
    bin_dir: &Path,
    users_dir: &Path,
    records: &Path,
    env: &[String],
    logs: &Path,
    set: Set,
    hub_args: &[String],
) -> anyhow::Result<Spawned> {
    std::fs::create_dir_all(logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let users = users_dir.to_string_lossy().into_owned();
    let records = records.to_string_lossy().into_owned();
    let mut specs: Vec<(&'static str, Vec<String>, &str)> = vec![
        (
            "hub",
            hub_args.to_vec(),
            "http://127.0.0.1:8000/api/v2/.well-known/openid-configuration",
        ),
        (
            "identity-provider-example",
            vec!["--users-dir".into(), users],
            "http://127.0.0.1:8001/",
        ),
        (
            "data-provider-example",
            vec!["--records".into(), records],
            "http://127.0.0.1:8002/",
        ),
        ("service-provider-example", vec![], "http://127.0.0.1:3000/"),
    ];
    if set == Set::IdpOnly {
        specs.retain(|(name, _, _)| *name == "identity-provider-example");
    }
    let env = env
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .with_context(|| format!("--spawn-env {pair}: expected KEY=VALUE"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let client = probe_client()?;
    refuse_taken(
        &client,
        specs.iter().map(|(name, _, probe)| (*name, *probe)),
    )
    .await?;
    let first = Instant::now();
    let mut programs = Vec::new();
    let mut waits = Vec::new();
    for (name, args, probe) in specs {
        let log = logs.join(format!("{name}.log"));
        // A fresh log per run; restarts append to it.
        std::fs::File::create(&log)?;
        let mut program = Program {
            name,
            bin: bin_dir.join(name),
            args,
            env: env.clone(),
            log,
            probe: probe.to_owned(),
            child: None,
        };
        let started = Instant::now();
        program.launch()?;
        let client = client.clone();
        let probe = program.probe.clone();
        programs.push(program);
        waits.push(tokio::spawn(async move {
            while started.elapsed() < READY_WITHIN {
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
    for (wait, program) in waits.into_iter().zip(&mut programs) {
        let (own, since_first) = wait
            .await?
            .with_context(|| format!("{} did not answer within 30 s", program.name))?;
        program.still_running()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[tokio::test]
    async fn a_port_that_already_answers_is_refused() -> anyhow::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let taken = format!("http://{}/", listener.local_addr()?);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut request = [0_u8; 1024];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            }
        });
        let client = probe_client()?;
        let refused = refuse_taken(&client, [("hub", taken.as_str())].into_iter()).await;
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("answers before hub is started"),
            "{message}"
        );

        let free = std::net::TcpListener::bind("127.0.0.1:0")?;
        let closed = format!("http://{}/", free.local_addr()?);
        drop(free);
        refuse_taken(&client, [("hub", closed.as_str())].into_iter()).await
    }
}
