//! Why an acquire got no permit.

use std::fmt;

/// The semaphore was closed: no permit will come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl AcquireError {
    pub(super) fn new() -> Self {
        AcquireError(())
    }
}

/// Why `try_acquire` got no permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are free right now.
    NoPermits,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}
impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryAcquireError::Closed => "semaphore closed",
            TryAcquireError::NoPermits => "no permits available",
        })
    }
}
impl std::error::Error for TryAcquireError {}
