//! The `SendError<T>` every channel with a value to give back defines the same way
//! (mpsc, broadcast, watch), written once.

/// Defines `pub struct SendError<T>(pub T)` with the given docs: the value comes
/// back in it; `Debug` does not need `T: Debug` and hides the value, as tokio's;
/// `Display` says the channel is closed.
macro_rules! send_error {
    ($(#[$doc:meta])*) => {
        $(#[$doc])*
        #[derive(PartialEq, Eq, Clone, Copy)]
        pub struct SendError<T>(pub T);

        impl<T> std::fmt::Debug for SendError<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("SendError").finish_non_exhaustive()
            }
        }

        impl<T> std::fmt::Display for SendError<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("channel closed")
            }
        }

        impl<T> std::error::Error for SendError<T> {}
    };
}
