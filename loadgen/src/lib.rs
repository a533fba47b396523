//! Load generator and micro-benchmarks of the FranceConnect demo (the README's journey, measured like
//! a product): concurrent simulated browsers drive the whole journey against running programs and
//! report throughput, per-step latency, errors, cross-talk and per-program CPU and memory;
//! `fc-microbench` times the per-request costs (JWT signing and verification, pairwise sub, mire,
//! users loading). The procedure and the figures are in `BENCHMARKS.md` at the repository root.
//!
//! Modules: [`config`] (flags), [`people`] (test people, generated or from the fixtures),
//! [`browser`] (cookie jar, timed requests, forms), [`journey`] (the steps and their checks),
//! [`stats`] (percentiles, errors), [`procstat`] (`/proc` readings), [`spawn`] (start the four
//! programs), [`run`] (a load run and its report), [`microbench`] (the timing harness).

pub mod browser;
pub mod config;
pub mod faults;
pub mod flood;
pub mod idp_flow;
pub mod journey;
pub mod microbench;
pub mod people;
pub mod procstat;
pub mod run;
pub mod spawn;
pub mod stats;

pub use config::Config;
pub use run::{Report, run};
