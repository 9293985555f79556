//! The wake side of [`StreamMap`](super::StreamMap): the shared line of woken
//! entries, each entry's waker that puts it on the line, and the guard that puts back
//! an entry whose stream panicked.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// The entries woken since the map last looked, and the waker of the task reading it.
#[derive(Default)]
pub(super) struct WokenLine {
    pub(super) inner: Mutex<LineInner>,
}

#[derive(Default)]
pub(super) struct LineInner {
    pub(super) woken: VecDeque<(usize, u64)>,
    pub(super) reader: Option<Waker>,
}

pub(super) struct EntryWaker {
    pub(super) slot: usize,
    pub(super) generation: u64,
    /// On the line already: a second wake before the next poll adds nothing.
    pub(super) queued: AtomicBool,
    pub(super) line: Arc<WokenLine>,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let reader = {
            let mut inner = self.line.inner.lock().unwrap_or_else(PoisonError::into_inner);
            inner.woken.push_back((self.slot, self.generation));
            inner.reader.take()
        };
        // Outside the lock: the reader's wake may poll the map at once (a waker that
        // runs its task inline) or drop the last copy of something that wakes us.
        if let Some(reader) = reader {
            reader.wake();
        }
    }
}

/// Puts an entry whose stream panicked back on the line as it unwinds, so that the
/// map goes on polling it as tokio_stream's would (the panic still reaches the caller).
pub(super) struct WakeOnUnwind<'a>(pub(super) &'a Waker);

impl Drop for WakeOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.wake_by_ref();
        }
    }
}
