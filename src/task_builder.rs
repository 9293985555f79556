//! [`Builder`]: the executor's task builder, with `spawn_on` taking this facade's
//! [`Runtime`](crate::Runtime).

use std::future::Future;
use std::io;

use crate::JoinHandle;

/// Spawns a named task (tokio's `task::Builder`, stable here). See
/// [`wakeful_executor::task::Builder`].
///
/// ```
/// wakeful::block_on(async {
///     let handle = wakeful::task::Builder::new().name("conn 12").spawn(async { 7 })?;
///     assert_eq!(handle.await.unwrap(), 7);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder(wakeful_executor::task::Builder);

impl Builder {
    /// A builder for an unnamed task.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task, as shown in [`TaskInfo`](crate::task::TaskInfo) and reports.
    pub fn name(self, name: impl Into<String>) -> Builder {
        Builder(self.0.name(name))
    }

    /// Spawns on the runtime of this thread; an `io::Error` outside one.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.0.spawn(future)
    }

    /// The same as [`spawn`](Builder::spawn) (tokio's name: tasks need not be `Send`).
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.0.spawn(future)
    }

    /// Spawns on `runtime`; it runs during the runtime's `block_on`.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, runtime: &crate::Runtime) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.0.spawn_on(future, &runtime.executor)
    }
}
