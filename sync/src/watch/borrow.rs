//! [`Ref`]: a borrow of a watch channel's current value.

use super::Shared;
use std::fmt;
use std::ops::Deref;

/// A borrow of the current value; drop it before the next send.
pub struct Ref<'a, T> {
    inner: std::cell::Ref<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the value was unseen by the receiver when borrowed (always `false` for
    /// `Sender::borrow` and `Receiver::borrow`, as tokio).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

impl<T> Shared<T> {
    pub(super) fn borrow(&self, has_changed: bool) -> Ref<'_, T> {
        let inner = self.value.try_borrow().expect("watch value borrowed while being modified");
        Ref { inner, has_changed }
    }
}
