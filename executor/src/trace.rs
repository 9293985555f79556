//! Recording a trace: every spawn, poll, wake and completion of a runtime's tasks, and
//! what the park (the facade's reactor) reports of its waits, into a fixed-size buffer
//! in memory that is handed to a [`TraceSink`] whenever it fills and when the runtime
//! is dropped. The executor makes no syscall: the sink, which the facade provides,
//! writes the file (`wakeful::Builder::trace`).
//!
//! Off (no [`Tracer`] given to [`Builder::build_traced`](crate::Builder::build_traced)), each event
//! site pays one predictable branch: the scheduler's `trace` is `None`, and polls are
//! timed only on the measuring path, which a poll does not take unless measured. On,
//! each event is one clock read and a push onto the buffer.
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use wakeful_executor::trace::{EventKind, TraceEvent, TraceSink, Tracer};
//! use wakeful_executor::{spawn, Builder, ThreadPark};
//!
//! /// Counts the polls it is handed.
//! struct CountPolls(Rc<RefCell<usize>>);
//!
//! impl TraceSink for CountPolls {
//!     fn write(&mut self, events: &[TraceEvent]) {
//!         let polls = events.iter().filter(|e| matches!(e.kind, EventKind::Polled { .. }));
//!         *self.0.borrow_mut() += polls.count();
//!     }
//! }
//!
//! let polls = Rc::new(RefCell::new(0));
//! let tracer = Tracer::new(CountPolls(polls.clone()), 64);
//! let rt = Builder::default().build_traced(ThreadPark::new(), tracer);
//! rt.block_on(async { spawn(async { wakeful_executor::yield_now().await }).await.unwrap() });
//! drop(rt); // hands over what is still buffered
//! assert_eq!(*polls.borrow(), 2, "the task's two polls");
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::task::{Id, WakeCause};

/// Events buffered before the sink gets them, by default: 4096 ×
/// `size_of::<TraceEvent>()` (64 bytes on 64-bit targets) = 256 KiB, plus the task
/// names of the spawns among them, each at most [`MAX_NAME`] bytes.
pub const DEFAULT_CAPACITY: usize = 4096;

/// The longest task name a [`EventKind::Spawned`] carries, in bytes: a longer one is
/// cut (on a character boundary). The buffer's copy may outlive the task, so an
/// uncut name would multiply the buffer's memory by its length.
pub const MAX_NAME: usize = 256;

/// Receives the recorded events in batches, in the order they were recorded, on the
/// runtime's thread, between polls (or, when a poll alone fills the buffer, inside
/// it). It must not call back into the runtime. A panic in `write` is contained: the
/// sink is not called again, and the runtime runs on untraced.
pub trait TraceSink {
    /// Called once, when the [`Tracer`] is made: the instant every `at_ns` counts from
    /// (to place a timer's deadline, say).
    fn start(&mut self, epoch: Instant) {
        let _ = epoch;
    }

    /// One batch: a full buffer, or what was left when the runtime was dropped (or
    /// [`Tracer::flush`] called). The slice is reused once this returns.
    fn write(&mut self, events: &[TraceEvent]);
}

