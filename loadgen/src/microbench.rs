//! A small timing harness for `fc-microbench` (criterion is not a workspace dependency): warm-up,
//! then many timed iterations, reporting median, p99 and mean per operation. Each iteration is
//! timed on its own with `Instant`, whose ~20-30 ns overhead is negligible next to the
//! microsecond-scale operations measured here; [`std::hint::black_box`] keeps the optimiser from
//! deleting the work.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::stats::percentile;

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub name: String,
    pub iterations: usize,
    pub median_us: f64,
    pub p99_us: f64,
    pub mean_us: f64,
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<48} {:>7} {:>11.2} {:>11.2} {:>11.2}",
            self.name, self.iterations, self.median_us, self.p99_us, self.mean_us
        )
    }
}

pub fn header() -> String {
    format!(
        "{:<48} {:>7} {:>11} {:>11} {:>11}",
        "operation (µs)", "iters", "median", "p99", "mean"
    )
}

fn summarise(name: &str, mut nanos: Vec<u64>) -> Timing {
    nanos.sort_unstable();
    let total: u64 = nanos.iter().sum();
    // Percentiles on u32 ns would cap at 4 s: plenty for these operations, but saturate anyway.
    let as_u32: Vec<u32> = nanos
        .iter()
        .map(|&n| u32::try_from(n).unwrap_or(u32::MAX))
        .collect();
    Timing {
        name: name.to_owned(),
        iterations: nanos.len(),
        median_us: f64::from(percentile(&as_u32, 0.5)) / 1000.0,
        p99_us: f64::from(percentile(&as_u32, 0.99)) / 1000.0,
        mean_us: total as f64 / nanos.len().max(1) as f64 / 1000.0,
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Runs `op` `warmup` times untimed, then `iterations` times timed.
pub fn bench<T>(name: &str, warmup: usize, iterations: usize, mut op: impl FnMut() -> T) -> Timing {
    for _ in 0..warmup {
        std::hint::black_box(op());
    }
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        std::hint::black_box(op());
        times.push(nanos(started.elapsed()));
    }
    summarise(name, times)
}

/// The same for an async operation (one at a time: latency, not throughput).
pub async fn bench_async<T, F: Future<Output = T>>(
    name: &str,
    warmup: usize,
    iterations: usize,
    mut op: impl FnMut() -> F,
) -> Timing {
    for _ in 0..warmup {
        std::hint::black_box(op().await);
    }
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        std::hint::black_box(op().await);
        times.push(nanos(started.elapsed()));
    }
    summarise(name, times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_counts_iterations_and_orders_its_figures() {
        let mut calls = 0;
        let t = bench("count", 3, 50, || {
            calls += 1;
            calls
        });
        assert_eq!(calls, 53);
        assert_eq!(t.iterations, 50);
        assert!(t.median_us <= t.p99_us);
    }
}
