//! [`Report`]: what the runtime's detectors found, and the hook that receives it.
//!
//! A detector builds a report on the runtime's thread, after the poll it is about,
//! with no table borrowed; the hook is user code, so it runs with a panic contained.
//! The default hook prints one line to stderr.

use std::fmt;
use std::io::{self, Write};
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::task::Id;
use crate::unwind;

/// Something a detector noticed. More kinds will come (hence `non_exhaustive`).
///
/// Set a hook with [`Builder::on_report`](crate::Builder::on_report); the default
/// prints `wakeful: ` and the report's `Display` to stderr.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use wakeful_executor::{spawn, Builder, Report};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let rt = Builder::default()
///     .measure_polls(true)
///     .long_poll_threshold(Some(Duration::from_millis(5)))
///     .on_report(move |report| sink.lock().unwrap().push(report.clone()))
///     .build();
/// rt.block_on(async {
///     // Blocking inside async code: the most common stall.
///     spawn(async { std::thread::sleep(Duration::from_millis(20)) }).await.unwrap();
/// });
/// let seen = seen.lock().unwrap();
/// let Report::LongPoll(long) = &seen[0] else { panic!("{seen:?}") };
/// assert!(long.duration >= Duration::from_millis(20));
/// assert!(seen[0].to_string().contains("long poll"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Report {
    /// One poll of a task took longer than the threshold: every other task, I/O and
    /// timers waited that long.
    LongPoll(LongPoll),
    /// A task returned `Pending` while no waker of it existed and it was not queued:
    /// nothing can ever wake it. Reported once per task, by the lost-waker detector
    /// ([`Builder::detect_lost_wakers`](crate::Builder::detect_lost_wakers)).
    LostWaker(LostWaker),
}

/// A task that nothing can wake: what the lost-waker detector reports.
///
/// The usual cause: a future returned `Pending` without storing `cx.waker()` (or a
/// clone) where the event it waits for will find it — a hand-written `poll` that
/// forgot, or one that dropped the waker it had stored. The task is stuck for good;
/// it can still be aborted.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use wakeful_executor::{spawn, yield_now, Builder, Report};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let rt = Builder::default()
///     .detect_lost_wakers(true)
///     .on_report(move |report| sink.lock().unwrap().push(report.to_string()))
///     .build();
/// rt.block_on(async {
///     // A future that forgets to store its waker.
///     let stuck = spawn(std::future::poll_fn(|_cx| std::task::Poll::<()>::Pending));
///     yield_now().await;
///     stuck.abort(); // still possible
///     assert!(stuck.await.unwrap_err().is_cancelled());
/// });
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen.len(), 1, "{seen:?}");
/// assert!(seen[0].starts_with("lost waker: task"), "{}", seen[0]);
/// assert!(seen[0].contains(file!()), "with the spawn location: {}", seen[0]);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LostWaker {
    /// The task.
    pub id: Id,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// The type of its future (`std::any::type_name`).
    pub future_type: &'static str,
}

/// A poll longer than [`Builder::long_poll_threshold`](crate::Builder::long_poll_threshold).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LongPoll {
    /// The task.
    pub id: Id,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// The type of its future (`std::any::type_name`).
    pub future_type: &'static str,
    /// How long the poll took.
    pub duration: Duration,
    /// The threshold it passed.
    pub threshold: Duration,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::LongPoll(long) => {
                write!(f, "long poll: {}", long.id)?;
                if let Some(name) = &long.name {
                    write!(f, " {name:?}")?;
                }
                write!(
                    f,
                    " (spawned at {}, future {}) ran {:?} in one poll (threshold {:?}): nothing else ran meanwhile",
                    long.location, long.future_type, long.duration, long.threshold
                )
            }
            Report::LostWaker(lost) => {
                write!(f, "lost waker: {}", lost.id)?;
                if let Some(name) = &lost.name {
                    write!(f, " {name:?}")?;
                }
                write!(
                    f,
                    " (spawned at {}, future {}) returned Pending, and no waker of it is held \
                     anywhere: it can never wake (a poll that returned Pending without storing \
                     cx.waker()?)",
                    lost.location, lost.future_type
                )
            }
        }
    }
}

/// Where reports go.
#[derive(Clone, Default)]
pub(crate) struct Reporter(Option<Hook>);

/// A user's hook, shared by clones of the `Builder`: `Send + Sync`, so that a
/// `Builder` can go to the thread that builds its runtime (as `wakeful::cores` does).
type Hook = Arc<dyn Fn(&Report) + Send + Sync>;

impl Reporter {
    pub(crate) fn new(hook: Hook) -> Reporter {
        Reporter(Some(hook))
    }

    /// Hands `report` to the hook, or prints it; a panic is contained, never unwinds
    /// into the runtime.
    pub(crate) fn send(&self, report: &Report) {
        match &self.0 {
            Some(hook) => unwind::contain(|| hook(report)),
            // Not `eprintln!`, which panics if stderr is gone: a report is not worth that.
            None => drop(writeln!(io::stderr(), "wakeful: {report}")),
        }
    }
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Reporter(custom hook)" } else { "Reporter(stderr)" })
    }
}
