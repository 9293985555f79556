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
//! - the reactor's track, a slice per wait, its args the timeout and what it returned,
//!   and an instant per I/O event (fd, readiness) or timer (deadline) that woke a task;
//! - on each poll, `woken_by`: the cause of the wake it follows ("readable on fd 9",
//!   "timer", "task 3", "itself", "another thread");
//! - a flow arrow per wake (`"ph": "s"` then `"f"` with `"bp": "e"`, one id): from the
//!   slice the wake happened in (the waking task's poll, the `block_on` future's poll,
//!   or the reactor's wait) to the woken task's next poll. A wake that led to no poll
//!   (the task was aborted, or the runtime dropped) draws no arrow.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use std::panic::Location;

use wakeful_executor::task::{Id, WakeCause};

use super::text::{escape_inner, io_events, micros, number, outcome_name};
use wakeful_executor::trace::{EventKind, PollEnd, TraceEvent, TraceSink, WakeSource};

/// The reactor's track: above every task (sort index), and no task's id.
pub(crate) const REACTOR_TID: u64 = i32::MAX as u64;
/// The `block_on` future's track.
pub(crate) const MAIN_TID: u64 = REACTOR_TID - 1;

/// Text is written to the file once this much is pending: the writer's memory bound.
const CHUNK: usize = 64 * 1024;

/// A wake waiting for the poll it leads to: its flow id, the track its arrow starts
/// on (none for a wake from outside the run loop: another thread's), when, and why.
#[derive(Clone, Copy)]
struct PendingFlow {
    flow: u64,
    from: Option<u64>,
    woken_ns: u64,
    cause: WakeCause,
}

pub(crate) struct JsonSink {
    file: File,
    path: PathBuf,
    pid: u32,
    /// Text not yet written; at most about [`CHUNK`].
    out: Vec<u8>,
    /// Per task woken and not yet polled since: the arrows to draw at its next poll.
    /// At most two per live task: a task is queued once, however many wakes, and may
    /// be queued again during the poll that the first wake led to (which is recorded
    /// when it ends, after that second wake).
    pending: HashMap<u64, [Option<PendingFlow>; 2], BuildHasherDefault<IdHasher>>,
    /// The wait in progress (its start and timeout) when a batch ended inside it.
    wait: Option<(u64, Option<Duration>)>,
    /// A write failed: said once on stderr, then nothing more is written.
    failed: bool,
    /// Bytes written to the file: whole events, the end of the last one.
    written: u64,
    /// The trace's clock starts here (`TraceSink::start`): to place timers' deadlines.
    epoch: Instant,
}

impl JsonSink {
    /// The writer, its header written: an error if the file takes no bytes (a full
    /// disk), rather than a trace that is silently empty.
    pub(crate) fn new(file: File, path: PathBuf, runtime: u32) -> io::Result<JsonSink> {
        let mut sink = JsonSink {
            file,
            path,
            pid: runtime,
            out: Vec::with_capacity(CHUNK + 1024),
            pending: HashMap::default(),
            wait: None,
            failed: false,
            written: 0,
            epoch: Instant::now(),
        };
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed thread");
        sink.out.push(b'[');
        let name = format!("wakeful runtime {runtime} ({thread})");
        sink.metadata_line(0, "process_name", &name, false);
        sink.metadata(REACTOR_TID, "reactor", -2);
        sink.metadata(MAIN_TID, "block_on", -1);
        if let Err(err) = sink.file.write_all(&sink.out) {
            sink.failed = true; // nothing more, not even the closing bracket
            return Err(err);
        }
        sink.written = sink.out.len() as u64;
        sink.out.clear();
        Ok(sink)
    }

    /// A track's name and its place (lower first).
    fn metadata(&mut self, tid: u64, name: &str, sort: i64) {
        self.metadata_line(tid, "thread_name", name, true);
        self.sort_index(tid, sort);
    }

    fn sort_index(&mut self, tid: u64, sort: i64) {
        self.open(b",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\"", tid);
        self.out.extend_from_slice(b",\"args\":{\"sort_index\":");
        if sort < 0 {
            self.out.push(b'-');
        }
        number(&mut self.out, sort.unsigned_abs());
        self.out.extend_from_slice(b"}}");
    }

