//! Waiting on a plain thread: the `blocking_*` methods poll their future with a waker
//! that unparks the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's unparking waker, made once: a `blocking_send` per message then
    /// allocates nothing (a call clones it: a reference count).
    static UNPARK: Waker = Waker::from(Arc::new(Unpark(thread::current())));
}

/// Polls `future` on this thread until it completes, parking between polls. A park
/// may return early (spuriously, or for another unpark): the loop polls again.
pub(super) fn block_on<F: Future>(future: F) -> F::Output {
    // During thread-local destruction (a blocking send from another thread-local's
    // `Drop`) the cached waker may be gone: make one for this call.
    let waker =
        UNPARK.try_with(Waker::clone).unwrap_or_else(|_| Waker::from(Arc::new(Unpark(thread::current()))));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
