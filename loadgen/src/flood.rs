//! `--flood PROGRAM`: cookie-less requests at full speed against one program for
//! `--duration-secs`, while one user stays logged in at the SP and one journey waits at the IdP's
//! login form. Both must come through: afterwards the logged-in user still sees their identity
//! and data, and the waiting journey logs in. RSS of every program is sampled during the flood and
//! read again after `--settle-secs` (`BENCHMARKS.md`, "Floods").
//!
//! What each flood asks for, the request that costs its program the most without a cookie:
//! the hub's `/api/v2/authorize` with the SP's real parameters (a new session each time), the
//! SP's `/login` (a new login in progress each time), the IdP's `/authorize` with the hub's real
//! parameters (a new login form each time), the DP's data endpoint without a token.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use url::Url;

use crate::browser::{self, Browser, shared_client};
use crate::procstat;
use crate::stats::Samples;
use crate::{Config, journey};

/// Concurrent flooding connections.
const FLOODERS: usize = 64;

#[derive(Debug, Serialize)]
pub struct FloodReport {
    pub target: String,
    pub url: String,
    pub secs: f64,
    pub requests: u64,
    pub per_sec: f64,
    /// Answers by HTTP status; `0` counts transport errors.
    pub statuses: Vec<(u16, u64)>,
    pub logged_in_user_survived: Result<(), String>,
    pub waiting_journey_survived: Result<(), String>,
    pub programs: Vec<FloodRss>,
}

#[derive(Debug, Serialize)]
pub struct FloodRss {
    pub name: String,
    pub before_kib: u64,
    pub during_max_kib: u64,
    pub after_kib: u64,
    pub settled_kib: Option<u64>,
}

pub async fn run(config: &Config) -> anyhow::Result<FloodReport> {
    let target = config.flood.clone().unwrap_or_default();
    anyhow::ensure!(
        config.spawn.is_some(),
        "--flood measures the programs it starts: it needs --spawn"
    );
    let sp = Url::parse(&config.sp_url).context("--sp-url")?;
    let (people, spawned) = crate::run::prepare(config).await?;
    let spawned = spawned.context("--flood needs --spawn")?;
    let [resident, waiting, ..] = people.as_slice() else {
        anyhow::bail!("--flood needs two test people");
    };
    let client = shared_client(Duration::from_secs(config.timeout_secs))?;
    let mut samples = Samples::default();

    // A user logged in (with data), and a journey waiting at the IdP's login form.
    let user = Browser::new(client.clone());
    let page = journey::start_login(&user, &sp, &mut samples).await?;
    journey::finish_login(&user, &page, resident, &mut samples).await?;
    journey::data(&user, &sp, resident, &mut samples).await?;
    let traveller = Browser::new(client.clone());
    let login_page = journey::start_login(&traveller, &sp, &mut samples).await?;

    // The SP's redirect to the hub, with the SP's real parameters (the login page's own hops
    // start at the mire).
    let to_hub = Browser::new(client.clone())
        .open("flood", sp.join("/login")?, &mut samples)
        .await
        .map_err(journey::JourneyError::from)?;
    let url = flood_url(&target, &sp, &[&to_hub, &login_page])?;
    let watched = spawned.watched();
    let rss = |pid: u32| procstat::read(pid).map_or(0, |r| r.rss_kib);
    let before: Vec<u64> = watched.iter().map(|w| rss(w.pid)).collect();

    let flooding = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (watched, flooding) = (watched.clone(), flooding.clone());
        tokio::spawn(async move {
            let mut max = vec![0u64; watched.len()];
            // A fixed sampling rate (ticks do not drift with the time a sample takes).
            let mut every = tokio::time::interval(Duration::from_millis(100));
            while flooding.load(Ordering::Relaxed) {
                every.tick().await;
                for (m, w) in max.iter_mut().zip(&watched) {
                    *m = (*m).max(rss(w.pid));
                }
            }
            max
        })
    };
    let started = Instant::now();
    let (requests, statuses) = flood(&url, Duration::from_secs_f64(config.duration_secs)).await?;
    let secs = started.elapsed().as_secs_f64();
    flooding.store(false, Ordering::Relaxed);
    let during = sampler.await?;
    let after: Vec<u64> = watched.iter().map(|w| rss(w.pid)).collect();

    // Both must come through the flood.
    let logged_in_user_survived = async {
        let me = user
            .open("after", sp.join("/me")?, &mut samples)
            .await
            .map_err(journey::JourneyError::from)?;
        journey::check_me(&me, resident)?;
        journey::data(&user, &sp, resident, &mut samples).await?;
        journey::logout(&user, &sp, &mut samples).await?;
        anyhow::Ok(())
    }
    .await
    .map_err(|e| e.to_string());
    let waiting_journey_survived = async {
        journey::finish_login(&traveller, &login_page, waiting, &mut samples).await?;
        journey::data(&traveller, &sp, waiting, &mut samples).await?;
        journey::logout(&traveller, &sp, &mut samples).await?;
        anyhow::Ok(())
    }
    .await
    .map_err(|e| e.to_string());

    let settled: Option<Vec<u64>> = if config.settle_secs > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(config.settle_secs)).await;
        Some(watched.iter().map(|w| rss(w.pid)).collect())
    } else {
        None
    };
    let programs = watched
        .iter()
        .enumerate()
        .map(|(i, w)| FloodRss {
            name: w.name.clone(),
            before_kib: before[i],
            during_max_kib: during[i].max(after[i]),
            after_kib: after[i],
            settled_kib: settled.as_ref().map(|s| s[i]),
        })
        .collect();
    drop(spawned);
    Ok(FloodReport {
        target,
        url: url
            .as_str()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned(),
        secs,
        requests,
        per_sec: requests as f64 / secs.max(1e-9),
        statuses,
        logged_in_user_survived,
        waiting_journey_survived,
        programs,
    })
}