    fn metadata_line(&mut self, tid: u64, kind: &str, name: &str, comma: bool) {
        self.out.extend_from_slice(if comma { b",\n" } else { b"\n" });
        self.out.extend_from_slice(b"{\"name\":\"");
        self.out.extend_from_slice(kind.as_bytes());
        self.open(b"\",\"ph\":\"M\"", tid);
        self.out.extend_from_slice(b",\"args\":{\"name\":\"");
        escape_inner(&mut self.out, name);
        self.out.extend_from_slice(b"\"}}");
    }

    /// `head`, then the event's process and track.
    fn open(&mut self, head: &[u8], tid: u64) {
        self.out.extend_from_slice(head);
        self.out.extend_from_slice(b",\"pid\":");
        number(&mut self.out, u64::from(self.pid));
        self.out.extend_from_slice(b",\"tid\":");
        number(&mut self.out, tid);
    }

    /// A task's track, named "task 3 conn 12" or "task 3 src/main.rs:10:5", and
    /// an instant at its spawn with where and what.
    fn spawned(&mut self, at_ns: u64, task: Id, name: Option<&str>, location: &Location<'_>, future: &str) {
        let tid = task.as_u64();
        self.open(b",\n{\"name\":\"thread_name\",\"ph\":\"M\"", tid);
        self.out.extend_from_slice(b",\"args\":{\"name\":\"task ");
        number(&mut self.out, tid);
        self.out.push(b' ');
        match name {
            Some(name) => escape_inner(&mut self.out, name),
            None => self.location(location),
        }
        self.out.extend_from_slice(b"\"}}");
        self.sort_index(tid, i64::try_from(tid).unwrap_or(i64::MAX));
        self.out
            .extend_from_slice(b",\n{\"name\":\"spawn\",\"cat\":\"task\",\"ph\":\"i\",\"s\":\"t\",\"ts\":");
        micros(&mut self.out, at_ns);
        self.open(b"", tid);
        self.out.extend_from_slice(b",\"args\":{\"location\":\"");
        self.location(location);
        self.out.extend_from_slice(b"\",\"future\":\"");
        escape_inner(&mut self.out, future);
        self.out.extend_from_slice(b"\"}}");
    }

    fn location(&mut self, location: &Location<'_>) {
        escape_inner(&mut self.out, location.file());
        self.out.push(b':');
        number(&mut self.out, u64::from(location.line()));
        self.out.push(b':');
        number(&mut self.out, u64::from(location.column()));
    }

    /// Opens a complete slice, up to its `args` object (left open).
    fn slice(&mut self, name: &str, cat: &str, start_ns: u64, end_ns: u64, tid: u64) {
        let out = &mut self.out;
        out.extend_from_slice(b",\n{\"name\":\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\",\"cat\":\"");
        out.extend_from_slice(cat.as_bytes());
        out.extend_from_slice(b"\",\"ph\":\"X\",\"ts\":");
        micros(out, start_ns);
        out.extend_from_slice(b",\"dur\":");
        micros(out, end_ns.saturating_sub(start_ns));
        out.extend_from_slice(b",\"pid\":");
        number(out, u64::from(self.pid));
        out.extend_from_slice(b",\"tid\":");
        number(out, tid);
        out.extend_from_slice(b",\"args\":{");
    }

    /// One end of a wake's arrow: `ph` "s" (its cause) or "f" (the poll it led to).
    fn flow(&mut self, ph: &str, id: u64, at_ns: u64, tid: u64) {
        let out = &mut self.out;
        out.extend_from_slice(b",\n{\"name\":\"wake\",\"cat\":\"wake\",\"ph\":\"");
        out.extend_from_slice(ph.as_bytes());
        out.extend_from_slice(if ph == "f" { b"\",\"bp\":\"e\",\"id\":" } else { b"\",\"id\":" });
        number(out, id);
        out.extend_from_slice(b",\"ts\":");
        micros(out, at_ns);
        out.extend_from_slice(b",\"pid\":");
        number(out, u64::from(self.pid));
        out.extend_from_slice(b",\"tid\":");
        number(out, tid);
        out.push(b'}');
    }

