//! [`Builder`]: spawning a task with a name.

use std::io;
use std::panic::Location;

use crate::join::JoinHandle;
use crate::runtime::{self, Runtime};
use crate::scheduler;

use super::Name;

/// Spawns a task with options: for now, a name, shown in [`TaskInfo`](super::TaskInfo)
/// records and in reports. tokio's `task::Builder`, stable here.
///
/// ```
/// use wakeful_executor::{block_on, task};
///
/// block_on(async {
///     let handle = task::Builder::new().name("conn 12").spawn(async { task::tasks() })?;
///     let tasks = handle.await.unwrap();
///     assert_eq!(tasks[0].name.as_deref(), Some("conn 12"));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    name: Option<String>,
    location: Option<&'static Location<'static>>,
}

impl Builder {
    /// A builder for an unnamed task.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task. Any string; stored once, in its own allocation, only if given.
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Records `location` as where the task was spawned, instead of the caller of
    /// `spawn`: for code that spawns on its own caller's behalf (`wakeful::cores`
    /// sends a task to another core, which spawns it), so that the record names the
    /// user's line rather than the library's.
    ///
    /// ```
    /// use std::panic::Location;
    /// use wakeful_executor::{block_on, task};
    ///
    /// #[track_caller]
    /// fn spawn_for_my_caller() -> &'static Location<'static> {
    ///     let caller = Location::caller();
    ///     block_on(async move {
    ///         task::Builder::new().location(caller).spawn(async { task::tasks()[0].location }).unwrap().await.unwrap()
    ///     })
    /// }
    ///
    /// let line = line!() + 1;
    /// let location = spawn_for_my_caller();
    /// assert_eq!((location.file(), location.line()), (file!(), line));
    /// ```
    pub fn location(mut self, location: &'static Location<'static>) -> Builder {
        self.location = Some(location);
        self
    }

    /// Spawns `future` on the runtime running on this thread, as
    /// [`spawn`](crate::spawn) does.
    ///
    /// # Errors
    /// Outside a runtime (where `spawn` panics): an `io::Error` of kind `Other`.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        let location = self.location.unwrap_or(Location::caller());
        let name = self.name.map(|name| Box::new(Name(name)));
        scheduler::with_current(|scheduler| {
            match scheduler {
            Some(scheduler) => Ok(runtime::spawn_on(scheduler, future, location, name)),
            None => Err(io::Error::other(
                "wakeful::task::Builder::spawn called outside a runtime: call it inside block_on, or use spawn_on",
            )),
        }
        })
    }

    /// The same as [`spawn`](Builder::spawn): tasks need not be `Send` (tokio's name).
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        self.spawn(future)
    }

    /// Spawns `future` on `runtime`, from anywhere on its thread, as
    /// [`Runtime::spawn`] does. Never fails today; `io::Result` as in tokio.
    ///
    /// ```
    /// use wakeful_executor::{task, Runtime};
    ///
    /// let rt = Runtime::new();
    /// let handle = task::Builder::new().name("setup").spawn_on(async { 1 }, &rt)?;
    /// assert_eq!(rt.tasks()[0].name.as_deref(), Some("setup"));
    /// assert_eq!(rt.block_on(handle).unwrap(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, runtime: &Runtime) -> io::Result<JoinHandle<F::Output>>
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        Ok(runtime::spawn_on(
            runtime.scheduler(),
            future,
            self.location.unwrap_or(Location::caller()),
            self.name.map(|name| Box::new(Name(name))),
        ))
    }
}
