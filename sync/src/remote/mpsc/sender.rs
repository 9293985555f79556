//! What both flavours' senders do, written once: the methods [`Sender`] and
//! [`UnboundedSender`] share, and [`WeakSender`] and [`WeakUnboundedSender`], senders
//! that do not keep the channel open (the receiver sees the end once every strong
//! sender is gone).

use super::chan::Chan;
use super::{Sender, UnboundedSender};
use std::fmt;
use std::sync::Arc;

/// A sender that does not keep the channel open; see [`Sender::downgrade`].
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// An unbounded sender that does not keep the channel open; see
/// [`UnboundedSender::downgrade`].
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// The methods, `Clone` and `Drop` both strong senders share; each has a
/// `chan: Arc<Chan<T>>` field, and `$weak` is its weak type.
macro_rules! sender_methods {
    ($strong:ident, $weak:ident) => {
        impl<T> $strong<T> {
            /// Waits until the receiver is closed or gone. Cancel-safe.
            pub async fn closed(&self) {
                Closed { chan: &self.chan, key: None }.await
            }

            /// Whether the receiver is closed or gone.
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed()
            }

            /// Whether both senders belong to the same channel.
            pub fn same_channel(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.chan, &other.chan)
            }

            /// A sender that does not keep the channel open.
            pub fn downgrade(&self) -> $weak<T> {
                $weak::new(self.chan.clone())
            }

            /// How many senders exist.
            pub fn strong_count(&self) -> usize {
                self.chan.counts().0
            }

            /// How many weak senders exist.
            pub fn weak_count(&self) -> usize {
                self.chan.counts().1
            }
        }

        impl<T> Clone for $strong<T> {
            fn clone(&self) -> Self {
                self.chan.add_sender();
                $strong { chan: self.chan.clone() }
            }
        }

        impl<T> Drop for $strong<T> {
            fn drop(&mut self) {
                self.chan.drop_sender();
            }
        }
    };
}

/// The same code for both weak flavours: only the strong type differs.
macro_rules! weak_sender {
    ($weak:ident, $strong:ident) => {
        impl<T> $weak<T> {
            /// A weak sender of `chan`, counted there.
            pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
                chan.add_weak(1);
                $weak { chan }
            }

            /// A sender again, if any sender still exists.
            pub fn upgrade(&self) -> Option<$strong<T>> {
                self.chan.try_add_sender().then(|| $strong { chan: self.chan.clone() })
            }

            /// How many senders exist.
            pub fn strong_count(&self) -> usize {
                self.chan.counts().0
            }

            /// How many weak senders exist.
            pub fn weak_count(&self) -> usize {
                self.chan.counts().1
            }
        }

        impl<T> Clone for $weak<T> {
            fn clone(&self) -> Self {
                $weak::new(self.chan.clone())
            }
        }

        impl<T> Drop for $weak<T> {
            fn drop(&mut self) {
                self.chan.add_weak(-1);
            }
        }

        impl<T> fmt::Debug for $weak<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($weak)).finish_non_exhaustive()
            }
        }
    };
}

weak_sender!(WeakSender, Sender);
weak_sender!(WeakUnboundedSender, UnboundedSender);