/// The URL flooded for `target`, with real parameters taken from the hops of `pages`.
fn flood_url(target: &str, sp: &Url, pages: &[&browser::Page]) -> anyhow::Result<Url> {
    let hop = |path: &str| {
        pages
            .iter()
            .flat_map(|page| &page.hops)
            .find(|u| u.path() == path)
            .cloned()
            .with_context(|| format!("the journey did not go through {path}"))
    };
    match target {
        "hub" => hop("/api/v2/authorize"),
        "idp" => hop("/authorize"),
        "sp" => Ok(sp.join("/login")?),
        "dp" => Ok(Url::parse(
            "http://127.0.0.1:8002/situations/ir/assiettes/annrev/2023",
        )?),
        other => anyhow::bail!("--flood {other}: expected hub, sp, idp or dp"),
    }
}

/// [`FLOODERS`] loops of cookie-less GETs on `url` for `duration`; returns the count and the
/// answers by status.
async fn flood(url: &Url, duration: Duration) -> anyhow::Result<(u64, Vec<(u16, u64)>)> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(3))
        .build()?;
    let deadline = Instant::now() + duration;
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..FLOODERS {
        let (client, url, count) = (client.clone(), url.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            let mut statuses: Vec<(u16, u64)> = Vec::new();
            while Instant::now() < deadline {
                let status = match client.get(url.clone()).send().await {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                count.fetch_add(1, Ordering::Relaxed);
                match statuses.iter_mut().find(|(s, _)| *s == status) {
                    Some((_, n)) => *n += 1,
                    None => statuses.push((status, 1)),
                }
            }
            statuses
        }));
    }
    let mut all: Vec<(u16, u64)> = Vec::new();
    for task in tasks {
        for (status, n) in task.await? {
            match all.iter_mut().find(|(s, _)| *s == status) {
                Some((_, m)) => *m += n,
                None => all.push((status, n)),
            }
        }
    }
    all.sort_unstable();
    Ok((count.load(Ordering::Relaxed), all))
}

impl fmt::Display for FloodReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "flood of {} ({}): {} requests in {:.1} s = {:.0}/s; answers {:?} (0: transport error)",
            self.target, self.url, self.requests, self.secs, self.per_sec, self.statuses
        )?;
        let said = |r: &Result<(), String>| match r {
            Ok(()) => "yes".to_owned(),
            Err(e) => format!("NO: {e}"),
        };
        writeln!(
            f,
            "logged-in user still logged in, data and logout: {}",
            said(&self.logged_in_user_survived)
        )?;
        writeln!(
            f,
            "journey waiting at the IdP completed: {}",
            said(&self.waiting_journey_survived)
        )?;
        writeln!(
            f,
            "{:<28} {:>9} {:>12} {:>9} {:>9}",
            "program (RSS in MiB)", "before", "during max", "after", "settled"
        )?;
        let mib = |k: u64| format!("{:.1}", k as f64 / 1024.0);
        for p in &self.programs {
            writeln!(
                f,
                "{:<28} {:>9} {:>12} {:>9} {:>9}",
                p.name,
                mib(p.before_kib),
                mib(p.during_max_kib),
                mib(p.after_kib),
                p.settled_kib.map_or("-".to_owned(), mib)
            )?;
        }
        Ok(())
    }
}
