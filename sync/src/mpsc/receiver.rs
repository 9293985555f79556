//! What both receivers do, written once: [`Receiver`](super::Receiver) and
//! [`UnboundedReceiver`](super::UnboundedReceiver) wrap the same `Rx`.

/// The shared methods, `Stream` and `Debug` of a receiver type with an `rx: Rx<T>` field.
macro_rules! receiver_methods {
    ($receiver:ident) => {
        impl<T> $receiver<T> {
            /// Waits for the next message; `None` once every sender is gone (or the receiver
            /// closed) and nothing is left in flight. Cancel-safe: a dropped `recv()` takes no
            /// message and leaves no waker behind.
            pub fn recv(&mut self) -> Recv<'_, T> {
                Recv::new(&mut self.rx)
            }

            /// Waits for at least one message, then moves up to `limit` into `buffer`; returns
            /// how many, 0 at the end or when `limit` is 0. Cancel-safe.
            pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                RecvMany::new(&mut self.rx, buffer, limit).await
            }

            /// Takes the next message if one is queued.
            pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
                self.rx.try_recv()
            }

            /// Polls for the next message, storing `cx`'s waker.
            pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
                self.rx.poll_recv(cx)
            }

            /// [`recv_many`](Self::recv_many) as a poll.
            pub fn poll_recv_many(
                &mut self,
                cx: &mut Context<'_>,
                buffer: &mut Vec<T>,
                limit: usize,
            ) -> Poll<usize> {
                self.rx.poll_recv_many(cx, buffer, limit)
            }

            /// Refuses new messages (senders fail, `closed()` completes); the queued ones (and
            /// on a bounded channel those of permits already reserved) can still be received.
            pub fn close(&mut self) {
                self.rx.close();
            }

            /// Whether the channel is closed: by [`close`](Self::close), or by every sender
            /// being gone.
            pub fn is_closed(&self) -> bool {
                self.rx.is_closed()
            }

            /// Whether no message is queued.
            pub fn is_empty(&self) -> bool {
                self.rx.len() == 0
            }

            /// How many messages are queued.
            pub fn len(&self) -> usize {
                self.rx.len()
            }
        }

        impl<T> futures_core::Stream for $receiver<T> {
            type Item = T;
            fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
                self.get_mut().rx.poll_recv(cx)
            }
        }

        impl<T> fmt::Debug for $receiver<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($receiver))
                    .field("len", &self.len())
                    .field("closed", &self.is_closed())
                    .finish()
            }
        }
    };
}
