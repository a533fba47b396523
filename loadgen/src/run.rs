//! A load run: N browser tasks share a journey budget (count and deadline), each logging in as
//! its own person; the programs' CPU and RSS are read before, during (sampled every 100 ms) and
//! after; the merged latencies, errors and readings make the [`Report`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use url::Url;

use crate::browser::{Browser, shared_client};
use crate::faults::{self, FaultsReport};
use crate::idp_flow::IdpFlow;
use crate::journey::JourneyError;
use crate::people::{self, Person};
use crate::procstat::{self, Reading, Watched};
use crate::spawn::{self, Spawned, Startup};
use crate::stats::{ErrorCounts, Samples, StepSummary};
use crate::{Config, journey};

/// What each browser repeats.
#[derive(Clone)]
pub enum Work {
    /// The README's journey from the SP at this URL.
    Journey(Url),
    /// A bare code flow at an identity provider (`--idp-flow`).
    IdpFlow(Arc<IdpFlow>),
}

impl Work {
    fn browser(&self, client: reqwest::Client) -> Browser {
        match self {
            Self::Journey(_) => Browser::new(client),
            Self::IdpFlow(flow) => flow.browser(client),
        }
    }

    async fn run(
        &self,
        browser: &Browser,
        person: &Person,
        samples: &mut Samples,
    ) -> Result<(), JourneyError> {
        match self {
            Self::Journey(sp) => journey::run(browser, sp, person, samples).await,
            Self::IdpFlow(flow) => flow.run(browser, person, samples).await,
        }
    }
}

/// One journey's span, and its error if it failed (kept for `--faults`).
#[derive(Debug)]
pub struct Finished {
    pub started: Instant,
    pub ended: Instant,
    pub error: Option<JourneyError>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub browsers: usize,
    pub journeys_ok: u64,
    pub journeys_failed: u64,
    pub elapsed_secs: f64,
    pub journeys_per_sec: f64,
    /// Whole journeys (login + data + logout), successful ones.
    pub journey: StepSummary,
    pub steps: Vec<StepSummary>,
    pub errors: ErrorCounts,
    pub cross_talk: u64,
    pub programs: Vec<ProgramReport>,
    pub startup: Vec<Startup>,
    pub all_ready_ms: Option<f64>,
    /// `--faults`: restarts, recoveries and the failures sorted by cause.
    pub faults: Option<FaultsReport>,
}

#[derive(Debug, Serialize)]
pub struct ProgramReport {
    pub name: String,
    pub pid: u32,
    /// CPU seconds used during the measured run.
    pub cpu_secs: f64,
    /// CPU used during the run as a share of one core.
    pub cpu_percent: f64,
    pub rss_before_kib: u64,
    /// Highest RSS seen while sampling during the run.
    pub rss_run_max_kib: u64,
    pub rss_after_kib: u64,
    /// Peak RSS since the process started (VmHWM).
    pub hwm_kib: u64,
    /// RSS after --settle-secs.
    pub rss_settled_kib: Option<u64>,
}

/// What the browser tasks bring back.
#[derive(Default)]
struct Outcome {
    samples: Samples,
    journeys: Vec<u32>,
    ok: u64,
    failed: u64,
    errors: ErrorCounts,
    cross_talk: u64,
    timeline: Vec<Finished>,
}

/// Drives `total` journeys (or until `deadline`) over `people.len()` concurrent browsers.
async fn drive(
    client: &reqwest::Client,
    work: &Work,
    people: &[Person],
    total: u64,
    deadline: Instant,
    ramp: Duration,
    new_jar_per_journey: bool,
) -> anyhow::Result<Outcome> {
    let budget = Arc::new(AtomicU64::new(0));
    let count = people.len();
    let mut tasks = Vec::with_capacity(count);
    for (i, person) in people.iter().enumerate() {
        let (client, work, person, budget) =
            (client.clone(), work.clone(), person.clone(), budget.clone());
        let delay = ramp.mul_f64(i as f64 / count.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut browser = work.browser(client);
            let mut out = Outcome::default();
            while budget.fetch_add(1, Ordering::Relaxed) < total && Instant::now() < deadline {
                if new_jar_per_journey {
                    browser.clear_cookies();
                }
                let started = Instant::now();
                let result = work.run(&browser, &person, &mut out.samples).await;
                let ended = Instant::now();
                let error = match result {
                    Ok(()) => {
                        out.ok += 1;
                        let micros = (ended - started).as_micros();
                        out.journeys.push(u32::try_from(micros).unwrap_or(u32::MAX));
                        None
                    }
                    Err(e) => {
                        out.failed += 1;
                        if matches!(e, JourneyError::CrossTalk { .. }) {
                            out.cross_talk += 1;
                        }
                        out.errors.add(e.kind(), e.to_string());
                        // Whatever state the programs kept for this browser, start afresh.
                        browser.clear_cookies();
                        Some(e)
                    }
                };
                out.timeline.push(Finished {
                    started,
                    ended,
                    error,
                });
            }
            out
        }));
    }
    let mut all = Outcome::default();
    for task in tasks {
        let out = task.await.context("a browser task panicked")?;
        all.samples.merge(out.samples);
        all.journeys.extend(out.journeys);
        all.ok += out.ok;
        all.failed += out.failed;
        all.errors.merge(out.errors);
        all.cross_talk += out.cross_talk;
        all.timeline.extend(out.timeline);
    }
    Ok(all)
}

