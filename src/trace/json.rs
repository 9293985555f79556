//! The Chrome Trace Event writer: the executor's events as JSON that opens in
//! ui.perfetto.dev and chrome://tracing.
//!
//! The file is the JSON *array* form, one event a line. Both viewers accept the array
//! unterminated, so a file cut short (the process killed, the runtime leaked) still
//! opens; dropping the writer closes it with `]`, making it strict JSON.
//!
//! What goes where, in one process (`pid`: the runtime's number):
//! - a track (`tid`) per task, named "task 3 conn 12" (its name) or "task 3
//!   src/main.rs:10:5" (where it was spawned), with a complete slice (`"ph": "X"`) per
//!   poll;
//! - the `block_on` future's track, a slice per poll;
//! - the reactor's track, a slice per wait, its args the timeout and what it returned;
//! - a flow arrow per wake (`"ph": "s"` then `"f"` with `"bp": "e"`, one id): from the
//!   slice the wake happened in (the waking task's poll, the `block_on` future's poll,
//!   or the reactor's wait) to the woken task's next poll. A wake that led to no poll
//!   (the task was aborted, or the runtime dropped) draws no arrow.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use wakeful_executor::trace::{EventKind, PollEnd, TraceEvent, TraceSink, WakeSource};

/// The reactor's track: above every task (sort index), and no task's id.
pub(crate) const REACTOR_TID: u64 = i32::MAX as u64;
/// The `block_on` future's track.
pub(crate) const MAIN_TID: u64 = REACTOR_TID - 1;

/// Text is written to the file once this much is pending: the writer's memory bound.
const CHUNK: usize = 64 * 1024;

/// A wake waiting for the poll it leads to: (flow id, the source's track, when).
type PendingFlow = (u64, u64, u64);

pub(crate) struct JsonSink {
    file: File,
    path: PathBuf,
    pid: u32,
    /// Text not yet written; at most about [`CHUNK`].
    out: String,
    /// Per task woken and not yet polled since: the arrows to draw at its next poll.
    /// At most two per live task: a task is queued once, however many wakes, and may
    /// be queued again during the poll that the first wake led to (which is recorded
    /// when it ends, after that second wake).
    pending: HashMap<u64, Vec<PendingFlow>>,
    /// The wait in progress (its start and timeout) when a batch ended inside it.
    wait: Option<(u64, Option<Duration>)>,
    /// A write failed: said once on stderr, then nothing more is written.
    failed: bool,
}

impl JsonSink {
    pub(crate) fn new(file: File, path: PathBuf, runtime: u32) -> JsonSink {
        let mut sink = JsonSink {
            file,
            path,
            pid: runtime,
            out: String::with_capacity(CHUNK + 1024),
            pending: HashMap::new(),
            wait: None,
            failed: false,
        };
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed thread");
        sink.out.push('[');
        let name = format!("wakeful runtime {runtime} ({thread})");
        sink.metadata_line(0, "process_name", &name, false);
        sink.metadata(REACTOR_TID, "reactor", -2);
        sink.metadata(MAIN_TID, "block_on", -1);
        sink.write_out();
        sink
    }

    /// A track's name and its place (lower first).
    fn metadata(&mut self, tid: u64, name: &str, sort: i64) {
        self.metadata_line(tid, "thread_name", name, true);
        let pid = self.pid;
        self.line(format_args!(
            r#"{{"name":"thread_sort_index","ph":"M","pid":{pid},"tid":{tid},"args":{{"sort_index":{sort}}}}}"#
        ));
    }

