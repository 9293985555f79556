//! One core's thread, top to bottom: pin, build the runtime, start the mailbox, run
//! the factory's future until it returns or a shutdown drops it, serve on until
//! every core's future ended, record the last counters, drop the runtime. A panic or a failed setup fires the shutdown signal,
//! so the other cores end too.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

use super::handle::{Core, Handle, Job};
use super::shutdown::ShutdownRequested;
use super::CoresError;
use crate::sync::remote::mpsc;

/// What a core's thread returns: its output, or why it has none.
pub(crate) type Outcome<T> = Result<T, CoresError>;

/// What a core's thread is started with.
pub(crate) struct Setup {
    pub(crate) index: usize,
    pub(crate) handle: Handle,
    pub(crate) mailbox: mpsc::UnboundedReceiver<Job>,
    pub(crate) pin: bool,
    pub(crate) runtime: crate::Builder,
    pub(crate) shutdown_timeout: Duration,
}

thread_local! {
    /// The index of the core this thread runs, if it is a core's thread.
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The index of the core whose thread calls this, or `None` on any other thread.
///
/// ```
/// assert_eq!(wakeful::cores::current_index(), None);
/// let indices = wakeful::cores::Builder::new().cores(2).run(|_core| async { wakeful::cores::current_index() })?;
/// assert_eq!(indices, [Some(0), Some(1)]);
/// # Ok::<(), wakeful::cores::CoresError>(())
/// ```
pub fn current_index() -> Option<usize> {
    CURRENT.with(Cell::get)
}

/// The body of core `setup.index`'s thread.
pub(crate) fn run<F, Fut>(setup: Setup, factory: &F) -> Outcome<Fut::Output>
where
    F: Fn(Core) -> Fut,
    Fut: Future,
{
    let index = setup.index;
    let shared = setup.handle.shared.clone();
    CURRENT.with(|current| current.set(Some(index)));
    let outcome = run_core(setup, factory);
    if matches!(&outcome, Err(err) if err.is_cause()) {
        shared.shutdown.fire();
    }
    outcome
}

fn run_core<F, Fut>(setup: Setup, factory: &F) -> Outcome<Fut::Output>
where
    F: Fn(Core) -> Fut,
    Fut: Future,
{
    let Setup { index, handle, mailbox, pin, runtime, shutdown_timeout } = setup;
    if pin {
        super::affinity::pin_current_thread(index).map_err(|err| CoresError::build(index, err))?;
    }
    let runtime = runtime.build().map_err(|err| CoresError::build(index, err))?;
    // Detached: it lives as long as the runtime, and is dropped with it — and with it
    // the mailbox, so that later jobs come back to their senders as refused.
    drop(runtime.spawn(read_mailbox(mailbox)));
    let shared = handle.shared.clone();
    let core = Core { index, handle };
    // Unwind safety: after a panic the factory's future and the runtime's tasks are
    // dropped (below), never polled again.
    let output = catch_unwind(AssertUnwindSafe(|| {
        let future = factory(core);
        runtime.block_on(drive(future, index, &shared, shutdown_timeout))
    }));
    shared.factory_ended();
    if matches!(output, Ok(Some(_))) {
        // Returned: this core keeps serving its tasks and `spawn_on` until every
        // core's future has ended, or a shutdown.
        let all_ended = ShutdownRequested::new(shared.all_ended.clone());
        let shutdown = ShutdownRequested::new(shared.shutdown.clone());
        runtime.block_on(async {
            let (mut all_ended, mut shutdown) = (all_ended, shutdown);
            poll_fn(|cx| match Pin::new(&mut all_ended).poll(cx) {
                Poll::Ready(()) => Poll::Ready(()),
                Poll::Pending => Pin::new(&mut shutdown).poll(cx),
            })
            .await
        });
    }
    shared.set_final_stats(index, runtime.stats());
    // The runtime's drop contains the panics of the futures it drops.
    drop(runtime);
    match output {
        Ok(Some(output)) => Ok(output),
        Ok(None) => Err(CoresError::shut_down(index)),
        Err(payload) => {
            let err = CoresError::panicked(index, &*payload);
            // The payload's `Drop` is user code: contained, as the executor does; one
            // that panics again is leaked.
            if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                std::mem::forget(again);
            }
            Err(err)
        }
    }
}

/// The mailbox task: runs each job as it arrives. A job only spawns a task or
/// answers a question: it does not wait, so the mailbox never falls behind by much.
/// Each job spends a unit of the cooperative budget: the channel does not (it knows
/// no executor), and a flood of jobs from other cores must not starve this core's
/// own I/O and timers. A job that panics is contained: the mailbox reads on.
async fn read_mailbox(mut mailbox: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = mailbox.recv().await {
        poll_fn(wakeful_executor::coop::poll_proceed).await;
        // A job wakes wakers of other threads (a `stats` answer): one that panics
        // must not end this task, or the core takes no job again. Contained as
        // `Signal::fire` does; a payload whose `Drop` panics again is leaked.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
            if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                std::mem::forget(again);
            }
        }
    }
}

/// Polls the factory's `future` until it returns (`Some(output)`), or until a
/// shutdown ends it (`None`): at once if no future asked for this core's shutdown
/// signal, else once `timeout` has passed without it returning.
async fn drive<Fut: Future>(
    future: Fut,
    index: usize,
    shared: &super::handle::Shared,
    timeout: Duration,
) -> Option<Fut::Output> {
    let mut future = pin!(future);
    let mut signal = ShutdownRequested::new(shared.shutdown.clone());
    // On the OS clock (see `Alarm`); a runtime timer only if no thread could be had.
    let mut alarm: Option<super::shutdown::Alarm> = None;
    let mut grace: Option<Pin<Box<crate::time::Sleep>>> = None;
    poll_fn(|cx| {
        // The future first: one that listens for the signal was woken with us, and
        // returns its output now.
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if Pin::new(&mut signal).poll(cx).is_pending() {
            return Poll::Pending;
        }
        if !shared.is_listening(index) {
            return Poll::Ready(None);
        }
        if alarm.is_none() && grace.is_none() {
            if std::time::Instant::now().checked_add(timeout).is_none() {
                return Poll::Pending; // no limit: the future ends by itself
            }
            alarm = super::shutdown::Alarm::start(timeout);
            if alarm.is_none() {
                match crate::time::Instant::now().checked_add(timeout) {
                    Some(deadline) => grace = Some(Box::pin(crate::time::sleep_until(deadline))),
                    None => return Poll::Pending,
                }
            }
        }
        if let Some(alarm) = &mut alarm {
            return alarm.poll_expired(cx).map(|()| None);
        }
        match grace.as_mut().map(|sleep| sleep.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    })
    .await
}
