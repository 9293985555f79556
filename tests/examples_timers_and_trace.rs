//! The timers example (three sleeps end in order) and the wake trace example (the
//! runtime's record of a socket read and a timer, step by step, in order; and the same
//! lines in WAKERS.md).
//!
//! Each example runs as its own process, spoken to over loopback with plain blocking
//! std sockets (`util::example`).

#[path = "trace/parse.rs"]
#[allow(dead_code)] // tests/trace.rs's reader: this file uses only part of it
mod parse;
mod util;

use std::path::Path;

use parse::Trace;
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

/// The wake_trace example's output: its steps, in order, each with the cause the
/// runtime recorded; its trace goes to `trace`.
fn wake_trace_output(trace: &Path) -> String {
    let output = example("wake_trace").arg(trace).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Where `wanted` first occurs among `lines` at or after `from`, or a failure naming
/// what came before.
fn find_after(lines: &[&str], from: usize, wanted: &str) -> usize {
    match lines[from..].iter().position(|line| line.contains(wanted)) {
        Some(at) => from + at,
        None => panic!("{wanted:?} not found after line {from}:\n{}", lines.join("\n")),
    }
}

#[test]
fn wake_trace_prints_the_recorded_steps_of_a_socket_read_and_a_timer_in_order() {
    let dir = util::TempDir::new("wake-trace-order");
    let stdout = wake_trace_output(&dir.path("trace.json"));
    let lines: Vec<&str> = stdout.lines().collect();
    // The reader waits on its socket: the dump says which fd.
    let first = find_after(&lines, 0, "polled task 1 \"reader\" → Pending");
    let waits = find_after(&lines, first, "waits on fd ");
    let fd: u32 = lines[waits].trim()["waits on fd ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(lines[waits].ends_with(") readable"), "{}", lines[waits]);
    assert!(lines[waits - 3].trim().starts_with("task 1 \"reader\" (idle, 1 poll"), "{stdout}");
    // The writer wakes itself, waits for its socket's first event, writes.
    let at =
        find_after(&lines, waits, "polled task 2 \"writer\" → Pending, woke task 2 \"writer\" (by itself)");
    let at = find_after(&lines, at, "turn woke task 2 \"writer\": writable on fd ");
    let wrote = find_after(&lines, at, "polled task 2 \"writer\" → Ready");
    // Only a reactor turn wakes the reader, with the event on its own fd as cause.
    let woke = find_after(&lines, wrote, "turn woke task 1 \"reader\": readable");
    assert!(lines[woke].ends_with(&format!(" on fd {fd}")), "the reader's fd {fd}: {}", lines[woke]);
    let read = find_after(&lines, woke, "polled task 1 \"reader\" → Ready");
    assert_eq!(read, woke + 1, "the reader runs next:\n{stdout}");
    // A timer wakes the sleeper; the sleeper's end wakes the waiter.
    let at = find_after(&lines, read, "polled task 3 \"sleeper\" → Pending");
    let at = find_after(&lines, at, "polled task 4 \"waiter\" → Pending");
    let stall = find_after(&lines, at, "stalled");
    let timer = find_after(&lines, stall, "turn woke task 3 \"sleeper\": timer due ");
    assert!(lines[timer].ends_with(" ago"), "woken once due, not before: {}", lines[timer]);
    let at =
        find_after(&lines, timer, "polled task 3 \"sleeper\" → Ready, woke task 4 \"waiter\" (by task 3)");
    find_after(&lines, at, "polled task 4 \"waiter\" → Ready");
    // Each task counted its wakes by kind.
    for counted in [
        "task 1 \"reader\": 2 polls; wakes: Io 1",
        "task 2 \"writer\": 3 polls; wakes: Itself 1, Io 1",
        "task 3 \"sleeper\": 2 polls; wakes: Timer 1",
        "task 4 \"waiter\": 2 polls; wakes: Task 1",
    ] {
        assert!(lines.iter().any(|line| line.trim() == counted), "{counted:?} missing:\n{stdout}");
    }
}

/// `text` with numbers (fds, times, line numbers) and the units of times blotted out:
/// what stays is the shape WAKERS.md must show.
fn shape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            out.push(c);
            continue;
        }
        while chars.peek().is_some_and(|c| c.is_ascii_digit() || *c == '.') {
            chars.next();
        }
        out.push('#');
        // A time's unit, if one follows ("12ms", "46 µs"): blotted too.
        let rest: String = chars.clone().take(4).collect();
        for unit in [" ns", " µs", " ms", " s", "ns", "µs", "ms", "s"] {
            let after = rest.strip_prefix(unit).and_then(|r| r.chars().next());
            if rest.starts_with(unit) && !after.is_some_and(char::is_alphanumeric) {
                for _ in unit.chars() {
                    chars.next();
                }
                break;
            }
        }
    }
    out
}

