//! [`with_waker`]: storing the polling task's waker without cloning it under a borrow.
//!
//! A waker's `clone` is user code, like its `wake` and `drop`, and it may call back into
//! the primitive being polled (`available_permits`, `notify_one`, `send`...). So a poll
//! looks at its state with the `RefCell` borrowed; if it must store a waker and the one
//! stored does not `will_wake`, it changes nothing, releases the borrow and asks for a
//! clone ([`NeedsClone`]). [`with_waker`] clones with nothing borrowed and runs the
//! poll's attempt again, which looks at the state afresh: the clone may have released,
//! sent or closed, and then the attempt completes instead of storing a waker that
//! nobody will wake. Being ready at once, or finding the same waker stored, costs no
//! clone.
//!
//! [`park`] does the same in one pass for primitives that queue a waiter before they
//! hold a waker: queue, clone with nothing borrowed, store, and see whether the clone
//! served the waiter meanwhile.

use super::{WaitKey, WaitList};
use std::cell::RefCell;
use std::task::Waker;

/// An attempt's answer when it must store a waker and holds no clone yet: it changed
/// nothing, so it can run again once [`with_waker`] has cloned one.
#[derive(Debug)]
pub(crate) struct NeedsClone;

/// The polling task's waker during one attempt: a clone once one was made, and the
/// waker the attempt replaced, both dropped by [`with_waker`] after the attempt's
/// borrows end (a waker's `drop` is user code too).
pub(crate) struct WakerSlot<'a> {
    waker: &'a Waker,
    clone: Option<Waker>,
    pub(super) replaced: Option<Waker>,
}

impl WakerSlot<'_> {
    /// Stores the task's waker in `stored`, unless it holds one that wakes the same
    /// task already. Fails, leaving `stored` as it was, if that needs a clone not yet made.
    pub(crate) fn store_in(&mut self, stored: &mut Option<Waker>) -> Result<(), NeedsClone> {
        if stored.as_ref().is_some_and(|stored| stored.will_wake(self.waker)) {
            return Ok(());
        }
        let clone = self.take()?;
        self.replaced = stored.replace(clone);
        Ok(())
    }

    /// The clone, for a waiter that queues now; fails if it is not made yet.
    pub(crate) fn take(&mut self) -> Result<Waker, NeedsClone> {
        self.clone.take().ok_or(NeedsClone)
    }

    /// A slot with no clone yet, as [`with_waker`] starts: for unit tests.
    #[cfg(test)]
    pub(crate) fn uncloned(waker: &Waker) -> WakerSlot<'_> {
        WakerSlot { waker, clone: None, replaced: None }
    }

    /// A slot that already holds a clone: for unit tests of what stores it.
    #[cfg(test)]
    pub(crate) fn cloned(waker: &Waker) -> WakerSlot<'_> {
        WakerSlot { waker, clone: Some(waker.clone()), replaced: None }
    }

    /// The waker the attempt replaced: for unit tests.
    #[cfg(test)]
    pub(crate) fn replaced(&mut self) -> Option<Waker> {
        self.replaced.take()
    }
}

/// Runs `attempt` (which borrows the primitive's state for its own duration only)
/// until it no longer asks for a clone of `waker`; clones between attempts, with
/// nothing borrowed. Returns the attempt's result once a clone and wakers it replaced
/// are dropped, also with nothing borrowed.
pub(crate) fn with_waker<R>(
    waker: &Waker,
    mut attempt: impl FnMut(&mut WakerSlot<'_>) -> Result<R, NeedsClone>,
) -> R {
    let mut slot = WakerSlot { waker, clone: None, replaced: None };
    loop {
        match attempt(&mut slot) {
            Ok(result) => {
                drop(slot); // an unused clone (the state changed) or a replaced waker
                return result;
            }
            Err(NeedsClone) => slot.clone = Some(waker.clone()),
        }
    }
}

/// Keeps a queued waiter's waker current in one pass, for primitives that queue a
/// waiter *before* they have a waker (`push_back(value, None)`): returns false if `key`
/// is no longer queued (it was served or closed, maybe by the clone itself), true once
/// its node holds a waker that wakes `waker`'s task. The list is borrowed only around
/// the clone, never during it, and the replaced waker is dropped with nothing borrowed.
pub(crate) fn park<S, T>(
    cell: &RefCell<S>,
    list: impl Fn(&mut S) -> &mut WaitList<T>,
    key: WaitKey,
    waker: &Waker,
) -> bool {
    {
        let mut state = cell.borrow_mut();
        match list(&mut state).node_mut(key).filter(|node| node.queued) {
            None => return false,
            Some(node) if node.waker.as_ref().is_some_and(|w| w.will_wake(waker)) => return true,
            Some(_) => {}
        }
    }
    park_new(cell, list, key, waker)
}

/// [`park`] for a waiter just queued with no waker: skips the first look.
pub(crate) fn park_new<S, T>(
    cell: &RefCell<S>,
    list: impl Fn(&mut S) -> &mut WaitList<T>,
    key: WaitKey,
    waker: &Waker,
) -> bool {
    let clone = waker.clone();
    let (queued, replaced) = {
        let mut state = cell.borrow_mut();
        match list(&mut state).node_mut(key).filter(|node| node.queued) {
            Some(node) => (true, node.waker.replace(clone)),
            None => (false, Some(clone)),
        }
    };
    // If this drop dequeues us, it takes and wakes the waker just stored: not lost.
    drop(replaced);
    queued
}
