//! `--faults SECS`: a soak test of the journey while programs crash. Every SECS seconds one
//! program is killed (SIGKILL) and started again with the same command, in turn the IdP, the DP
//! and the hub; the hub runs with a keys folder during the first half of the run (a restart keeps
//! its signing keys) and without one during the second half (every restart brings new keys, which
//! the SP and the DP must fetch again). The DP keeps its keys throughout ([`dp_keys_env`]). Each
//! failed journey is then sorted:
//!
//! - **clear**: it crossed a restart and ended on an error page with its code (the hub's `Y…`
//!   page, the SP's French error page), or on a refused connection to (or a request dropped by)
//!   the program that was down at that moment;
//! - **otherwise**: anything else (an error answer without a page, a timeout, wrong data), or any
//!   failure of a journey that crossed no restart at all (a failure after recovery).
//!
//! A restart's recovery time is from the kill until the first journey that started after the
//! program answered again completes. "Otherwise" must stay at zero (`BENCHMARKS.md`, "Faults").

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::journey::JourneyError;
use crate::run::Finished;
use crate::spawn::{self, Spawned};

/// How long a killed program stays down before it is started again: long enough for browsers
/// to meet the closed port, as they would while a supervisor restarts a crashed program.
const DOWN_FOR: Duration = Duration::from_secs(1);
/// The programs killed, in turn.
const TARGETS: [&str; 3] = ["identity-provider-example", "data-provider-example", "hub"];

/// The hub's arguments for the first half: its keys in `work_dir/hub-keys`.
pub fn hub_args_with_keys(work_dir: &Path) -> Vec<String> {
    vec![
        "--keys-dir".into(),
        work_dir.join("hub-keys").to_string_lossy().into_owned(),
    ]
}

/// The DP keeps its keys in `work_dir/dp-keys` through its restarts, as a data provider whose
/// keys are registered at the hub must: restarted without them, its data calls fail (the hub
/// encrypts checktoken answers to the published key it cached) until the hub fetches the new
/// ones (`BENCHMARKS.md`, "Faults").
pub fn dp_keys_env(work_dir: &Path) -> String {
    format!(
        "FC_DP_KEYS_DIR={}",
        work_dir.join("dp-keys").to_string_lossy()
    )
}

/// When to kill what.
pub struct Schedule {
    every: Duration,
    half: Duration,
}

/// One kill and restart.
#[derive(Debug, Clone)]
pub struct Restart {
    pub program: &'static str,
    /// `hub` with or without its keys folder.
    pub label: String,
    pub killed: Instant,
    /// When the restarted program answered its probe (`None`: it never did).
    pub ready: Option<Instant>,
}

impl Schedule {
    pub fn new(every_secs: f64, duration_secs: f64, _work_dir: &Path) -> Self {
        Self {
            every: Duration::from_secs_f64(every_secs.max(2.0)),
            half: Duration::from_secs_f64(duration_secs.max(0.0) / 2.0),
        }
    }

    /// Runs the schedule until `deadline` (the last restart leaves time for a recovery).
    pub async fn run(
        self,
        spawned: &mut Spawned,
        deadline: Instant,
    ) -> anyhow::Result<Vec<Restart>> {
        let client = spawn::probe_client()?;
        let started = Instant::now();
        let mut restarts = Vec::new();
        // One kill every `every` on a fixed schedule (a late tick fires at once, as `next` expects).
        let mut schedule = tokio::time::interval_at((started + self.every).into(), self.every);
        let mut next = started + self.every;
        for i in 0.. {
            if next + self.every / 2 > deadline {
                break;
            }
            schedule.tick().await;
            let target = TARGETS[i % TARGETS.len()];
            let Some(program) = spawned.program_mut(target) else {
                anyhow::bail!("--faults: {target} was not spawned");
            };
            if target == "hub" && started.elapsed() >= self.half {
                // Second half: no keys folder, new keys at every start.
                let args: Vec<String> = program.args().to_vec();
                if let Some(at) = args.iter().position(|a| a == "--keys-dir") {
                    let mut args = args;
                    args.drain(at..(at + 2).min(args.len()));
                    program.set_args(args);
                }
            }
            let label = if target == "hub" {
                if program.args().iter().any(|a| a == "--keys-dir") {
                    "hub (keys folder)".to_owned()
                } else {
                    "hub (no keys folder)".to_owned()
                }
            } else {
                target.to_owned()
            };
            let killed = Instant::now();
            program.kill();
            tokio::time::sleep(DOWN_FOR).await;
            program.launch()?;
            let ready = program.wait_ready(&client).await.map(|_| Instant::now());
            restarts.push(Restart {
                program: target,
                label,
                killed,
                ready,
            });
            next += self.every;
        }
        Ok(restarts)
    }
}

