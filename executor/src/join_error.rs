//! [`JoinError`]: why a task produced no output. Its own file, below both the task
//! (which stores it) and the [`JoinHandle`](crate::JoinHandle) (which hands it out).

use std::any::Any;
use std::fmt;

/// Why a task produced no output: it panicked, or it was cancelled.
///
/// A payload that nobody takes (the handle was dropped) is dropped by the runtime, a
/// panic in its `Drop` contained; a payload whose `Drop` keeps panicking is leaked.
///
/// ```
/// use wakeful_executor::{block_on, spawn};
///
/// block_on(async {
///     let err = spawn(async { panic!("oops") }).await.unwrap_err();
///     assert!(err.is_panic());
///     assert_eq!(err.to_string(), "task panicked: oops");
///     let payload = err.into_panic();
///     assert_eq!(payload.downcast_ref::<&str>(), Some(&"oops"));
/// });
/// ```
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panicked(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    /// A cancelled task's error: for code that runs tasks on this executor's behalf
    /// and reports their end through its own handle (`wakeful::cores`'s remote
    /// spawns), so that its callers see the same error type as a [`JoinHandle`](crate::JoinHandle)'s.
    ///
    /// ```
    /// assert!(wakeful_executor::JoinError::cancelled().is_cancelled());
    /// ```
    pub fn cancelled() -> JoinError {
        JoinError { repr: Repr::Cancelled }
    }

    /// A panicked task's error, carrying the panic's `payload` (as
    /// [`std::panic::catch_unwind`] returns it); see [`cancelled`](Self::cancelled).
    ///
    /// ```
    /// let err = wakeful_executor::JoinError::panicked(Box::new("oops"));
    /// assert_eq!(err.to_string(), "task panicked: oops");
    /// ```
    pub fn panicked(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError { repr: Repr::Panicked(payload) }
    }

    /// The task was aborted, or the runtime shut down before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panicked(_))
    }

    /// The panic's payload, to inspect or to `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the task was cancelled rather than panicking; see [`try_into_panic`](Self::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().expect("JoinError::into_panic on a cancelled task")
    }

    /// The panic's payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panicked(payload) => Ok(payload),
            Repr::Cancelled => Err(self),
        }
    }
}

/// The panic message, when the payload is a string (as with `panic!("...")`).
fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("task was cancelled"),
            Repr::Panicked(payload) => match panic_message(payload.as_ref()) {
                Some(message) => write!(f, "task panicked: {message}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("JoinError::Cancelled"),
            Repr::Panicked(payload) => {
                f.debug_tuple("JoinError::Panicked").field(&panic_message(payload.as_ref())).finish()
            }
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}