/// One recorded event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TraceEvent {
    /// When, in nanoseconds since the tracer was created ([`Tracer::epoch`]); for a
    /// span (a poll, a wait), when it ended.
    pub at_ns: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What happened. More kinds may come, hence `non_exhaustive`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// A task was spawned.
    Spawned {
        /// The task.
        task: Id,
        /// The name given to its `task::Builder`, if any: at most its first
        /// [`MAX_NAME`] bytes.
        name: Option<Box<str>>,
        /// Where it was spawned.
        location: &'static Location<'static>,
        /// The type of its future (`std::any::type_name`).
        future_type: &'static str,
    },
    /// A task was polled (or, if aborted, its future dropped) from `start_ns` to `at_ns`.
    Polled {
        /// The task.
        task: Id,
        /// When the poll began (same clock as `at_ns`).
        start_ns: u64,
        /// How it ended.
        outcome: PollEnd,
    },
    /// The `block_on` future was polled from `start_ns` to `at_ns`.
    MainPolled {
        /// When the poll began.
        start_ns: u64,
        /// `Ready`: `block_on` returns; `Panicked`: it unwinds.
        outcome: PollEnd,
    },
    /// A task was woken and queued (repeated wakes of a task already queued are not
    /// events: they change nothing). `flow` numbers the wake, so a viewer can draw an
    /// arrow from `by` to the poll the wake led to. Wakes from other threads are
    /// recorded when the runtime's thread takes them from its remote queue.
    Woken {
        /// The task woken.
        task: Id,
        /// Why: the fd and readiness, the timer, the task, the thread.
        cause: WakeCause,
        /// What was running on the runtime's thread when it was woken.
        by: WakeSource,
        /// This wake's number, unique in the trace.
        flow: u64,
    },
    /// A task's future is gone (returned `Ready`, panicked, or was aborted or dropped
    /// at shutdown).
    Completed {
        /// The task.
        task: Id,
    },
    /// The park began to wait: `None` until something happens, `Some(ZERO)` a look
    /// that does not block.
    WaitBegin {
        /// The longest it may wait.
        timeout: Option<Duration>,
    },
    /// The wait ended: what the park reported.
    WaitEnd {
        /// Tasks it woke (and queued).
        woken: u64,
        /// I/O events it delivered.
        events: u64,
        /// Timers that fired.
        timers: u64,
    },
}

/// What was running on the runtime's thread when a task was woken there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WakeSource {
    /// A task's poll (the woken task's own, for a yield or a spent budget).
    Task(Id),
    /// The `block_on` future's poll.
    Main,
    /// The park: a reactor event, a timer, or a wake that came from another thread.
    Park,
    /// None of those: a task's drop at shutdown, or code outside the run loop.
    Other,
}

/// How a poll ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollEnd {
    /// `Pending`: the task waits for a wake.
    Pending,
    /// `Ready`, or a panic (the task is complete either way).
    Ready,
    /// Aborted: its future was dropped instead of polled.
    Cancelled,
    /// The `block_on` future panicked (a task's panic counts as `Ready`).
    Panicked,
}

/// Counters of a tracer, to check what it costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceStats {
    /// Events recorded since the tracer was created.
    pub events: u64,
    /// Batches handed to the sink.
    pub batches: u64,
    /// Events the buffer holds at most: it never grows past this.
    pub capacity: usize,
    /// Room allocated in the buffer now (events): equal to `capacity`, always.
    pub allocated: usize,
}

/// A runtime's recorder: a handle shared by the executor (polls, wakes) and its park
/// (waits), cheap to clone. Give it to [`Builder::build_traced`](crate::Builder::build_traced).
#[derive(Clone)]
pub struct Tracer(Rc<Recorder>);

struct Recorder {
    epoch: Instant,
    /// Never grows past its capacity, allocated once: full, it goes to the sink.
    buffer: RefCell<Vec<TraceEvent>>,
    sink: RefCell<Box<dyn TraceSink>>,
    /// Inside the park, or the `block_on` future's poll, or a task's completion: the
    /// source of a wake made while no task runs, and, for a completion, the time to
    /// give the wake (the end of the completing poll, so its arrow starts on it).
    phase: Cell<(WakeSource, Option<u64>)>,
    /// The last task polled, and when that poll ended.
    last_polled: Cell<Option<(Id, u64)>>,
    /// The task completing (it is `running` again while its completion wakes its
    /// `JoinHandle`'s owner), and the time to give those wakes: just before the end
    /// of its last poll, so that their arrows start on it.
    completing: Cell<Option<(Id, u64)>>,
    next_flow: Cell<u64>,
    /// The sink panicked: it is not called again.
    broken: Cell<bool>,
    /// Tasks woken since the park's wait began.
    woken_in_wait: Cell<u64>,
    stats: Cell<TraceStats>,
}

