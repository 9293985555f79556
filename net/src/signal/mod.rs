//! Signals as async events: [`ctrl_c`], and [`unix::signal`] for any catchable
//! signal, as a stream of deliveries.
//!
//! The first listener for a signal installs a process-wide handler for it, which stays
//! for the life of the process (the signal's default action, such as terminating on
//! `SIGINT`, no longer happens). Any number of listeners, on any runtimes, may wait for
//! the same signal; each sees every delivery made after it was created. Deliveries
//! that arrive while nobody is polling are coalesced: a listener wakes once for them.

mod registry;
pub mod unix;

use std::io;

/// Waits for the next Ctrl-C (`SIGINT`).
///
/// Cancel-safe, but a fresh listener each call: a Ctrl-C that arrives while no
/// `ctrl_c()` is waiting is not kept for the next one. To miss none, keep one
/// [`unix::signal`] listener and call `recv` on it.
///
/// ```no_run
/// wakeful::block_on(async {
///     wakeful::signal::ctrl_c().await.expect("listen for Ctrl-C");
///     println!("shutting down");
/// });
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    match unix::signal(unix::SignalKind::interrupt())?.recv().await {
        Some(()) => Ok(()),
        // Not `Ok`: a program would take it for a Ctrl-C and shut down.
        None => Err(io::Error::other(
            "wakeful::signal::ctrl_c: stopped listening before any Ctrl-C \
             (polled outside a runtime, or out of file descriptors)",
        )),
    }
}
