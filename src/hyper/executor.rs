//! [`HyperExecutor`]: hyper's `Executor` spawning wakeful tasks.

use std::future::Future;

use hyper::rt::Executor;

/// hyper's [`Executor`]: spawns each future hyper hands it as a detached task on the
/// wakeful runtime of the calling thread.
///
/// The futures need not be `Send`: a connection whose service holds `Rc`s is fine.
/// With HTTP/2, hyper asks the executor to run its stream and connection futures
/// (`Executor<H2Stream<…>>`), which this does on the same thread, `Send` or not; hyper
/// adds `Send` bounds of its own only where its API says so.
///
/// # Panics
/// `execute` panics when called outside a wakeful runtime (as `wakeful::spawn` does):
/// hyper's `Executor` has no way to return the error.
///
/// ```
/// use hyper::rt::Executor;
/// use wakeful::hyper::HyperExecutor;
///
/// wakeful::block_on(async {
///     let (tx, rx) = wakeful::sync::oneshot::channel();
///     let shared = std::rc::Rc::new(7); // `!Send`, and still spawnable
///     HyperExecutor.execute(async move {
///         let _ = tx.send(*shared * 6);
///     });
///     assert_eq!(rx.await.unwrap(), 42);
/// });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperExecutor;

impl<F> Executor<F> for HyperExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, future: F) {
        // Detached: hyper owns the future's life (a connection ends when it ends).
        drop(wakeful_executor::spawn(future));
    }
}