impl Tracer {
    /// A recorder that hands batches of at most `capacity` events (at least 1) to
    /// `sink`: the memory it uses is `capacity * size_of::<TraceEvent>()`, plus at
    /// most [`MAX_NAME`] bytes a buffered spawn, whatever the trace's length.
    pub fn new(mut sink: impl TraceSink + 'static, capacity: usize) -> Tracer {
        let capacity = capacity.max(1);
        let epoch = Instant::now();
        sink.start(epoch);
        Tracer(Rc::new(Recorder {
            epoch,
            buffer: RefCell::new(Vec::with_capacity(capacity)),
            sink: RefCell::new(Box::new(sink)),
            phase: Cell::new((WakeSource::Other, None)),
            last_polled: Cell::new(None),
            completing: Cell::new(None),
            next_flow: Cell::new(1),
            broken: Cell::new(false),
            woken_in_wait: Cell::new(0),
            stats: Cell::new(TraceStats { capacity, ..TraceStats::default() }),
        }))
    }

    /// The instant `at_ns` counts from.
    pub fn epoch(&self) -> Instant {
        self.0.epoch
    }

    /// Counters: events recorded, batches written, the buffer's bound.
    pub fn stats(&self) -> TraceStats {
        TraceStats { allocated: self.0.buffer.borrow().capacity(), ..self.0.stats.get() }
    }

