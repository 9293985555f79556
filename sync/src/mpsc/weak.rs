//! [`WeakSender`] and [`WeakUnboundedSender`]: senders that do not keep a channel open.
//!
//! The receiver sees the end once every *strong* sender is gone, whatever weak ones
//! remain; [`upgrade`](WeakSender::upgrade) then returns `None` for good, as tokio's
//! does (a channel that ended does not reopen). A weak sender keeps the channel's
//! memory (not its messages: the receiver's drop drops those) until it is dropped.

use super::chan::Chan;
use super::{Sender, UnboundedSender};
use std::fmt;
use std::rc::Rc;

/// A [`Sender`] that does not count: upgrade it to send.
pub struct WeakSender<T> {
    chan: Rc<Chan<T>>,
}

/// An [`UnboundedSender`] that does not count: upgrade it to send.
pub struct WeakUnboundedSender<T> {
    chan: Rc<Chan<T>>,
}

/// The same code for both flavours: only the strong type differs.
macro_rules! weak_sender {
    ($weak:ident, $strong:ident) => {
        impl<T> $weak<T> {
            pub(super) fn new(chan: Rc<Chan<T>>) -> Self {
                chan.add_weak();
                $weak { chan }
            }

            /// A strong sender again, or `None` once every strong sender was dropped.
            pub fn upgrade(&self) -> Option<$strong<T>> {
                self.chan.upgrade().then(|| $strong { chan: self.chan.clone() })
            }

            /// How many strong senders exist.
            pub fn strong_count(&self) -> usize {
                self.chan.sender_count()
            }

            /// How many weak senders exist, this one included.
            pub fn weak_count(&self) -> usize {
                self.chan.weak_count()
            }
        }

        impl<T> Clone for $weak<T> {
            fn clone(&self) -> Self {
                $weak::new(self.chan.clone())
            }
        }

        impl<T> Drop for $weak<T> {
            fn drop(&mut self) {
                self.chan.drop_weak();
            }
        }

        impl<T> fmt::Debug for $weak<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($weak))
                    .field("strong_count", &self.strong_count())
                    .field("weak_count", &self.weak_count())
                    .finish()
            }
        }
    };
}

weak_sender!(WeakSender, Sender);
weak_sender!(WeakUnboundedSender, UnboundedSender);