/// The people to use, and the programs if `--spawn` starts them (the IdP alone for
/// `--idp-flow`; the hub with a keys folder for `--faults`, which restarts it).
pub async fn prepare(config: &Config) -> anyhow::Result<(Vec<Person>, Option<Spawned>)> {
    if config.spawn.is_none() && config.generate.is_none() {
        let people = people::from_files(&config.users_dir, &config.records)?;
        return Ok((people, None));
    }
    let count = config.generate.unwrap_or(0).max(config.browsers);
    let generated = people::generate(&config.work_dir, count)?;
    let Some(bin_dir) = &config.spawn else {
        return Ok((generated.people, None));
    };
    let set = if config.idp_flow.is_some() {
        spawn::Set::IdpOnly
    } else {
        spawn::Set::Journey
    };
    let mut env = config.spawn_env.clone();
    let mut hub_args = Vec::new();
    if config.faults.is_some() {
        env.push(faults::dp_keys_env(&config.work_dir));
        hub_args = faults::hub_args_with_keys(&config.work_dir);
    }
    let spawned = spawn::start(
        bin_dir,
        &generated.users_dir,
        &generated.records,
        &env,
        &config.work_dir.join("logs"),
        set,
        &hub_args,
    )
    .await?;
    Ok((generated.people, Some(spawned)))
}

/// `--generate` without `--spawn`: writes the people and says how to start the programs.
pub fn generate_only(config: &Config) -> anyhow::Result<String> {
    let count = config.generate.unwrap_or(0).max(config.browsers);
    let g = people::generate(&config.work_dir, count)?;
    Ok(format!(
        "{count} people written. Start the IdP with --users-dir {} and the DP with --records {}, \
         then run loadgen with the same two paths (--users-dir, --records).",
        g.users_dir.display(),
        g.records.display()
    ))
}

