//! The timers example (three sleeps end in order) and the wake trace example (the
//! runtime's record of a socket read and a timer, step by step, in order; and the same
//! lines in WAKERS.md).
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

/// The wake_trace example's output: its steps, in order, each with the cause the
/// runtime recorded.
fn wake_trace_output() -> String {
    let output = example("wake_trace").output().unwrap();
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
    let stdout = wake_trace_output();
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
    let printed = wake_trace_output();
    assert_eq!(
        shape(block),
        shape(&printed),
        "paste the example's output (cargo run --example wake_trace) into WAKERS.md"
    );
}

#[test]
fn shape_blots_numbers_and_times_only() {
    assert_eq!(shape("task 12 on fd 5: due 266.528µs ago, idle 46 µs"), "task # on fd #: due # ago, idle #");
    assert_eq!(shape("wake_trace.rs:118:37 sleeps 20ms; 2 polls"), "wake_trace.rs:#:# sleeps #; # polls");
}
