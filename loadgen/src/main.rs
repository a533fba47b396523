//! `loadgen`: the load generator's command line (see `loadgen --help` and `BENCHMARKS.md`).

use std::process::ExitCode;

use clap::Parser;
use loadgen::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    if config.generate.is_some() && config.spawn.is_none() {
        return match loadgen::run::generate_only(&config) {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("loadgen: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    if config.flood.is_some() {
        return match loadgen::flood::run(&config).await {
            Ok(report) => {
                println!("{report}");
                exit_code(
                    report.logged_in_user_survived.is_ok()
                        && report.waiting_journey_survived.is_ok(),
                )
            }
            Err(e) => {
                eprintln!("loadgen: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match loadgen::run(&config).await {
        Ok(report) => {
            println!("{report}");
            if let Some(path) = &config.json {
                let written = serde_json::to_string_pretty(&report)
                    .map_err(anyhow::Error::from)
                    .and_then(|json| Ok(std::fs::write(path, json)?));
                if let Err(e) = written {
                    eprintln!("loadgen: cannot write {}: {e:#}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            // A run with errors or cross-talk fails, so CI can gate on it; under --faults,
            // failures with a clear page are expected, the others are not.
            exit_code(match &report.faults {
                Some(faults) => faults.failed_otherwise == 0 && report.cross_talk == 0,
                None => report.journeys_failed == 0 && report.cross_talk == 0,
            })
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn exit_code(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