    fn metadata_line(&mut self, tid: u64, kind: &str, name: &str, comma: bool) {
        let pid = self.pid;
        if comma {
            self.out.push_str(",\n");
        } else {
            self.out.push('\n');
        }
        let _ = write!(self.out, r#"{{"name":"{kind}","ph":"M","pid":{pid},"tid":{tid},"args":{{"name":"#);
        escape(&mut self.out, name);
        self.out.push_str("}}");
    }

    /// One event, after a separator (the array's opening bracket is already out).
    fn line(&mut self, event: std::fmt::Arguments<'_>) {
        self.out.push_str(",\n");
        let _ = self.out.write_fmt(event);
    }

    fn event(&mut self, event: &TraceEvent) {
        let pid = self.pid;
        let at = Micros(event.at_ns);
        match &event.kind {
            EventKind::Spawned { task, name, location, future_type } => {
                let tid = task.as_u64();
                let track = match name {
                    Some(name) => format!("{task} {name}"),
                    None => format!("{task} {location}"),
                };
                self.metadata(tid, &track, i64::try_from(tid).unwrap_or(i64::MAX));
                self.out.push_str(",\n");
                let _ = write!(
                    self.out,
                    r#"{{"name":"spawn","cat":"task","ph":"i","s":"t","ts":{at},"pid":{pid},"tid":{tid},"args":{{"location":"#
                );
                escape(&mut self.out, &location.to_string());
                self.out.push_str(r#","future":"#);
                escape(&mut self.out, future_type);
                self.out.push_str("}}");
            }
            EventKind::Polled { task, start_ns, outcome } => {
                let tid = task.as_u64();
                let (start, dur) = (Micros(*start_ns), Micros(event.at_ns.saturating_sub(*start_ns)));
                let outcome = outcome_name(*outcome);
                let name = if outcome == "cancelled" { "drop (aborted)" } else { "poll" };
                self.line(format_args!(
                    r#"{{"name":"{name}","cat":"poll","ph":"X","ts":{start},"dur":{dur},"pid":{pid},"tid":{tid},"args":{{"outcome":"{outcome}"}}}}"#
                ));
                // A wake during this very poll (recorded before it, as a poll is
                // recorded when it ends) leads to the next one: it stays pending.
                let waiting = self.pending.get_mut(&tid);
                let led_here = waiting.and_then(|waiting| {
                    let first = waiting.first().filter(|&&(_, _, woken_ns)| woken_ns < *start_ns).copied();
                    waiting.retain(|&(_, _, woken_ns)| woken_ns >= *start_ns);
                    first
                });
                if self.pending.get(&tid).is_some_and(Vec::is_empty) {
                    self.pending.remove(&tid);
                }
                if let Some((flow, from, woken_ns)) = led_here {
                    let woken = Micros(woken_ns);
                    self.line(format_args!(
                        r#"{{"name":"wake","cat":"wake","ph":"s","id":{flow},"ts":{woken},"pid":{pid},"tid":{from}}}"#
                    ));
                    self.line(format_args!(
                        r#"{{"name":"wake","cat":"wake","ph":"f","bp":"e","id":{flow},"ts":{start},"pid":{pid},"tid":{tid}}}"#
                    ));
                }
            }
            EventKind::MainPolled { start_ns, outcome } => {
                let (start, dur) = (Micros(*start_ns), Micros(event.at_ns.saturating_sub(*start_ns)));
                let outcome = outcome_name(*outcome);
                self.line(format_args!(
                    r#"{{"name":"poll","cat":"poll","ph":"X","ts":{start},"dur":{dur},"pid":{pid},"tid":{MAIN_TID},"args":{{"outcome":"{outcome}"}}}}"#
                ));
            }
            EventKind::Woken { task, by, flow } => {
                let from = match by {
                    WakeSource::Task(id) => Some(id.as_u64()),
                    WakeSource::Main => Some(MAIN_TID),
                    WakeSource::Park => Some(REACTOR_TID),
                    _ => None, // no slice to start an arrow from
                };
                if let Some(from) = from {
                    self.pending.entry(task.as_u64()).or_default().push((*flow, from, event.at_ns));
                }
            }
            EventKind::Completed { task } => {
                self.pending.remove(&task.as_u64());
            }
            EventKind::WaitBegin { timeout } => self.wait = Some((event.at_ns, *timeout)),
            EventKind::WaitEnd { woken, events, timers } => {
                let Some((start_ns, timeout)) = self.wait.take() else { return };
                let (start, dur) = (Micros(start_ns), Micros(event.at_ns.saturating_sub(start_ns)));
                let (name, timeout_ms) = match timeout {
                    None => ("wait", "null".to_string()),
                    Some(t) if t.is_zero() => ("look", "0".to_string()),
                    Some(t) => ("wait", format!("{}", t.as_secs_f64() * 1e3)),
                };
                self.line(format_args!(
                    r#"{{"name":"{name}","cat":"reactor","ph":"X","ts":{start},"dur":{dur},"pid":{pid},"tid":{REACTOR_TID},"args":{{"timeout_ms":{timeout_ms},"woken":{woken},"events":{events},"timers":{timers}}}}}"#
                ));
            }
            _ => {}
        }
        if self.out.len() >= CHUNK {
            self.write_out();
        }
    }

    /// Writes the pending text; a failure is reported once and ends the trace.
    fn write_out(&mut self) {
        if !self.failed && !self.out.is_empty() {
            if let Err(err) = self.file.write_all(self.out.as_bytes()) {
                self.failed = true;
                let path = self.path.display();
                drop(writeln!(
                    io::stderr(),
                    "wakeful: writing trace file {path} failed: {err}; trace stops here"
                ));
            }
        }
        self.out.clear();
    }
}

impl TraceSink for JsonSink {
    fn write(&mut self, events: &[TraceEvent]) {
        for event in events {
            self.event(event);
        }
        self.write_out();
    }
}

impl Drop for JsonSink {
    /// Closes the array: the file is strict JSON from here on.
    fn drop(&mut self) {
        self.out.push_str("\n]\n");
        self.write_out();
    }
}

fn outcome_name(outcome: PollEnd) -> &'static str {
    match outcome {
        PollEnd::Pending => "pending",
        PollEnd::Ready => "ready",
        PollEnd::Cancelled => "cancelled",
        PollEnd::Panicked => "panicked",
        _ => "other",
    }
}

/// Nanoseconds printed as microseconds (the format's unit), to the nanosecond.
struct Micros(u64);

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// `text` as a JSON string, quotes included.
fn escape(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_and_control_characters_stay_valid_json() {
        let mut out = String::new();
        escape(&mut out, "conn \"12\"\\\n\u{1}é");
        assert_eq!(out, r#""conn \"12\"\\\n\u0001é""#.replace("\\n", "\\u000a"));
        assert_eq!(Micros(1_234_567).to_string(), "1234.567");
        assert_eq!(Micros(5).to_string(), "0.005");
    }
}
