//! [`HyperExecutor`]: hyper's `Executor` spawning wakeful tasks.

use std::future::Future;

use hyper::rt::Executor;

/// hyper's [`Executor`]: spawns each future hyper hands it as a detached task on the
/// wakeful runtime of the calling thread.
///
/// The futures need not be `Send`: a connection whose service holds `Rc`s is fine.
/// HTTP/1 connections need no executor (spawn each one with this, or `wakeful::spawn`).
/// HTTP/2 (hyper's `http2` feature) takes one: `http2::Builder::new(HyperExecutor)`,
/// server or client, with `.timer(HyperTimer)` for its keep-alive pings; hyper then
/// spawns a task per stream here, on the connection's thread, so services and bodies
/// may be `!Send` there too.
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
