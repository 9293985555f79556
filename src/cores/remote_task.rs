//! A task spawned on a core from anywhere ([`Handle::spawn_on`](super::Handle::spawn_on)),
//! and [`RemoteJoinHandle`], its `Send` handle.
//!
//! Two `remote::oneshot` channels connect them: the output (or a [`JoinError`]) goes
//! to the handle, and `abort()` goes to the task. Dropping the handle drops the abort
//! sender without sending: the task sees the channel closed, stops watching it and
//! runs on, detached — as a dropped [`JoinHandle`](crate::JoinHandle) does.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use crate::sync::remote::oneshot;
use crate::JoinError;

type Output<O> = Result<O, JoinError>;

/// A handle to a task started by [`Handle::spawn_on`](super::Handle::spawn_on):
/// `Send` (when the output is), awaitable from any wakeful task on any core, or
/// waited for with [`join`](Self::join) from a plain thread.
///
/// It resolves to `Err(JoinError)` when the task panicked (also when the closure
/// that builds it panicked on arrival), was aborted, or never ran or finished
/// because its core ended first. Dropping the handle detaches the task: it runs on,
/// and its output is dropped.
///
/// ```
/// let outputs = wakeful::cores::Builder::new().cores(2).run(|core| async move {
///     if core.index() == 0 {
///         let on_core_1 = core.handle().spawn_on(1, || async { wakeful::cores::current_index() });
///         assert_eq!(on_core_1.await.unwrap(), Some(1));
///     }
///     core.index()
/// })?;
/// assert_eq!(outputs, [0, 1]);
/// # Ok::<(), wakeful::cores::CoresError>(())
/// ```
pub struct RemoteJoinHandle<O> {
    output: oneshot::Receiver<Output<O>>,
    /// `None` once aborted. A mutex so that `abort` takes `&self`, as tokio's.
    abort: Mutex<Option<oneshot::Sender<()>>>,
    /// The core the task runs on: `join` there could never return.
    core: usize,
}

impl<O> RemoteJoinHandle<O> {
    /// Asks the task to stop: its future is dropped on its core at the next turn,
    /// and this handle resolves to a cancelled `JoinError` (unless it had finished).
    ///
    /// ```
    /// let cancelled = wakeful::cores::Builder::new().cores(1).run(|core| async move {
    ///     let forever = core.handle().spawn_on(0, || std::future::pending::<()>());
    ///     forever.abort();
    ///     forever.await.unwrap_err().is_cancelled()
    /// })?;
    /// assert_eq!(cancelled, [true]);
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    pub fn abort(&self) {
        let sender = self.abort.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(sender) = sender {
            // Fails only if the task is gone, which is what was asked.
            let _ = sender.send(());
        }
    }

    /// Blocks this thread until the task ends. For plain threads: on a runtime's
    /// thread it blocks every task there (await the handle instead).
    ///
    /// # Panics
    /// On the thread of the task's own core, which would wait forever for itself.
    ///
    /// ```
    /// let cores = wakeful::cores::Builder::new().cores(1).start(|core| async move { core.shutdown_requested().await });
    /// let handle = cores.handle();
    /// let failed = handle.spawn_on(0, || async { panic!("on core 0") });
    /// assert_eq!(failed.join().unwrap_err().to_string(), "task panicked: on core 0");
    /// handle.shutdown();
    /// cores.join()?;
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    pub fn join(self) -> Output<O> {
        if super::current_index() == Some(self.core) {
            panic!(
                "RemoteJoinHandle::join on core {}'s own thread would wait forever for its own task: \
                 await the handle instead",
                self.core
            );
        }
        let RemoteJoinHandle { output, abort, .. } = self;
        let result = output.blocking_recv();
        drop(abort);
        result.unwrap_or_else(|_| Err(never_ran()))
    }
}

impl<O> Future for RemoteJoinHandle<O> {
    type Output = Output<O>;

    /// A sender dropped without a result means the task was dropped unfinished: its
    /// core ended, or the job never reached it.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output<O>> {
        Pin::new(&mut self.output).poll(cx).map(|result| result.unwrap_or_else(|_| Err(never_ran())))
    }
}

impl<O> fmt::Debug for RemoteJoinHandle<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJoinHandle")
            .field("terminated", &self.output.is_terminated())
            .finish_non_exhaustive()
    }
}

/// The error when the result's sender is gone without a result: the job was dropped
/// before it ran, or its task unfinished, because the core ended. Cancelled; the
/// handle never learnt the task's id, so the error carries one no task has.
fn never_ran() -> JoinError {
    JoinError::cancelled(crate::task::Id::fresh())
}

/// The job for a core's mailbox, and the handle that waits for it. The job spawns
/// the task on the core that runs it; `make` is called there, in the task.
pub(crate) fn remote_task<M, Fut>(
    core: usize,
    make: M,
) -> (Box<dyn FnOnce() + Send>, RemoteJoinHandle<Fut::Output>)
where
    M: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    let (output_tx, output_rx) = oneshot::channel();
    let (abort_tx, abort_rx) = oneshot::channel();
    let job = Box::new(move || {
        // Detached: the output travels by the channel, not the local JoinHandle.
        drop(crate::spawn(async move {
            let output = run(make, abort_rx).await;
            // Fails if the handle is gone: the output is dropped, as for a detached task.
            let _ = output_tx.send(output);
        }));
    });
    (job, RemoteJoinHandle { output: output_rx, abort: Mutex::new(Some(abort_tx)), core })
}

/// Builds the future and polls it to its end, or until an abort arrives. Panics in
/// `make` and in `poll` become a `JoinError` here, on the core, so that the handle
/// gets the payload.
async fn run<M, Fut>(make: M, abort: oneshot::Receiver<()>) -> Output<Fut::Output>
where
    M: FnOnce() -> Fut,
    Fut: Future,
{
    // Unwind safety: after a panic, `make` and the future are dropped, never used.
    let id = crate::task::id(); // `run` is a task's whole future
    let future = catch_unwind(AssertUnwindSafe(make)).map_err(|payload| JoinError::panicked(id, payload))?;
    let mut future = pin!(future);
    let mut abort = Some(abort);
    poll_fn(|cx| {
        if let Some(receiver) = &mut abort {
            match Pin::new(receiver).poll(cx) {
                Poll::Ready(Ok(())) => return Poll::Ready(Err(JoinError::cancelled(id))),
                // The handle was dropped: detached, nothing more to watch.
                Poll::Ready(Err(_)) => abort = None,
                Poll::Pending => {}
            }
        }
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(JoinError::panicked(id, payload))),
        }
    })
    .await
}
