//! The errors of the [`watch`](super) channel, named as tokio's.

use std::fmt;

send_error! {
    /// From [`Sender::send`](super::Sender::send) when there is no receiver: the value,
    /// given back.
}

/// From [`Receiver::changed`](super::Receiver::changed) and kin when every sender is gone.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct RecvError(pub(crate) ());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl std::error::Error for RecvError {}
