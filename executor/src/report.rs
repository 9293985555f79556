//! [`Report`]: what the runtime's detectors found, and the hook that receives it.
//!
//! A detector builds a report on the runtime's thread, after the poll it is about,
//! with no table borrowed; the hook is user code, so it runs with a panic contained.
//! The default hook prints one line to stderr.

use std::fmt;
use std::io::{self, Write};
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use crate::task::Id;
use crate::unwind;

/// Something a detector noticed. More kinds will come (hence `non_exhaustive`).
///
/// Set a hook with [`Builder::on_report`](crate::Builder::on_report); the default
/// prints `wakeful: ` and the report's `Display` to stderr.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::{Duration, Instant};
/// use wakeful_executor::{spawn, Builder, Report};
///
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let sink = seen.clone();
/// let rt = Builder::default()
///     .measure_polls(true)
///     .long_poll_threshold(Some(Duration::from_millis(5)))
///     .on_report(move |report| sink.borrow_mut().push(report.clone()))
///     .build();
/// rt.block_on(async {
///     // Blocking inside async code: the most common stall.
///     spawn(async { std::thread::sleep(Duration::from_millis(20)) }).await.unwrap();
/// });
/// let seen = seen.borrow();
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
        }
    }
}

/// Where reports go.
#[derive(Clone, Default)]
pub(crate) struct Reporter(Option<Hook>);

/// A user's hook, shared by clones of the `Builder`.
type Hook = Rc<dyn Fn(&Report)>;

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
