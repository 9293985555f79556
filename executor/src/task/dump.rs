//! [`Dump`]: every live task and what it waits on, in words.
//!
//! Who holds a task's wakers is found without cloning one (a clone changes the count
//! being read): a waker is the executor's if its vtable is (`waker::is_task_waker`),
//! and its data pointer is then the task's header. Three sources:
//!
//! 1. holders listed from outside, described by whoever lists them ([`Holder`]): the
//!    glue passes the reactor's waiters, "fd 9 (TcpStream …) readable";
//! 2. other tasks' `join_waker`s: "the JoinHandle of task 12";
//! 3. the reference count, minus the references that are not wakers' (the live list,
//!    the `JoinHandle` unless detached, `AbortHandle`s, queue entries, the run loop's
//!    during a poll): any wakers beyond the listed ones are held where the runtime
//!    cannot see (a channel, a `select`, another thread), and none at all, with the
//!    task not queued, means nothing can ever wake it.

use std::fmt;
use std::task::{RawWakerVTable, Waker};
use std::time::Duration;

use super::{Id, TaskInfo, TaskState};
use crate::scheduler;

mod build;

pub(crate) use build::{build, wakers_held};

/// A waker held outside the executor, and what holding it means, in words: how the
/// glue tells a dump about the wakers the reactor holds ("fd 7 (TcpListener
/// 127.0.0.1:8002) readable", "timer due in 2.3 s").
///
/// Only the waker's two pointers are kept, never the waker: reading them runs no
/// code and changes no count. Wakers that are not this executor's tasks' are ignored.
///
/// ```
/// use wakeful_executor::{spawn, task::{self, Holder, WaitsOn}, Runtime};
///
/// let rt = Runtime::new();
/// rt.block_on(async {
///     let (tx, rx) = std::sync::mpsc::channel();
///     let waiter = spawn(std::future::poll_fn(move |cx| {
///         tx.send(cx.waker().clone()).unwrap(); // handed to "the outside"
///         std::task::Poll::<()>::Pending
///     }));
///     wakeful_executor::yield_now().await;
///     let stored = rx.recv().unwrap();
///     let dump = task::dump_with(&[Holder::of(&stored, "a test's slot")]);
///     let waits = &dump.get(waiter.id()).unwrap().waits_on;
///     assert_eq!(waits, &[WaitsOn::Held("a test's slot".into())]);
/// });
/// ```
#[derive(Debug)]
pub struct Holder {
    data: *const (),
    vtable: *const RawWakerVTable,
    what: String,
}

impl Holder {
    /// A holder of a waker with these `data` and `vtable` pointers
    /// ([`Waker::data`], [`Waker::vtable`]); they are compared, never followed.
    pub fn new(data: *const (), vtable: &'static RawWakerVTable, what: impl Into<String>) -> Holder {
        Holder { data, vtable, what: what.into() }
    }

    /// A holder of `waker`, read without cloning it.
    pub fn of(waker: &Waker, what: impl Into<String>) -> Holder {
        Holder::new(waker.data(), waker.vtable(), what)
    }
}

/// One thing a task waits on: a place that holds its waker, or the verdict that none
/// does. `Display` says it in words.
///
/// ```
/// use wakeful_executor::task::WaitsOn;
///
/// assert_eq!(WaitsOn::Held("timer due in 2.3 s".into()).to_string(), "timer due in 2.3 s");
/// assert_eq!(
///     WaitsOn::Elsewhere(1).to_string(),
///     "a waker held elsewhere (a channel, a select, another thread): 1"
/// );
/// assert!(WaitsOn::Nothing.to_string().ends_with("it can never wake (lost waker)"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitsOn {
    /// A holder listed from outside, in its own words ([`Holder`]).
    Held(String),
    /// The `JoinHandle` of this task stored the waker: it waits for that task to end.
    JoinHandle(Id),
    /// This many wakers are held where the runtime cannot see: a channel, a `select`,
    /// another thread — or the task's own future (a self-clone counts as held).
    Elsewhere(usize),
    /// No waker of the task exists, and it is not queued: it can never wake.
    Nothing,
}

impl fmt::Display for WaitsOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitsOn::Held(what) => f.write_str(what),
            WaitsOn::JoinHandle(id) => write!(f, "the JoinHandle of {id}"),
            WaitsOn::Elsewhere(n) => {
                write!(f, "a waker held elsewhere (a channel, a select, another thread): {n}")
            }
            WaitsOn::Nothing => {
                f.write_str("nothing: no waker of it is held anywhere — it can never wake (lost waker)")
            }
        }
    }
}

/// One live task in a [`Dump`]: its record, and what it waits on.
///
/// ```
/// use wakeful_executor::Runtime;
///
/// let rt = Runtime::new();
/// let handle = rt.spawn(async {});
/// let dump = rt.dump();
/// let task = &dump.tasks()[0];
/// assert_eq!((task.info.id, task.waits_on.len()), (handle.id(), 0));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskDump {
    /// Id, name, spawn location, future type, state, polls, idle time, ...
    pub info: TaskInfo,
    /// Who holds its wakers. Empty for a queued task that nobody else holds.
    pub waits_on: Vec<WaitsOn>,
}

