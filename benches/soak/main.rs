//! soak — the stress checks behind `scripts/soak.sh`. Linux only (it reads `/proc`).
//!
//! ```text
//! soak echo --cycles 20 --conns 4000 [--size 16384]
//! soak slowloris --addr 127.0.0.1:8080 --pid PID --mode header|body|noread \
//!      --clients 2000 --secs 12 --deadline 2 [--p99-ms 200]
//! ```
//!
//! - `echo` runs wakeful's echo server in this process (its own thread and runtime)
//!   and, from a second runtime, opens `--conns` connections at once, echoes a pattern
//!   over each (every byte checked) and closes them; `--cycles` times. After each cycle
//!   the process's open fds, its RSS and both runtimes' live tasks must be back at
//!   their baseline (see `echo.rs` for the tolerances).
//! - `slowloris` attacks an `examples/http` server (process `--pid`) for `--secs` with
//!   `--clients` connections that trickle a header section (`header`) or a body
//!   (`body`) a byte at a time, or pipeline 1 MiB requests and never read (`noread`),
//!   while a normal client keeps asking. Each attacker must be cut off by the server's
//!   `--deadline` (plus a stated slack); the normal requests' p99 latency must stay
//!   under `--p99-ms`; the server's RSS must stay under a bound (see `slowloris.rs`).
//!
//! Every check prints what it measured; a broken bound ends the run with exit code 1
//! and a line starting `soak: FAIL`. Traffic goes only to 127.0.0.1.

mod echo;
mod slowloris;

use std::collections::HashMap;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let result = Options::parse(args).and_then(|options| match command.as_str() {
        "echo" => echo::run(&options),
        "slowloris" => slowloris::run(&options),
        _ => Err(format!("unknown command {command:?}: echo or slowloris")),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            println!("soak: FAIL: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` pairs, read by name with a default.
pub struct Options(HashMap<String, String>);

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut map = HashMap::new();
        while let Some(name) = args.next() {
            let key = name.strip_prefix("--").ok_or(format!("unexpected argument {name:?}"))?;
            let value = args.next().ok_or(format!("{name} needs a value"))?;
            map.insert(key.to_string(), value);
        }
        Ok(Options(map))
    }

    /// The value of `--name`, or `default` when absent (`None`: required).
    pub fn get<T: FromStr>(&self, name: &str, default: Option<T>) -> Result<T, String> {
        match self.0.get(name) {
            Some(value) => value.parse().map_err(|_| format!("--{name}: bad value {value:?}")),
            None => default.ok_or(format!("--{name} is required")),
        }
    }

    pub fn seconds(&self, name: &str, default: Option<f64>) -> Result<Duration, String> {
        let secs = self.get(name, default)?;
        Duration::try_from_secs_f64(secs).map_err(|_| format!("--{name}: not a duration: {secs}"))
    }
}

/// The number of open file descriptors of process `pid`.
pub fn open_fds(pid: u32) -> Result<usize, String> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).map_err(|e| format!("/proc/{pid}/fd: {e}"))?;
    Ok(dir.count())
}

/// The resident set size of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or("no VmRSS line")?;
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).ok_or(format!("bad line {line:?}"))
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Raises this process's soft limit on open files to `want`, failing if the hard limit
/// is lower.
pub fn raise_fd_limit(want: u64) -> Result<(), String> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit the kernel fills in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!("getrlimit: {}", std::io::Error::last_os_error()));
    }
    if limit.rlim_max < want as libc::rlim_t {
        return Err(format!("need {want} open files, the hard limit is {}", limit.rlim_max));
    }
    if limit.rlim_cur < want as libc::rlim_t {
        limit.rlim_cur = want as libc::rlim_t;
        // SAFETY: `limit` is a valid rlimit, only read.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// The `p`-th percentile (0..=100) of `sorted`, which must not be empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
