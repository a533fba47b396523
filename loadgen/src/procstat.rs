//! CPU time and memory of the programs under load, read from `/proc` (Linux): `utime + stime` of
//! `/proc/<pid>/stat`, `VmRSS` and `VmHWM` (peak RSS since start) of `/proc/<pid>/status`.

use std::path::Path;

use serde::Serialize;

/// Clock ticks per second of `/proc/<pid>/stat` times: `sysconf(_SC_CLK_TCK)` is 100 on every
/// Linux architecture Rust targets (the kernel exports USER_HZ = 100), and reading it would need
/// libc and `unsafe`.
const TICKS_PER_SEC: f64 = 100.0;

/// One reading of one process.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Reading {
    /// User + system CPU time since the process started, in seconds.
    pub cpu_secs: f64,
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

/// A watched program.
#[derive(Debug, Clone)]
pub struct Watched {
    pub name: String,
    pub pid: u32,
}

pub fn read(pid: u32) -> Option<Reading> {
    let proc = Path::new("/proc").join(pid.to_string());
    let stat = std::fs::read_to_string(proc.join("stat")).ok()?;
    let status = std::fs::read_to_string(proc.join("status")).ok()?;
    Some(Reading {
        cpu_secs: cpu_ticks(&stat)? as f64 / TICKS_PER_SEC,
        rss_kib: status_kib(&status, "VmRSS:")?,
        hwm_kib: status_kib(&status, "VmHWM:")?,
    })
}

/// `utime + stime` (fields 14 and 15): counted after the `)` closing the command name, which may
/// itself hold spaces and parentheses.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ")": field 3 (state) is index 0, so field 14 is index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The processes whose program (first argument of the command line, file name only) is `name`.
/// `/proc/<pid>/comm` would be truncated to 15 characters (`identity-provid`).
pub fn find_by_name(name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .ok()
                .and_then(|c| {
                    let argv0 = c.split(|&b| b == 0).next()?.to_vec();
                    let argv0 = String::from_utf8(argv0).ok()?;
                    Some(Path::new(&argv0).file_name()?.to_str()? == name)
                })
                .unwrap_or(false)
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Parses `name=pid` (or a bare program name, looked up in `/proc`).
pub fn resolve(spec: &str) -> anyhow::Result<Watched> {
    if let Some((name, pid)) = spec.split_once('=') {
        let pid: u32 = pid
            .parse()
            .map_err(|_| anyhow::anyhow!("{spec}: expected name=PID"))?;
        return Ok(Watched {
            name: name.to_owned(),
            pid,
        });
    }
    match find_by_name(spec).as_slice() {
        [pid] => Ok(Watched {
            name: spec.to_owned(),
            pid: *pid,
        }),
        [] => anyhow::bail!("no running process is named {spec}"),
        many => anyhow::bail!("several processes are named {spec} ({many:?}): give name=PID"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_skip_a_command_name_with_spaces_and_parentheses() {
        let stat = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
        assert_eq!(cpu_ticks(stat), Some(300));
        assert_eq!(cpu_ticks("42 (x) S 1"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let r = read(std::process::id()).unwrap();
        assert!(r.rss_kib > 0 && r.hwm_kib >= r.rss_kib);
        assert!(resolve("x=notanumber").is_err());
        assert_eq!(resolve("hub=12").unwrap().pid, 12);
    }
}
