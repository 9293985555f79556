//! Measuring polls: the executor's only clock reads, taken only when
//! [`Builder::measure_polls`](crate::Builder::measure_polls) is on, and the long-poll
//! detector that rides on them.
//!
//! Off, the run loop pays one predictable branch per poll (`measure` is `None`). On,
//! two `Instant::now()` per poll, a few additions into the task's header, and a
//! comparison with the threshold.

use std::time::{Duration, Instant};

use crate::report::{LongPoll, Report};
use crate::task::TaskRef;

/// Builder's default for the long-poll threshold.
pub(crate) const DEFAULT_LONG_POLL: Duration = Duration::from_millis(10);

/// What a measuring runtime keeps.
#[derive(Debug)]
pub(crate) struct Measure {
    /// Times in task headers count from here (so they fit a `u64` of nanoseconds).
    pub(crate) epoch: Instant,
    /// Report polls longer than this; `None`: no detector.
    pub(crate) long_poll: Option<Duration>,
}

impl Measure {
    pub(crate) fn new(long_poll: Option<Duration>) -> Measure {
        Measure { epoch: Instant::now(), long_poll }
    }

    /// Runs `poll` (one poll of `task`, or its cancellation), timing it into the
    /// task's counters; returns its output and, if it took longer than the threshold,
    /// the report to send — which the caller sends once the task's bookkeeping is
    /// done (`complete`), so that the hook sees a finished task gone from the records.
    ///
    /// Kept out of line: the unmeasured run loop stays as it was.
    /// Also returns when the poll started and ended, in nanoseconds since `epoch`,
    /// for the trace (which shares the epoch: no more clock arithmetic).
    #[inline(never)]
    pub(crate) fn timed<R>(&self, task: &TaskRef, poll: impl FnOnce() -> R) -> (R, Option<Report>, [u64; 2]) {
        let start = Instant::now();
        let output = poll();
        let end = Instant::now();
        let header = task.header();
        let (took, end_ns) = header.counters.count_time(self.epoch, start, end);
        let start_ns = end_ns.saturating_sub(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
        let report = self.long_poll.filter(|threshold| took > *threshold).map(|threshold| {
            Report::LongPoll(LongPoll {
                id: header.id,
                name: header.name.as_ref().map(|name| name.0.clone()),
                location: header.location,
                future_type: task.future_type(),
                duration: took,
                threshold,
            })
        });
        (output, report, [start_ns, end_ns])
    }
}
