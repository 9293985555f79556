//! [`BroadcastStream`]: a `broadcast::Receiver` read as a stream, as a pub/sub port
//! needs it (one stream per subscribed channel in a [`StreamMap`](super::StreamMap)).

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use wakeful_sync::broadcast::error::{RecvError, TryRecvError};
use wakeful_sync::broadcast::Receiver;

type Waiting<T> = Pin<Box<dyn Future<Output = (Result<T, RecvError>, Receiver<T>)>>>;

/// A [`broadcast::Receiver`](wakeful_sync::broadcast::Receiver) as a [`Stream`]:
/// each value as `Ok`, `Err(Lagged(n))` when `n` values were missed, and the end
/// once every sender is gone and every value was read.
///
/// ```
/// use wakeful::stream::{BroadcastStream, BroadcastStreamRecvError, StreamExt};
/// use wakeful::sync::broadcast;
///
/// wakeful::block_on(async {
///     let (tx, rx) = broadcast::channel(2);
///     let mut stream = BroadcastStream::new(rx);
///     for n in 0..3 {
///         tx.send(n).unwrap();
///     }
///     drop(tx);
///     assert_eq!(stream.next().await, Some(Err(BroadcastStreamRecvError::Lagged(1))));
///     assert_eq!(stream.next().await, Some(Ok(1)));
///     assert_eq!(stream.next().await, Some(Ok(2)));
///     assert_eq!(stream.next().await, None);
/// });
/// ```
///
/// A value that is there is taken at once; only a wait allocates (a boxed `recv()`
/// future, given back its receiver when it completes). Dropping the stream while it
/// waits gives its place in the channel's line of waiters up.
pub struct BroadcastStream<T> {
    state: State<T>,
}

enum State<T> {
    Idle(Receiver<T>),
    Waiting(Waiting<T>),
    Ended,
}

/// An error of a [`BroadcastStream`]: values were missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastStreamRecvError {
    /// The receiver lagged this many values behind; the stream goes on from the oldest
    /// value the channel still holds.
    Lagged(u64),
}

impl fmt::Display for BroadcastStreamRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BroadcastStreamRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
        }
    }
}

impl Error for BroadcastStreamRecvError {}

impl<T: Clone + 'static> BroadcastStream<T> {
    /// Reads `rx` as a stream.
    pub fn new(rx: Receiver<T>) -> BroadcastStream<T> {
        BroadcastStream { state: State::Idle(rx) }
    }
}

impl<T> fmt::Debug for BroadcastStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Idle(_) => "idle",
            State::Waiting(_) => "waiting",
            State::Ended => "ended",
        };
        f.debug_struct("BroadcastStream").field("state", &state).finish()
    }
}

impl<T: Clone + 'static> Stream for BroadcastStream<T> {
    type Item = Result<T, BroadcastStreamRecvError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let (result, rx) = match std::mem::replace(&mut self.state, State::Ended) {
            State::Ended => return Poll::Ready(None),
            State::Idle(mut rx) => match rx.try_recv() {
                Ok(value) => (Ok(value), rx),
                Err(TryRecvError::Lagged(n)) => (Err(RecvError::Lagged(n)), rx),
                Err(TryRecvError::Closed) => return Poll::Ready(None),
                Err(TryRecvError::Empty) => {
                    let mut waiting: Waiting<T> = Box::pin(async move {
                        let result = rx.recv().await;
                        (result, rx)
                    });
                    match waiting.as_mut().poll(cx) {
                        Poll::Ready(done) => done,
                        Poll::Pending => {
                            self.state = State::Waiting(waiting);
                            return Poll::Pending;
                        }
                    }
                }
            },
            State::Waiting(mut waiting) => match waiting.as_mut().poll(cx) {
                Poll::Ready(done) => done,
                Poll::Pending => {
                    self.state = State::Waiting(waiting);
                    return Poll::Pending;
                }
            },
        };
        match result {
            Ok(value) => {
                self.state = State::Idle(rx);
                Poll::Ready(Some(Ok(value)))
            }
            Err(RecvError::Lagged(n)) => {
                self.state = State::Idle(rx);
                Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(n))))
            }
            Err(RecvError::Closed) => Poll::Ready(None),
        }
    }
}
