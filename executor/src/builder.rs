//! [`Builder`]: how a [`Runtime`] is configured — the event interval, the
//! instruments (measured polls, the detectors and their report hook, a trace) — and
//! what it parks with.

use std::sync::Arc;
use std::time::Duration;

use crate::measure::{Measure, DEFAULT_LONG_POLL};
use crate::park::{Park, ThreadPark};
use crate::report::{Report, Reporter};
use crate::runtime::{Runtime, DEFAULT_EVENT_INTERVAL};
use crate::scheduler::Scheduler;
use crate::trace::Tracer;

/// Configures a [`Runtime`].
///
/// ```
/// use wakeful_executor::Builder;
///
/// let rt = Builder::default().event_interval(31).build();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    event_interval: u32,
    measure_polls: bool,
    long_poll: Option<Duration>,
    reporter: Reporter,
    detect_lost_wakers: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            event_interval: DEFAULT_EVENT_INTERVAL,
            measure_polls: cfg!(debug_assertions),
            long_poll: Some(DEFAULT_LONG_POLL),
            reporter: Reporter::default(),
            detect_lost_wakers: cfg!(debug_assertions),
        }
    }
}

impl Builder {
    /// How many polls may run between two looks at I/O and timers (at least 1); more
    /// while the tasks that were queued at the last look run and no other task joins
    /// the queue, up to 1024.
    pub fn event_interval(mut self, polls: u32) -> Builder {
        self.event_interval = polls.max(1);
        self
    }

    /// Times every task's polls (default: on in debug builds, off in release): busy
    /// time, longest poll and idle time in [`TaskInfo`](crate::task::TaskInfo), and the long-poll detector.
    ///
    /// These are the executor's only clock reads, two `Instant::now()` per poll, for
    /// instrumentation only. Off, a poll pays one predictable branch for them.
    ///
    /// ```
    /// use wakeful_executor::{spawn, task, yield_now, Builder};
    ///
    /// let rt = Builder::default().measure_polls(false).build();
    /// rt.block_on(async {
    ///     let _idle = spawn(std::future::pending::<()>());
    ///     yield_now().await;
    ///     let info = &task::tasks()[0];
    ///     assert_eq!((info.polls, info.busy, info.idle_for), (1, std::time::Duration::ZERO, None));
    /// });
    /// ```
    pub fn measure_polls(mut self, on: bool) -> Builder {
        self.measure_polls = on;
        self
    }

    /// Reports a poll longer than `threshold` (default 10 ms) as a
    /// [`Report::LongPoll`], while polls are measured; `None` turns the detector off.
    /// See [`Report`] for an example.
    ///
    /// The time is wall-clock time, as it must be to catch a poll that blocks (a
    /// sleep, a blocking read). So it also counts time the OS took the thread away:
    /// on a loaded machine, trivial polls are reported now and then (seen: 10–30 ms
    /// with 14 runnable threads per 2 cores). Raise the threshold there.
    pub fn long_poll_threshold(mut self, threshold: Option<Duration>) -> Builder {
        self.long_poll = threshold;
        self
    }

    /// Sends the detectors' [`Report`]s to `hook` instead of stderr. The hook runs on
    /// the runtime's thread, between polls; a panic in it is contained (reported by the
    /// panic hook, then dropped), never unwinding into the runtime. See [`Report`].
    pub fn on_report(mut self, hook: impl Fn(&Report) + Send + Sync + 'static) -> Builder {
        self.reporter = Reporter::new(Arc::new(hook));
        self
    }

    /// Reports a task that returned `Pending` while no waker of it existed and it was
    /// not queued — it can never wake — as a [`Report::LostWaker`], once per task
    /// (default: on in debug builds, off in release). See
    /// [`LostWaker`](crate::LostWaker) for an example.
    ///
    /// Off, a `Pending` poll pays one predictable branch for it; on, one relaxed
    /// atomic load and a few reads of the task's header. Never a false report.
    ///
    /// ```
    /// use wakeful_executor::Builder;
    ///
    /// let rt = Builder::default().detect_lost_wakers(false).build();
    /// rt.block_on(async {
    ///     // Never wakes, by design: not reported, the detector being off.
    ///     let _forever = wakeful_executor::spawn(std::future::pending::<()>());
    ///     wakeful_executor::yield_now().await;
    /// });
    /// ```
    pub fn detect_lost_wakers(mut self, on: bool) -> Builder {
        self.detect_lost_wakers = on;
        self
    }

    /// A runtime that parks through `park` when idle.
    pub fn build_with_park(self, park: impl Park + 'static) -> Runtime {
        let scheduler = self.scheduler(&park);
        Runtime::with_parts(scheduler, Box::new(park))
    }

    /// The scheduler this builder describes, its remote wakes ending `park`'s waits.
    fn scheduler(self, park: &dyn Park) -> Scheduler {
        let mut scheduler = Scheduler::new(self.event_interval, park.unparker());
        scheduler.measure = self.measure_polls.then(|| Box::new(Measure::new(self.long_poll)));
        scheduler.reporter = self.reporter;
        scheduler.detect_lost_wakers = self.detect_lost_wakers;
        scheduler
    }

    /// A runtime that parks through `park`, recording a trace into `tracer` (see
    /// [`trace`](crate::trace)): every spawn, poll, wake and completion, with the
    /// park's waits if it records them too (`wakeful_net`'s `ReactorPark::traced`).
    /// A traced runtime measures its polls, as [`measure_polls`](Self::measure_polls).
    /// Not a builder option, as a `Tracer` stays on its thread and a `Builder` may not.
    pub fn build_traced(mut self, park: impl Park + 'static, tracer: Tracer) -> Runtime {
        self.measure_polls = true;
        let mut scheduler = self.scheduler(&park);
        if let Some(measure) = scheduler.measure.as_mut() {
            measure.epoch = tracer.epoch(); // one clock for both: see `Measure::timed`
        }
        scheduler.trace = Some(tracer);
        Runtime::with_parts(scheduler, Box::new(park))
    }

    /// A runtime that parks its thread with `std::thread::park` (no I/O).
    pub fn build(self) -> Runtime {
        self.build_with_park(ThreadPark::new())
    }
}