    /// The wake that led to `tid`'s poll starting at `start_ns`, if one is pending. A
    /// wake during this very poll (recorded before it, as a poll is recorded when it
    /// ends) leads to the next one: it stays pending.
    fn led_to(&mut self, tid: u64, start_ns: u64) -> Option<PendingFlow> {
        let waiting = self.pending.get_mut(&tid)?;
        let before = |slot: &Option<PendingFlow>| slot.is_some_and(|pending| pending.woken_ns < start_ns);
        let led = if before(&waiting[0]) { waiting[0].take() } else { None };
        if before(&waiting[1]) {
            waiting[1] = None;
        }
        if waiting[0].is_none() {
            waiting.swap(0, 1);
        }
        if waiting[0].is_none() {
            self.pending.remove(&tid);
        }
        led
    }

    /// An instant on the reactor's track: the I/O event or timer that woke a task.
    fn reactor_event(&mut self, at_ns: u64, cause: &WakeCause) {
        self.out.extend_from_slice(b",\n{\"name\":\"");
        self.cause(cause);
        self.out.extend_from_slice(b"\",\"cat\":\"reactor\",\"ph\":\"i\",\"s\":\"t\",\"ts\":");
        micros(&mut self.out, at_ns);
        self.open(b"", REACTOR_TID);
        self.out.extend_from_slice(b",\"args\":{");
        match cause {
            WakeCause::Io { fd, events } => {
                self.out.extend_from_slice(b"\"fd\":");
                if *fd < 0 {
                    self.out.push(b'-');
                }
                number(&mut self.out, u64::from(fd.unsigned_abs()));
                self.out.extend_from_slice(b",\"readiness\":\"");
                io_events(&mut self.out, *events);
                self.out.push(b'"');
            }
            WakeCause::Timer { deadline } => {
                // Where the deadline lies on the trace's clock: the wake comes after it.
                self.out.extend_from_slice(b"\"deadline_us\":");
                let deadline_ns = deadline.saturating_duration_since(self.epoch).as_nanos();
                micros(&mut self.out, u64::try_from(deadline_ns).unwrap_or(u64::MAX));
            }
            _ => {}
        }
        self.out.extend_from_slice(b"}}");
    }

    /// A wake's cause in words (inside a JSON string): "readable on fd 9", "timer",
    /// "task 3", "itself", "this thread", "another thread".
    fn cause(&mut self, cause: &WakeCause) {
        let out = &mut self.out;
        match cause {
            WakeCause::Itself => out.extend_from_slice(b"itself"),
            WakeCause::Task(id) => {
                out.extend_from_slice(b"task ");
                number(out, id.as_u64());
            }
            WakeCause::Io { fd, events } => {
                io_events(out, *events);
                out.extend_from_slice(b" on fd ");
                if *fd < 0 {
                    out.push(b'-');
                }
                number(out, u64::from(fd.unsigned_abs()));
            }
            WakeCause::Timer { .. } => out.extend_from_slice(b"timer"),
            WakeCause::Local => out.extend_from_slice(b"this thread"),
            WakeCause::Remote => out.extend_from_slice(b"another thread"),
            _ => out.extend_from_slice(b"other"),
        }
    }