/// What the soak test found.
#[derive(Debug, Serialize)]
pub struct FaultsReport {
    pub journeys_ok: u64,
    pub failed_clear: u64,
    pub failed_otherwise: u64,
    /// Of `failed_otherwise`: journeys that crossed no restart.
    pub failed_after_recovery: u64,
    /// A few of the failures counted "otherwise", as messages.
    pub otherwise_examples: Vec<String>,
    pub restarts: Vec<RestartReport>,
}

#[derive(Debug, Serialize)]
pub struct RestartReport {
    pub program: String,
    /// Seconds into the measured run.
    pub at_secs: f64,
    /// Kill → the program answers again (down time included).
    pub back_ms: Option<f64>,
    /// Kill → the first journey started after it was back completes.
    pub recovered_ms: Option<f64>,
    /// Journeys that crossed this restart and failed.
    pub failed: u64,
}

/// The program a step name (`"{phase} {METHOD} {program} {path}"`) belongs to.
fn step_program(step: &str) -> Option<&'static str> {
    match step.split(' ').nth(2)? {
        "hub" => Some("hub"),
        "idp" => Some("identity-provider-example"),
        "sp" => Some("service-provider-example"),
        _ => None,
    }
}

impl FaultsReport {
    pub fn new(restarts: Vec<Restart>, timeline: &[Finished], run_start: Instant) -> Self {
        let crossed = |f: &Finished, r: &Restart| {
            let back = r.ready.unwrap_or(f.ended);
            f.started <= back && f.ended >= r.killed
        };
        let mut report = Self {
            journeys_ok: 0,
            failed_clear: 0,
            failed_otherwise: 0,
            failed_after_recovery: 0,
            otherwise_examples: Vec::new(),
            restarts: Vec::new(),
        };
        for f in timeline {
            let Some(error) = &f.error else {
                report.journeys_ok += 1;
                continue;
            };
            let around: Vec<&Restart> = restarts.iter().filter(|r| crossed(f, r)).collect();
            let clear = !around.is_empty()
                && (error.page_code().is_some() || refused_by_down(error, f, &around));
            if clear {
                report.failed_clear += 1;
                continue;
            }
            report.failed_otherwise += 1;
            if around.is_empty() {
                report.failed_after_recovery += 1;
            }
            if report.otherwise_examples.len() < 10 {
                let when = (f.ended - run_start).as_secs_f64();
                report
                    .otherwise_examples
                    .push(format!("at {when:.1} s: {error}"));
            }
        }
        for r in &restarts {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let recovered = r.ready.and_then(|back| {
                timeline
                    .iter()
                    .filter(|f| f.error.is_none() && f.started >= back)
                    .map(|f| f.ended)
                    .min()
            });
            report.restarts.push(RestartReport {
                program: r.label.clone(),
                at_secs: (r.killed - run_start).as_secs_f64(),
                back_ms: r.ready.map(|t| ms(t - r.killed)),
                recovered_ms: recovered.map(|t| ms(t - r.killed)),
                failed: timeline
                    .iter()
                    .filter(|f| f.error.is_some() && crossed(f, r))
                    .count() as u64,
            });
        }
        report
    }
}