pub async fn run(config: &Config) -> anyhow::Result<Report> {
    let sp = Url::parse(&config.sp_url).context("--sp-url")?;
    anyhow::ensure!(
        config.faults.is_none() || config.spawn.is_some(),
        "--faults restarts the programs it started: it needs --spawn"
    );
    let (people, mut spawned) = prepare(config).await?;
    anyhow::ensure!(
        people.len() >= config.browsers,
        "{} browsers need as many test people, {} found with a DP record (use --generate)",
        config.browsers,
        people.len()
    );
    let people = &people[..config.browsers];
    // With --spawn, --watch adds programs started otherwise (a Redis server, a load balancer).
    let mut watched: Vec<Watched> = spawned.as_ref().map(Spawned::watched).unwrap_or_default();
    for w in &config.watch {
        watched.push(procstat::resolve(w)?);
    }
    // The load generator shares the machine: its own CPU is part of the picture.
    watched.push(Watched {
        name: "loadgen (this process)".into(),
        pid: std::process::id(),
    });
    let client = shared_client(Duration::from_secs(config.timeout_secs))?;
    let work = match &config.idp_flow {
        Some(issuer) => Work::IdpFlow(Arc::new(IdpFlow::discover(&client, issuer, config).await?)),
        None => Work::Journey(sp),
    };
    let far = Instant::now() + Duration::from_secs(3600);
    let ramp = Duration::from_millis(config.ramp_ms);
    if config.warmup > 0 {
        drive(
            &client,
            &work,
            people,
            config.warmup,
            far,
            ramp,
            config.new_jar_per_journey,
        )
        .await?;
    }

    let before: Vec<Reading> = watched
        .iter()
        .map(|w| procstat::read(w.pid).unwrap_or_default())
        .collect();
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (watched, sampling) = (watched.clone(), sampling.clone());
        tokio::spawn(async move {
            let mut max = vec![0u64; watched.len()];
            while sampling.load(Ordering::Relaxed) {
                for (m, w) in max.iter_mut().zip(&watched) {
                    *m = (*m).max(procstat::read(w.pid).map_or(0, |r| r.rss_kib));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            max
        })
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(config.duration_secs.max(0.0));
    let driving = drive(
        &client,
        &work,
        people,
        config.journeys,
        deadline,
        ramp,
        config.new_jar_per_journey,
    );
    let (mut outcome, restarts) = match (config.faults, spawned.as_mut()) {
        (Some(every), Some(programs)) => {
            let schedule = faults::Schedule::new(every, config.duration_secs, &config.work_dir);
            let (outcome, restarts) = tokio::join!(driving, schedule.run(programs, deadline));
            (outcome?, Some(restarts?))
        }
        _ => (driving.await?, None),
    };
    let faults = restarts.map(|r| FaultsReport::new(r, &outcome.timeline, started));
    let elapsed = started.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let run_max = sampler.await?;
    let after: Vec<Reading> = watched
        .iter()
        .map(|w| procstat::read(w.pid).unwrap_or_default())
        .collect();
    let settled: Option<Vec<u64>> = if config.settle_secs > 0.0 {
        drop(client);
        tokio::time::sleep(Duration::from_secs_f64(config.settle_secs)).await;
        Some(
            watched
                .iter()
                .map(|w| procstat::read(w.pid).map_or(0, |r| r.rss_kib))
                .collect(),
        )
    } else {
        None
    };

    let programs = watched
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let cpu = after[i].cpu_secs - before[i].cpu_secs;
            ProgramReport {
                name: w.name.clone(),
                pid: w.pid,
                cpu_secs: cpu,
                cpu_percent: 100.0 * cpu / elapsed.max(1e-9),
                rss_before_kib: before[i].rss_kib,
                rss_run_max_kib: run_max.get(i).copied().unwrap_or(0).max(after[i].rss_kib),
                rss_after_kib: after[i].rss_kib,
                hwm_kib: after[i].hwm_kib,
                rss_settled_kib: settled.as_ref().map(|s| s[i]),
            }
        })
        .collect();
    Ok(Report {
        browsers: config.browsers,
        journeys_ok: outcome.ok,
        journeys_failed: outcome.failed,
        elapsed_secs: elapsed,
        journeys_per_sec: outcome.ok as f64 / elapsed.max(1e-9),
        journey: StepSummary::of("journey", &mut outcome.journeys),
        steps: outcome.samples.summaries(),
        errors: outcome.errors,
        cross_talk: outcome.cross_talk,
        programs,
        startup: spawned
            .as_ref()
            .map(|s| s.startup.clone())
            .unwrap_or_default(),
        all_ready_ms: spawned.as_ref().map(|s| s.all_ready_ms),
        faults,
    })
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} browsers: {} journeys ok, {} failed in {:.2} s = {:.1} journeys/s; cross-talk: {}",
            self.browsers,
            self.journeys_ok,
            self.journeys_failed,
            self.elapsed_secs,
            self.journeys_per_sec,
            self.cross_talk
        )?;
        if let Some(ms) = self.all_ready_ms {
            write!(f, "startup (process start → first HTTP answer):")?;
            for s in &self.startup {
                write!(f, " {} {:.0} ms;", s.program, s.ready_ms)?;
            }
            writeln!(f, " all four ready after {ms:.0} ms")?;
        }
        writeln!(
            f,
            "\n{:<52} {:>7} {:>8} {:>8} {:>8} {:>8}",
            "step (ms)", "count", "p50", "p95", "p99", "max"
        )?;
        for s in self.steps.iter().chain(std::iter::once(&self.journey)) {
            writeln!(
                f,
                "{:<52} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                s.step, s.count, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms
            )?;
        }
        if !self.programs.is_empty() {
            writeln!(
                f,
                "\n{:<26} {:>8} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}",
                "program (RSS in MiB)",
                "CPU s",
                "CPU %",
                "before",
                "run max",
                "after",
                "peak",
                "settled"
            )?;
            for p in &self.programs {
                let mib = |k: u64| k as f64 / 1024.0;
                let settled = p
                    .rss_settled_kib
                    .map_or("-".to_owned(), |k| format!("{:.1}", mib(k)));
                writeln!(
                    f,
                    "{:<26} {:>8.2} {:>6.0} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9}",
                    p.name,
                    p.cpu_secs,
                    p.cpu_percent,
                    mib(p.rss_before_kib),
                    mib(p.rss_run_max_kib),
                    mib(p.rss_after_kib),
                    mib(p.hwm_kib),
                    settled
                )?;
            }
        }
        if let Some(faults) = &self.faults {
            write!(f, "\n{faults}")?;
        }
        if self.errors.by_kind.is_empty() {
            writeln!(f, "\nerrors: none")?;
        } else {
            writeln!(f, "\nerrors by kind:")?;
            for (kind, e) in &self.errors.by_kind {
                writeln!(f, "  {:>6} × {kind}  (e.g. {})", e.count, e.example)?;
            }
        }
        Ok(())
    }
}