    fn event(&mut self, event: &TraceEvent) {
        match &event.kind {
            EventKind::Spawned { task, name, location, future_type } => {
                self.spawned(event.at_ns, *task, name.as_deref(), location, future_type);
            }
            EventKind::Polled { task, start_ns, outcome } => {
                let tid = task.as_u64();
                let cancelled = *outcome == PollEnd::Cancelled;
                let name = if cancelled { "drop (aborted)" } else { "poll" };
                // An abort drops the future instead of polling it: the wakes pending
                // led to no poll, and draw no arrow (the module docs say so).
                let led = if cancelled {
                    self.pending.remove(&tid);
                    None
                } else {
                    self.led_to(tid, *start_ns)
                };
                let outcome = outcome_name(*outcome);
                self.slice(name, "poll", *start_ns, event.at_ns, tid);
                self.out.extend_from_slice(br#""outcome":""#);
                self.out.extend_from_slice(outcome.as_bytes());
                if let Some(led) = &led {
                    self.out.extend_from_slice(br#"","woken_by":""#);
                    self.cause(&led.cause);
                }
                self.out.extend_from_slice(b"\"}}");
                if let Some(PendingFlow { flow, from: Some(from), woken_ns, .. }) = led {
                    self.flow("s", flow, woken_ns, from);
                    self.flow("f", flow, *start_ns, tid);
                }
            }
            EventKind::MainPolled { start_ns, outcome } => {
                self.slice("poll", "poll", *start_ns, event.at_ns, MAIN_TID);
                self.out.extend_from_slice(br#""outcome":""#);
                self.out.extend_from_slice(outcome_name(*outcome).as_bytes());
                self.out.extend_from_slice(b"\"}}");
            }
            EventKind::Woken { task, cause, by, flow } => {
                let from = match by {
                    WakeSource::Task(id) => Some(id.as_u64()),
                    WakeSource::Main => Some(MAIN_TID),
                    WakeSource::Park => Some(REACTOR_TID),
                    _ => None, // no slice to start an arrow from
                };
                if let WakeCause::Io { .. } | WakeCause::Timer { .. } = cause {
                    self.reactor_event(event.at_ns, cause);
                }
                let pending = PendingFlow { flow: *flow, from, woken_ns: event.at_ns, cause: *cause };
                let waiting = self.pending.entry(task.as_u64()).or_default();
                let slot = if waiting[0].is_none() { 0 } else { 1 };
                waiting[slot] = Some(pending);
            }
            EventKind::Completed { task } => {
                self.pending.remove(&task.as_u64());
            }
            EventKind::WaitBegin { timeout } => self.wait = Some((event.at_ns, *timeout)),
            EventKind::WaitEnd { woken, events, timers } => {
                let Some((start_ns, timeout)) = self.wait.take() else { return };
                let name = if timeout.is_some_and(|t| t.is_zero()) { "look" } else { "wait" };
                self.slice(name, "reactor", start_ns, event.at_ns, REACTOR_TID);
                self.out.extend_from_slice(br#""timeout_ms":"#);
                match timeout {
                    None => self.out.extend_from_slice(b"null"),
                    Some(t) => micros(&mut self.out, u64::try_from(t.as_micros()).unwrap_or(u64::MAX)),
                }
                for (key, n) in
                    [(r#","woken":"#, woken), (r#","events":"#, events), (r#","timers":"#, timers)]
                {
                    self.out.extend_from_slice(key.as_bytes());
                    number(&mut self.out, *n);
                }
                self.out.extend_from_slice(b"}}");
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
            match self.file.write_all(&self.out) {
                Ok(()) => self.written += self.out.len() as u64,
                Err(err) => {
                    self.failed = true;
                    let path = self.path.display();
                    drop(writeln!(
                        io::stderr(),
                        "wakeful: writing trace file {path} failed: {err}; trace stops here"
                    ));
                    self.close_after_failure();
                }
            }
        }
        self.out.clear();
    }

    /// A failed write may have left part of its text (a full disk takes what fits):
    /// half an event, which no viewer parses. The file goes back to the last whole
    /// event, and is closed if the bracket fits; a file that cannot be cut (a pipe,
    /// a device) is left as it is.
    fn close_after_failure(&mut self) {
        if self.file.set_len(self.written).is_ok() && self.file.seek(SeekFrom::Start(self.written)).is_ok() {
            drop(self.file.write_all(b"\n]\n"));
        }
    }
}

impl TraceSink for JsonSink {
    fn start(&mut self, epoch: Instant) {
        self.epoch = epoch;
    }

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
        self.out.extend_from_slice(b"\n]\n");
        self.write_out();
    }
}

/// Task ids are unique counters: the map needs no protection from chosen keys.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}
