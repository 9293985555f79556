//! What both receivers do, written once: [`Receiver`](super::Receiver) and
//! [`UnboundedReceiver`](super::UnboundedReceiver) each hold the channel and nothing
//! else; the receiving logic is [`Chan`](super::chan::Chan)'s.

/// The shared methods, `Drop`, `Stream` and `Debug` of a receiver type with a
/// `chan: Arc<Chan<T>>` field.
macro_rules! receiver_methods {
    ($receiver:ident) => {
        impl<T> $receiver<T> {
            /// Waits for the next message; `None` once every sender is gone (or the
            /// receiver closed) and nothing is left in flight. Cancel-safe.
            pub fn recv(&mut self) -> Recv<'_, T> {
                Recv::new(&self.chan)
            }

            /// Waits for at least one message and moves up to `limit` into `buffer`;
            /// returns how many, 0 at the end (or if `limit` is 0). Cancel-safe.
            pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                RecvMany { chan: &self.chan, buffer, limit, waiting: false }.await
            }

            /// Takes a message if one is queued, without waiting.
            pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
                self.chan.try_recv()
            }

            /// Waits for the next message on a plain thread, parking it. Not for tasks
            /// (see [`remote`](crate::remote)).
            pub fn blocking_recv(&mut self) -> Option<T> {
                block::block_on(self.recv())
            }

            /// [`recv_many`](Self::recv_many) on a plain thread, parking it.
            pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                block::block_on(self.recv_many(buffer, limit))
            }

            /// Polls for the next message, storing the task's waker if none.
            pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
                self.chan.poll_recv(cx)
            }

            /// Polls for up to `limit` messages into `buffer`.
            pub fn poll_recv_many(
                &mut self,
                cx: &mut Context<'_>,
                buffer: &mut Vec<T>,
                limit: usize,
            ) -> Poll<usize> {
                self.chan.poll_recv_many(cx, buffer, limit)
            }

            /// Refuses further messages: sends fail and `closed()` completes; what is
            /// queued (and on a bounded channel what is reserved) can still be received.
            pub fn close(&mut self) {
                self.chan.close();
            }

            /// Whether the channel is closed: by [`close`](Self::close), or because
            /// every sender is gone (as tokio's).
            pub fn is_closed(&self) -> bool {
                self.chan.rx_is_closed()
            }

            /// Whether no message is queued.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// How many messages are queued.
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// How many senders exist.
            pub fn sender_strong_count(&self) -> usize {
                self.chan.counts().0
            }

            /// How many weak senders exist.
            pub fn sender_weak_count(&self) -> usize {
                self.chan.counts().1
            }
        }

        impl<T> Drop for $receiver<T> {
            fn drop(&mut self) {
                self.chan.drop_rx();
            }
        }

        impl<T> futures_core::Stream for $receiver<T> {
            type Item = T;
            fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
                self.get_mut().chan.poll_recv(cx)
            }
        }

        impl<T> fmt::Debug for $receiver<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($receiver)).field("len", &self.len()).finish_non_exhaustive()
            }
        }
    };
}
