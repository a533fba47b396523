//! Latency series and their percentiles. Each browser task keeps its own [`Samples`] (no lock on
//! the hot path) and the run merges them at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// Latencies in microseconds, per step, in the order steps were first seen (journey order).
#[derive(Debug, Default)]
pub struct Samples {
    steps: Vec<(String, Vec<u32>)>,
}

impl Samples {
    pub fn record(&mut self, step: &str, elapsed: Duration) {
        let micros = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
        // About 25 steps: a linear scan beats hashing the name.
        match self.steps.iter_mut().find(|(name, _)| name == step) {
            Some((_, series)) => series.push(micros),
            None => self.steps.push((step.to_owned(), vec![micros])),
        }
    }

    pub fn merge(&mut self, other: Samples) {
        for (step, series) in other.steps {
            match self.steps.iter_mut().find(|(name, _)| *name == step) {
                Some((_, mine)) => mine.extend(series),
                None => self.steps.push((step, series)),
            }
        }
    }

    pub fn summaries(&mut self) -> Vec<StepSummary> {
        self.steps
            .iter_mut()
            .map(|(step, series)| StepSummary::of(step, series))
            .collect()
    }
}

/// Percentiles of one series, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct StepSummary {
    pub step: String,
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl StepSummary {
    pub fn of(step: &str, series: &mut [u32]) -> Self {
        series.sort_unstable();
        let ms = |q: f64| f64::from(percentile(series, q)) / 1000.0;
        Self {
            step: step.to_owned(),
            count: series.len(),
            p50_ms: ms(0.50),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            max_ms: ms(1.0),
        }
    }
}

/// Nearest-rank percentile of a sorted series (0 when empty).
pub fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    // Nearest rank: ceil(q·n), 1-based.
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Errors by kind, with one full message of each kind as an example.
#[derive(Debug, Default, Serialize)]
pub struct ErrorCounts {
    pub by_kind: BTreeMap<String, ErrorKind>,
}

#[derive(Debug, Serialize)]
pub struct ErrorKind {
    pub count: u64,
    pub example: String,
}

impl ErrorCounts {
    pub fn add(&mut self, kind: String, example: String) {
        self.by_kind
            .entry(kind)
            .or_insert(ErrorKind { count: 0, example })
            .count += 1;
    }

    pub fn merge(&mut self, other: ErrorCounts) {
        for (kind, e) in other.by_kind {
            let mine = self.by_kind.entry(kind).or_insert(ErrorKind {
                count: 0,
                example: e.example,
            });
            mine.count += e.count;
        }
    }

    pub fn total(&self) -> u64 {
        self.by_kind.values().map(|e| e.count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 0.5), 50);
        assert_eq!(percentile(&sorted, 0.99), 99);
        assert_eq!(percentile(&sorted, 1.0), 100);
        assert_eq!(percentile(&[7], 0.5), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn samples_merge_by_step_in_first_seen_order() {
        let mut a = Samples::default();
        a.record("b", Duration::from_millis(2));
        a.record("a", Duration::from_millis(1));
        let mut b = Samples::default();
        b.record("a", Duration::from_millis(3));
        b.record("c", Duration::from_millis(4));
        a.merge(b);
        let s = a.summaries();
        let names: Vec<&str> = s.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(names, ["b", "a", "c"]);
        assert_eq!(s[1].count, 2);
        assert!((s[1].max_ms - 3.0).abs() < 1e-9);
    }

    #[test]
    fn errors_are_counted_by_kind_keeping_the_first_example() {
        let mut e = ErrorCounts::default();
        e.add("k".into(), "first".into());
        e.add("k".into(), "second".into());
        let mut other = ErrorCounts::default();
        other.add("k".into(), "third".into());
        other.add("j".into(), "x".into());
        e.merge(other);
        assert_eq!(e.total(), 4);
        assert_eq!(e.by_kind["k"].example, "first");
    }
}
