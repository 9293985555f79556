//! The errors of the mpsc channels, as tokio's: the same types as the local
//! [`mpsc`](crate::mpsc::error) channels' (they are `Send` whenever `T` is).

pub use crate::mpsc::error::{SendError, TryRecvError, TrySendError};
