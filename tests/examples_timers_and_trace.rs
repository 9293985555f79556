//! The timers example (three sleeps end in order) and the wake trace example (each
//! step of one wakeup shows in the runtime's counters).
//!
//! Each example runs as its own process, spoken to over loopback with plain blocking
//! std sockets (`util::example`).

mod util;

use util::example::example;

#[test]
fn timers_end_in_order_two_three_one() {
    let output = example("timers").args(["--scale", "0.05"]).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let ends: Vec<&str> = stdout.lines().filter(|l| l.contains(" end: ")).collect();
    assert_eq!(ends.len(), 3, "{stdout}");
    assert!(
        ends[0].starts_with("Task 2 end")
            && ends[1].starts_with("Task 3 end")
            && ends[2].starts_with("Task 1 end"),
        "{stdout}"
    );
    let total: f64 = stdout.lines().find_map(|l| l.strip_prefix("Total: ")).unwrap().trim().parse().unwrap();
    assert!(
        (3.0..4.5).contains(&total),
        "three tasks of 3, 1 and 2 units take about 3 units, not 6: {total}"
    );
}

#[test]
fn wake_trace_shows_each_step_in_the_counters() {
    let output = example("wake_trace").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    for step in ["①", "②", "③", "④", "⑤", "⑥"] {
        assert!(stdout.contains(step), "step {step} missing:\n{stdout}");
    }
    assert!(stdout.contains("5 bytes: \"hello\""), "{stdout}");
    let line = |marker: &str| stdout.lines().find(|l| l.contains(marker)).unwrap_or_default().to_string();
    let local = line("[① to ⑤]");
    assert!(local.contains("wakes_local 0→1") && local.contains("events 0→"), "{local}");
    assert!(!local.contains("wakes_remote"), "the reactor woke the task on its own thread: {local}");
    assert!(line("[⑥]").contains("wakes_remote 0→1"), "{stdout}");
}
