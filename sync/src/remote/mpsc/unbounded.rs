//! The unbounded flavour: a send never waits.

use super::chan::Chan;
use super::error::{SendError, TryRecvError};
use super::{Closed, Recv, RecvMany, WeakUnboundedSender};
use crate::remote::block;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A channel with no bound: the queue grows as needed.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(None));
    (UnboundedSender { chan: chan.clone() }, UnboundedReceiver { chan })
}

/// Sends to the channel's receiver; `Send + Sync + Clone` when `T: Send`.
pub struct UnboundedSender<T> {
    pub(super) chan: Arc<Chan<T>>,
}

/// Receives the channel's messages; `Send` when `T: Send`.
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` and wakes the receiver if it waits; gives the value back if
    /// the receiver is closed or gone. Never waits.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.send_unbounded(value).map_err(SendError)
    }
}

sender_methods!(UnboundedSender, WeakUnboundedSender);

receiver_methods!(UnboundedReceiver);

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}
