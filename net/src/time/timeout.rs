//! [`timeout`]: a deadline on any future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use wakeful_executor::coop;

use super::{sleep, sleep_until, Instant, Sleep};

/// Runs `future`, giving up after `duration`: `Err(Elapsed)` and the future dropped.
///
/// The future is polled first, so one that is ready at once succeeds even with a zero
/// duration.
///
/// ```
/// use std::time::Duration;
/// use wakeful::time::{sleep, timeout};
///
/// wakeful::block_on(async {
///     let slow = timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await;
///     assert!(slow.is_err());
///     let quick = timeout(Duration::from_secs(60), async { 7 }).await;
///     assert_eq!(quick.unwrap(), 7);
/// });
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout { future, sleep: sleep(duration) }
}

/// Runs `future` until `deadline` (a [`wakeful::time::Instant`](Instant) or a
/// `std::time::Instant`); see [`timeout`].
pub fn timeout_at<F: Future>(deadline: impl Into<Instant>, future: F) -> Timeout<F> {
    Timeout { future, sleep: sleep_until(deadline) }
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: the future's output, or
    /// [`Elapsed`] — which converts to an `io::Error` of kind `TimedOut`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wakeful::time::timeout;
    ///
    /// wakeful::block_on(async {
    ///     let never = std::future::pending::<()>();
    ///     let err: std::io::Error = timeout(Duration::from_millis(1), never).await.unwrap_err().into();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// });
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Gives up the deadline and returns the future.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let sleep = Pin::new(this.sleep);
        // A future that spent the task's last unit of budget would leave none for the
        // sleep, poll after poll: the deadline would never be looked at, and a busy
        // future never timed out. Its spending is this timeout's spending.
        let elapsed = if had_budget && !coop::has_budget_remaining() {
            sleep.poll_unbudgeted(cx)
        } else {
            sleep.poll(cx)
        };
        elapsed.map(|()| Err(Elapsed(())))
    }
}

/// The deadline of a [`timeout`] passed first.
///
/// ```
/// use std::time::Duration;
/// use wakeful::time::{timeout, Elapsed};
///
/// wakeful::block_on(async {
///     let err: Elapsed = timeout(Duration::ZERO, std::future::pending::<()>()).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(elapsed: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed)
    }
}
