//! The log lines go through a logging thread: none may be lost when a program ends, and they
//! come out in the order they were logged. Checked on a child process (the subscriber is global):
//! this very test, run again with `FC_TELEMETRY_CHILD` set.

use std::process::Command;

const LINES: usize = 5000;
const TEST_NAME: &str = "every_line_is_written_in_order_before_the_program_ends";

#[test]
fn every_line_is_written_in_order_before_the_program_ends() {
    if std::env::var_os("FC_TELEMETRY_CHILD").is_some() {
        let _logs = fc_plumbing::telemetry::init(false);
        for n in 0..LINES {
            tracing::info!("line {n} of the child");
        }
        return; // `_logs` is dropped here, as at the end of a program's `main`.
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--test-threads", "1"])
        .env("FC_TELEMETRY_CHILD", "1")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(child.status.success(), "{child:?}");
    let stderr = String::from_utf8(child.stderr).unwrap();
    let numbers: Vec<usize> = stderr
        .lines()
        .filter_map(|line| line.split("line ").nth(1)?.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(numbers.len(), LINES, "lines written (the last ones lost?)");
    let first_out_of_order = numbers.iter().enumerate().find(|(at, n)| at != *n);
    assert_eq!(first_out_of_order, None, "a line out of order");
}