// WAKERS.md shows a run on Linux: kqueue may report a socket's events otherwise.
#[cfg(target_os = "linux")]
#[test]
fn wakers_md_shows_what_wake_trace_prints() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/WAKERS.md")).unwrap();
    let marker = "<!-- the output of examples/wake_trace.rs";
    let block = doc.split_once(marker).expect("WAKERS.md has the example's output").1;
    let block = block.split_once("```text\n").unwrap().1.split_once("```").unwrap().0;
    let dir = util::TempDir::new("wake-trace-doc");
    let printed = wake_trace_output(&dir.path("trace.json"));
    // The trace's path is the run's own.
    let without_path = |text: &str| shape(text.split("# the trace of this run: ").next().unwrap());
    assert!(block.contains("# the trace of this run: ") && printed.contains("# the trace of this run: "));
    assert_eq!(
        without_path(block),
        without_path(&printed),
        "paste the example's output (cargo run --example wake_trace) into WAKERS.md"
    );
}

#[test]
fn shape_blots_numbers_and_times_only() {
    assert_eq!(shape("task 12 on fd 5: due 266.528µs ago, idle 46 µs"), "task # on fd #: due # ago, idle #");
    assert_eq!(shape("wake_trace.rs:118:37 sleeps 20ms; 2 polls"), "wake_trace.rs:#:# sleeps #; # polls");
}

#[test]
fn wake_trace_writes_a_trace_with_a_slice_per_poll_and_the_cause_of_each_wake() {
    let dir = util::TempDir::new("wake-trace-file");
    let path = dir.path("trace.json");
    let stdout = wake_trace_output(&path);
    assert!(stdout.contains(&format!("# the trace of this run: {}", path.display())), "{stdout}");
    let trace = Trace::read(&path);
    trace.check_structure();
    // As the example's own steps and counters say: a slice per poll, the cause of the
    // wake each poll followed, and an arrow from that wake to the poll.
    let fd = |line: &str| line.rsplit(' ').next().unwrap().parse::<u32>().unwrap();
    let reader_fd = fd(stdout.lines().find(|l| l.contains("turn woke task 1")).unwrap());
    let writer_fd = fd(stdout.lines().find(|l| l.contains("turn woke task 2")).unwrap());
    let tasks: [(&str, &[&str], usize); 4] = [
        ("task 1 reader", &["", &format!("readable on fd {reader_fd}")], 1),
        ("task 2 writer", &["", "itself", &format!("writable on fd {writer_fd}")], 2),
        ("task 3 sleeper", &["", "timer"], 1),
        // The sleeper wakes the waiter as it completes: the arrow starts on its last poll.
        ("task 4 waiter", &["", "task 3"], 1),
    ];
    for (task, causes, arrows) in tasks {
        let track = trace.track_of(task);
        let polls = trace.slices(track, "poll");
        // The peer's close may or may not be seen with its data, depending on the OS.
        let woken_by: Vec<String> = polls
            .iter()
            .map(|p| p["args"]["woken_by"].as_str().unwrap_or("").replace("|read-closed", ""))
            .collect();
        assert_eq!(woken_by, causes, "{task}: a slice per poll, each with the cause of its wake");
        let ends = trace.of_phase("f").filter(|end| (parse::pid(end), parse::tid(end)) == track).count();
        assert_eq!(ends, arrows, "{task}: an arrow per wake");
    }
}

#[test]
fn wake_trace_with_a_trace_path_it_cannot_create_fails_with_a_clear_error() {
    let dir = util::TempDir::new("wake-trace-bad-path");
    let output = example("wake_trace").arg(dir.path("no/such/dir/trace.json")).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot create trace file") && !stderr.contains("panicked"), "{stderr}");
}