    /// Nanoseconds from the epoch to `at`.
    pub(crate) fn ns(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.0.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn now_ns(&self) -> u64 {
        self.ns(Instant::now())
    }

    /// Records `kind` as happening at `at_ns`; a full buffer goes to the sink.
    pub(crate) fn record_at(&self, at_ns: u64, kind: EventKind) {
        let recorder = &*self.0;
        let Ok(mut buffer) = recorder.buffer.try_borrow_mut() else { return };
        buffer.push(TraceEvent { at_ns, kind });
        let mut stats = recorder.stats.get();
        stats.events += 1;
        recorder.stats.set(stats);
        // Full: handed over even inside a poll (which it then lengthens), so that
        // memory stays bounded; usually `between_polls` does it first.
        if buffer.len() >= recorder.stats.get().capacity {
            self.hand_over(&mut buffer);
        }
    }

    /// Between polls and waits: a buffer three quarters full goes to the sink now,
    /// so that writing it is not timed as part of a poll (nor reported as a long one).
    fn between_polls(&self) {
        let Ok(mut buffer) = self.0.buffer.try_borrow_mut() else { return };
        let capacity = self.0.stats.get().capacity;
        if buffer.len() >= capacity - capacity / 4 {
            self.hand_over(&mut buffer);
        }
    }

    pub(crate) fn record(&self, kind: EventKind) {
        self.record_at(self.now_ns(), kind);
    }

    fn hand_over(&self, buffer: &mut Vec<TraceEvent>) {
        if buffer.is_empty() {
            return;
        }
        if let (Ok(mut sink), false) = (self.0.sink.try_borrow_mut(), self.0.broken.get()) {
            // A sink is any `TraceSink`, so it may panic. Here the panic would unwind
            // through the run loop halfway through a poll's bookkeeping, or abort the
            // process from `Runtime::drop` or a poll's drop guard; instead it is
            // contained (the panic hook has reported it) and the sink is not called
            // again: the runtime runs on untraced.
            let wrote = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink.write(buffer)));
            match wrote {
                Ok(()) => {
                    let mut stats = self.0.stats.get();
                    stats.batches += 1;
                    self.0.stats.set(stats);
                }
                Err(payload) => {
                    self.0.broken.set(true);
                    crate::unwind::drop_payload(payload);
                }
            }
        }
        // Cleared whatever became of the batch, so that memory stays bounded.
        buffer.clear();
    }

    /// Hands what is buffered to the sink now (the runtime does at drop).
    pub fn flush(&self) {
        if let Ok(mut buffer) = self.0.buffer.try_borrow_mut() {
            self.hand_over(&mut buffer);
        }
    }

    /// A wake on the runtime's thread queued `task`, while `running` (if any) was polled.
    pub(crate) fn woken(&self, task: Id, running: Option<Id>, cause: WakeCause) {
        let flow = self.0.next_flow.get();
        self.0.next_flow.set(flow + 1);
        let (by, at_ns) = match running {
            Some(id) => match self.0.completing.get() {
                Some((completing, at_ns)) if completing == id => (WakeSource::Task(id), Some(at_ns)),
                _ => (WakeSource::Task(id), None),
            },
            None => self.0.phase.get(),
        };
        let at_ns = at_ns.unwrap_or_else(|| self.now_ns());
        if by == WakeSource::Park {
            self.0.woken_in_wait.set(self.0.woken_in_wait.get() + 1);
        }
        self.record_at(at_ns, EventKind::Woken { task, cause, by, flow });
    }

    /// `task` was polled from `start_ns` to `end_ns` (since [`epoch`](Self::epoch)).
    pub(crate) fn polled(&self, task: Id, start_ns: u64, end_ns: u64, outcome: PollEnd) {
        self.0.last_polled.set(Some((task, end_ns)));
        self.0.completing.set(None);
        self.record_at(end_ns, EventKind::Polled { task, start_ns, outcome });
        self.between_polls();
    }

    /// `task`'s future is gone. What it wakes now (its `JoinHandle`'s waiter) counts
    /// as woken by its last poll, if that poll just ended: the poll returned `Ready`.
    pub(crate) fn completed(&self, task: Id) {
        self.record(EventKind::Completed { task });
        let completing = match self.0.last_polled.get() {
            Some((polled, end_ns)) if polled == task => Some((task, end_ns.saturating_sub(1))),
            _ => None,
        };
        self.0.completing.set(completing);
    }

    /// Shutdown: wakes from here on come from dropped futures.
    pub(crate) fn shutting_down(&self) {
        self.0.phase.set((WakeSource::Other, None));
    }

    /// The `block_on` future's poll starts; returns the time, for [`main_polled`](Self::main_polled).
    pub(crate) fn main_poll_begin(&self) -> u64 {
        self.0.phase.set((WakeSource::Main, None));
        self.now_ns()
    }

    pub(crate) fn main_polled(&self, start_ns: u64, outcome: PollEnd) {
        self.0.phase.set((WakeSource::Other, None));
        self.record(EventKind::MainPolled { start_ns, outcome });
        self.between_polls();
    }

    /// For the park: a wait begins; wakes until [`wait_end`](Self::wait_end) come from it.
    pub fn wait_begin(&self, timeout: Option<Duration>) {
        self.between_polls();
        self.0.phase.set((WakeSource::Park, None));
        self.0.woken_in_wait.set(0);
        self.record(EventKind::WaitBegin { timeout });
    }

    /// For the park: the wait ended, having delivered `events` I/O events and fired
    /// `timers` timers. The tasks it woke the tracer counted itself.
    pub fn wait_end(&self, events: u64, timers: u64) {
        let woken = self.0.woken_in_wait.replace(0);
        self.record(EventKind::WaitEnd { woken, events, timers });
        self.0.phase.set((WakeSource::Other, None));
    }
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer").field("stats", &self.stats()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Keep(Rc<RefCell<Vec<usize>>>);
    impl TraceSink for Keep {
        fn write(&mut self, events: &[TraceEvent]) {
            self.0.borrow_mut().push(events.len());
        }
    }

    #[test]
    fn a_full_buffer_goes_to_the_sink_and_never_grows() {
        let batches = Rc::new(RefCell::new(Vec::new()));
        let tracer = Tracer::new(Keep(batches.clone()), 8);
        for _ in 0..100 {
            tracer.wait_begin(None);
        }
        assert_eq!(*batches.borrow(), vec![6; 16], "three quarters full, between polls");
        assert_eq!((tracer.stats().events, tracer.stats().allocated), (100, 8));
        tracer.flush();
        assert_eq!(batches.borrow().last(), Some(&4));
    }

    #[test]
    fn event_size_is_what_the_docs_say() {
        if cfg!(target_pointer_width = "64") {
            assert_eq!(std::mem::size_of::<TraceEvent>(), 64);
        }
    }
}