/// A refused connection to a program that was down when the journey failed, or a request that
/// program dropped as it was killed (what a browser shows for a crashed server: nothing the
/// program could have put on a page).
fn refused_by_down(error: &JourneyError, f: &Finished, around: &[&Restart]) -> bool {
    let JourneyError::Transport { step, detail } = error else {
        return false;
    };
    (detail == "connect" || detail == "request")
        && around.iter().any(|r| {
            step_program(step) == Some(r.program)
                && f.ended >= r.killed
                && r.ready.is_none_or(|back| f.ended <= back)
        })
}

impl fmt::Display for FaultsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "faults: {} journeys ok, {} failed with a clear page or a refused connection to a \
             program that was down, {} failed otherwise ({} of them after recovery)",
            self.journeys_ok, self.failed_clear, self.failed_otherwise, self.failed_after_recovery
        )?;
        writeln!(
            f,
            "{:<24} {:>8} {:>10} {:>13} {:>7}",
            "restart", "at (s)", "back (ms)", "recovered (ms)", "failed"
        )?;
        let opt = |v: Option<f64>| v.map_or("never".to_owned(), |v| format!("{v:.0}"));
        for r in &self.restarts {
            writeln!(
                f,
                "{:<24} {:>8.1} {:>10} {:>13} {:>7}",
                r.program,
                r.at_secs,
                opt(r.back_ms),
                opt(r.recovered_ms),
                r.failed
            )?;
        }
        for e in &self.otherwise_examples {
            writeln!(f, "  otherwise: {e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(base: Instant, from: u64, to: u64, error: Option<JourneyError>) -> Finished {
        Finished {
            started: base + Duration::from_secs(from),
            ended: base + Duration::from_secs(to),
            error,
        }
    }

    #[test]
    fn failures_are_sorted_by_what_the_browser_saw_and_when() {
        let t = Instant::now();
        let restart = Restart {
            program: "hub",
            label: "hub (keys folder)".into(),
            killed: t + Duration::from_secs(10),
            ready: Some(t + Duration::from_secs(12)),
        };
        let status = |code: Option<&str>| JourneyError::Status {
            step: "login GET hub /api/v2/authorize".into(),
            status: 400,
            code: code.map(str::to_owned),
        };
        let refused = |step: &str| JourneyError::Transport {
            step: step.into(),
            detail: "connect".into(),
        };
        let timeline = vec![
            finished(t, 1, 2, None),
            // Crossed the restart, error page with its code: clear.
            finished(t, 9, 13, Some(status(Some("Y000004")))),
            // Refused by the hub while it was down: clear.
            finished(t, 9, 11, Some(refused("login GET hub /api/v2/authorize"))),
            // A request the hub dropped as it was killed: clear.
            finished(
                t,
                9,
                10,
                Some(JourneyError::Transport {
                    step: "login GET hub /api/v2/authorize".into(),
                    detail: "request".into(),
                }),
            ),
            // Refused by the SP, which was not down: otherwise.
            finished(t, 9, 11, Some(refused("login GET sp /login"))),
            // An error without a page while crossing: otherwise.
            finished(t, 9, 13, Some(status(None))),
            // After recovery, even with a page: otherwise.
            finished(t, 14, 15, Some(status(Some("Y000004")))),
            finished(t, 13, 16, None),
        ];
        let report = FaultsReport::new(vec![restart], &timeline, t);
        assert_eq!(report.journeys_ok, 2);
        assert_eq!(report.failed_clear, 3);
        assert_eq!(report.failed_otherwise, 3);
        assert_eq!(report.failed_after_recovery, 1);
        assert_eq!(report.restarts[0].failed, 5);
        assert_eq!(report.restarts[0].back_ms, Some(2000.0));
        assert_eq!(report.restarts[0].recovered_ms, Some(6000.0));
    }
}
