//! [`Id`]: a task's name for as long as the process lives, and [`id`] / [`try_id`],
//! the id of the task being polled.

use std::fmt;
use std::num::NonZeroU64;
// std's atomic even under loom: the counter is process-wide (a loom atomic cannot be
// a `static`), and no model checks the order in which ids are handed out.
use std::sync::atomic::{AtomicU64, Ordering};

use crate::scheduler;

/// A task's id: unique in the process, across runtimes and threads, never reused,
/// never 0. Shown as "task 12".
///
/// ```
/// use wakeful_executor::{block_on, spawn, task};
///
/// block_on(async {
///     let handle = spawn(async { task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), id);
///     assert_eq!(format!("{id}"), format!("task {}", id.as_u64()));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    /// A fresh id, greater than every id handed out before.
    pub(crate) fn next() -> Id {
        // Relaxed: only uniqueness matters, which the atomic add gives by itself.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // 2^64 spawns would take centuries at a billion a second.
        Id(NonZeroU64::new(n).expect("wakeful: task ids exhausted"))
    }

    /// The id as a number (what `Display` shows after "task ").
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// The id of the task being polled on this thread.
///
/// Also inside the `Drop` of a task's future when the runtime drops it (an abort, or
/// shutdown).
///
/// # Panics
/// Outside a task: with no runtime on this thread, or in the `block_on` future itself
/// (which is not a task). See [`try_id`].
///
/// ```
/// use wakeful_executor::{block_on, spawn, task};
///
/// block_on(async {
///     let id = spawn(async { task::id() }).await.unwrap();
///     assert!(id.as_u64() > 0);
/// });
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect(
        "wakeful::task::id called outside a task (no task is being polled on this thread); use try_id",
    )
}

/// The id of the task being polled on this thread, or `None` outside a task.
///
/// ```
/// use wakeful_executor::{block_on, task};
///
/// assert_eq!(task::try_id(), None);
/// block_on(async { assert_eq!(task::try_id(), None, "block_on's future is not a task") });
/// ```
pub fn try_id() -> Option<Id> {
    scheduler::with_current(|scheduler| scheduler?.running_id())
}