/// Every live task of a runtime, by id, with what each waits on; `Display` prints it
/// as an indented listing. Made by [`Runtime::dump`](crate::Runtime::dump) or
/// [`task::dump`](dump()) (the facade's add the reactor's waiters, in words).
///
/// ```
/// use wakeful_executor::{spawn, task::{self, WaitsOn}, yield_now, Runtime};
///
/// let rt = Runtime::new();
/// rt.block_on(async {
///     let child = spawn(async { std::future::pending::<()>().await });
///     let parent = spawn(async move { child.await.unwrap() });
///     yield_now().await; // both run once, and wait
///     let dump = task::dump();
///     assert_eq!(dump.len(), 2);
///     let child = dump.tasks()[0].info.id;
///     assert_eq!(dump.get(parent.id()).unwrap().waits_on, [WaitsOn::JoinHandle(child)]);
///     assert_eq!(dump.get(child).unwrap().waits_on, [WaitsOn::Nothing]);
///     assert!(dump.to_string().contains("it can never wake (lost waker)"));
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct Dump {
    tasks: Vec<TaskDump>,
    block_on: Vec<WaitsOn>,
}

impl Dump {
    /// The tasks, by id (oldest first).
    pub fn tasks(&self) -> &[TaskDump] {
        &self.tasks
    }

    /// The tasks, by id.
    pub fn iter(&self) -> std::slice::Iter<'_, TaskDump> {
        self.tasks.iter()
    }

    /// The task `id`, if it is live.
    pub fn get(&self, id: Id) -> Option<&TaskDump> {
        self.tasks.binary_search_by_key(&id, |task| task.info.id).ok().map(|i| &self.tasks[i])
    }

    /// What the runtime's `block_on` future waits on, as far as the listed holders
    /// and the tasks' `JoinHandle`s tell (it is no task, so nothing is counted): a
    /// server's accept loop often runs there.
    pub fn block_on(&self) -> &[WaitsOn] {
        &self.block_on
    }

    /// How many live tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if there is no live task (or the dump was taken outside a runtime).
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl<'a> IntoIterator for &'a Dump {
    type Item = &'a TaskDump;
    type IntoIter = std::slice::Iter<'a, TaskDump>;

    fn into_iter(self) -> Self::IntoIter {
        self.tasks.iter()
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} live task{}", self.len(), if self.len() == 1 { "" } else { "s" })?;
        for task in self {
            let info = &task.info;
            write!(f, "{}", info.id)?;
            if let Some(name) = &info.name {
                write!(f, " {name:?}")?;
            }
            let state = match info.state {
                TaskState::Scheduled => "scheduled",
                TaskState::Running => "running",
                _ => "idle",
            };
            write!(f, " ({state}, {} poll{}", info.polls, if info.polls == 1 { "" } else { "s" })?;
            if let Some(idle) = info.idle_for {
                write!(f, ", idle {}", seconds(idle))?;
            }
            writeln!(f, ")")?;
            writeln!(f, "  spawned at {}", info.location)?;
            writeln!(f, "  future {}", info.future_type)?;
            for wait in &task.waits_on {
                writeln!(f, "  waits on {wait}")?;
            }
        }
        if !self.block_on.is_empty() {
            writeln!(f, "the block_on future")?;
            for wait in &self.block_on {
                writeln!(f, "  waits on {wait}")?;
            }
        }
        Ok(())
    }
}

/// `d` as "2.3 s", "15 ms" or "40 µs": a reader's precision, not a benchmark's.
fn seconds(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else if d >= Duration::from_millis(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} µs", d.as_micros())
    }
}

/// A dump of the runtime running on this thread (from inside a task, its `block_on`
/// future, or a report hook), with what `holders` say they hold; empty outside a
/// runtime. The facade's `wakeful::task::dump` passes the reactor's waiters. See
/// [`Holder`] for an example with a holder.
///
/// ```
/// use wakeful_executor::{block_on, task};
///
/// assert!(task::dump_with(&[]).is_empty(), "outside a runtime");
/// block_on(async { assert_eq!(task::dump_with(&[]).len(), 0) });
/// ```
pub fn dump_with(holders: &[Holder]) -> Dump {
    scheduler::with_current(|scheduler| scheduler.map(|s| build(s, holders)).unwrap_or_default())
}

/// A dump of the runtime running on this thread, knowing of no outside holders (so
/// the reactor's waiters count among the wakers "held elsewhere"); empty outside a
/// runtime. See [`Dump`].
///
/// ```
/// use wakeful_executor::{block_on, spawn, task::{self, TaskState}};
///
/// block_on(async {
///     let me = spawn(async { task::dump().get(task::id()).map(|t| t.info.state) });
///     assert_eq!(me.await.unwrap(), Some(TaskState::Running));
/// });
/// assert!(task::dump().is_empty());
/// ```
pub fn dump() -> Dump {
    dump_with(&[])
}

#[cfg(all(test, not(loom)))]
#[path = "dump_tests.rs"]
mod tests;
