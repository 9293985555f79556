//! Interleaved rounds in fresh processes, for figures that hold on a loaded machine.
//!
//! ```text
//! TIMERS_ROUNDS=5 cargo bench --bench timers                 # medians, min–max
//! TIMERS_ROUNDS=5 TIMERS_PERF=1 cargo bench --bench timers   # and waits (perf)
//! ```
//!
//! Each round runs, each in a new process and alternating which goes first: the 100k
//! random sleeps (lateness mean and p99, process CPU), and a lone 1 ms sleep 1000 times
//! (mean lateness). With `TIMERS_PERF=1` the random-sleeps processes run under
//! `perf stat` with syscall tracepoints (root, or `perf_event_paranoid` ≤ -1), which
//! counts their waits — `epoll_wait`/`epoll_pwait`/`epoll_pwait2`, and `futex`, where
//! tokio parks when only its time driver is enabled — and all their syscalls.

use std::process::Command;

/// The child's scenario: `<runtime>` or `<runtime>-1ms`.
pub(crate) const ONE: &str = "TIMERS_ONE";
/// Rounds for the parent to run.
pub(crate) const ROUNDS: &str = "TIMERS_ROUNDS";
const PERF: &str = "TIMERS_PERF";
/// The line a child prints its figures on.
pub(crate) const TAG: &str = "TIMERS-RESULT";

const RUNTIMES: [&str; 2] = ["wakeful", "tokio"];
/// Figures per runtime, in this order.
const FIGURES: [&str; 6] = [
    "100k mean lateness µs",
    "100k p99 lateness µs",
    "100k CPU ms",
    "100k waits (epoll, futex)",
    "100k syscalls",
    "1 ms sleep mean lateness µs",
];

/// Runs `rounds` rounds and prints each figure's median, min–max and ratio.
pub(crate) fn run(rounds: usize) {
    let perf = std::env::var_os(PERF).is_some_and(|v| v == "1");
    // figures[runtime][figure] = one value per round
    let mut figures = vec![vec![Vec::new(); FIGURES.len()]; RUNTIMES.len()];
    for round in 0..rounds {
        let mut order = [0, 1];
        if round % 2 == 1 {
            order.reverse();
        }
        for scenario in ["", "-1ms"] {
            for &rt in &order {
                let values = child(&format!("{}{scenario}", RUNTIMES[rt]), perf && scenario.is_empty());
                let start = if scenario.is_empty() { 0 } else { 5 };
                for (i, value) in values.into_iter().enumerate() {
                    figures[rt][start + i].push(value);
                }
                eprintln!(
                    "round {round} {}{scenario}: {:?}",
                    RUNTIMES[rt],
                    figures[rt].iter().map(|f| f.last()).collect::<Vec<_>>()
                );
            }
        }
    }
    println!("{rounds} rounds, medians (min–max)");
    println!("{:<30} {:>24} {:>24} {:>6}", "", "wakeful", "tokio current-thread", "ratio");
    for (i, name) in FIGURES.iter().enumerate() {
        let w = stats(&mut figures[0][i]);
        let t = stats(&mut figures[1][i]);
        let (Some(w), Some(t)) = (w, t) else { continue };
        let cell = |(med, min, max): (f64, f64, f64)| format!("{med:.0} ({min:.0}–{max:.0})");
        println!("{name:<30} {:>24} {:>24} {:>6.2}", cell(w), cell(t), w.0 / t.0);
    }
}

/// Median, min, max; `None` if nothing was measured.
fn stats(values: &mut [f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
    Some((median, values[0], values[n - 1]))
}

/// Runs one scenario in a new process and returns its figures: for the random sleeps
/// mean, p99, CPU, then (under perf) waits and syscalls; for `-1ms` the mean.
fn child(scenario: &str, perf: bool) -> Vec<f64> {
    let exe = std::env::current_exe().expect("the bench's own path");
    let out_file = std::env::temp_dir().join(format!("timers-perf-{}.csv", std::process::id()));
    let mut command = if perf {
        let mut c = Command::new("perf");
        c.args(["stat", "-x,", "-o"]).arg(&out_file).args([
            "-e",
            "raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_futex",
            "--",
        ]);
        c.arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let output = command.env(ONE, scenario).env_remove(ROUNDS).output().expect("the bench runs itself");
    assert!(output.status.success(), "{scenario} failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix(TAG)).expect("the child prints its figures");
    let mut values: Vec<f64> = line.split_whitespace().map(|v| v.parse().expect("a number")).collect();
    if perf {
        let csv = std::fs::read_to_string(&out_file).expect("perf's output");
        let _ = std::fs::remove_file(&out_file);
        let count = |event: &str| -> f64 {
            csv.lines()
                .filter(|l| l.split(',').nth(2).is_some_and(|e| e.starts_with(event)))
                .filter_map(|l| l.split(',').next()?.parse::<f64>().ok())
                .sum()
        };
        values.push(count("syscalls:sys_enter_epoll_") + count("syscalls:sys_enter_futex"));
        values.push(count("raw_syscalls:sys_enter"));
    }
    values
}
