//! The slots of a bounded channel: waiting for one ([`Reserve`]) and holding one
//! ([`Permit`], [`OwnedPermit`]), which gives it back if dropped unused.

use super::bounded::Sender;
use super::chan::Chan;
use crate::waiters::WaitKey;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A slot reserved for one message; gives it back if dropped unused.
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// A slot reserved for one message, owning its sender; gives the slot back if
/// dropped unused.
pub struct OwnedPermit<T> {
    /// `None` once used.
    sender: Option<Sender<T>>,
}

/// The wait for a slot; leaves the queue (passing on a slot just granted) if dropped.
pub(super) struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    key: Option<WaitKey>,
}

impl<T> Future for Reserve<'_, T> {
    type Output = Result<(), ()>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let this = &mut *self;
        this.chan.poll_reserve(&mut this.key, cx)
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_reserve(key);
        }
    }
}

impl<'a, T> Reserve<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Self {
        Reserve { chan, key: None }
    }
}

impl<'a, T> Permit<'a, T> {
    /// A permit for a slot already taken from `chan`.
    pub(super) fn new(chan: &'a Chan<T>) -> Self {
        Permit { chan }
    }
}

impl<T> OwnedPermit<T> {
    /// A permit for a slot already taken from `sender`'s channel.
    pub(super) fn new(sender: Sender<T>) -> Self {
        OwnedPermit { sender: Some(sender) }
    }
}

impl<T> Permit<'_, T> {
    /// Queues `value` in the reserved slot. Never fails: if the receiver was
    /// closed since, it can still receive it; if it was dropped, `value` is dropped.
    pub fn send(self, value: T) {
        let chan = self.chan;
        std::mem::forget(self); // the slot travels with the message
        chan.send_reserved(value);
    }
}

impl<T> OwnedPermit<T> {
    /// Queues `value` in the reserved slot and gives the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("an unused permit has its sender");
        sender.chan.send_reserved(value);
        sender
    }

    /// Gives the slot back unused, and the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("an unused permit has its sender");
        sender.chan.release();
        sender
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release();
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.chan.release();
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}
