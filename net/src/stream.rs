//! The inherent async methods every byte-stream type offers (TCP and Unix streams and
//! their halves), written once as macros over the stream operations of
//! [`IoSource`](crate::io_source::IoSource).

/// The reading methods of a stream type whose `fn source(&self) -> &IoSource<_>`
/// gives its registration.
macro_rules! read_methods {
    () => {
        /// Reads some bytes into `buf`, waiting until at least one is available;
        /// `Ok(0)` at end of stream. Cancel-safe: if dropped before completion, no
        /// data was read.
        pub async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source().recv(buf).await
        }

        /// Reads into several buffers at once (`readv`). Cancel-safe, as `read`.
        pub async fn read_vectored(
            &mut self,
            bufs: &mut [std::io::IoSliceMut<'_>],
        ) -> std::io::Result<usize> {
            self.source().recv_vectored(bufs).await
        }

        /// Reads exactly `buf.len()` bytes, or fails with `UnexpectedEof`. Not
        /// cancel-safe: if dropped midway, the bytes read so far are lost.
        pub async fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source().read_exact(buf).await
        }

        /// Reads until end of stream, appending to `buf`; returns the bytes read.
        /// Cancel-safe in that nothing is lost: if dropped midway, `buf` holds exactly
        /// the bytes read so far.
        pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
            self.source().read_to_end(buf).await
        }

        /// Waits for readable data (or end of stream) without reading it. Cancel-safe.
        ///
        /// With [`try_read`](Self::try_read), the way to keep no read buffer in a
        /// waiting task: wait here, then read into a buffer shared by every
        /// connection (`examples/echo_lean.rs`). The wakeup may be spurious (another
        /// task read first): `try_read` then says `WouldBlock`, which clears the
        /// readiness, and the next `readable()` sleeps until new data.
        pub async fn readable(&self) -> std::io::Result<()> {
            self.source().ready(wakeful_reactor::Direction::Read).await.map(drop)
        }

        /// Reads what is available now, without waiting: `WouldBlock` if nothing is
        /// (no syscall at all when the cached readiness already says so); `Ok(0)` at
        /// end of stream. On TCP a read shorter than `buf` drained the socket, so it
        /// clears the readiness as `WouldBlock` does: the next `readable()` sleeps.
        pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source().try_recv(buf)
        }

        /// [`try_read`](Self::try_read) into several buffers.
        pub fn try_read_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
            self.source().try_recv_vectored(bufs)
        }

        /// Reads bytes without removing them from the socket, waiting for some.
        /// Cancel-safe: nothing is consumed either way.
        pub async fn peek(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source().peek(buf).await
        }
    };
}
pub(crate) use read_methods;

/// The writing methods of a stream type, as [`read_methods`].
macro_rules! write_methods {
    () => {
        /// Writes some of `buf`, waiting until the socket accepts at least one byte.
        /// Never raises `SIGPIPE`: a closed peer is an `Err(BrokenPipe)`. Cancel-safe:
        /// if dropped before completion, nothing was written.
        pub async fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.source().send(buf).await
        }

        /// Writes from several buffers at once (`sendmsg`). Cancel-safe, as `write`.
        pub async fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            self.source().send_vectored(bufs).await
        }

        /// Writes all of `buf`, looping over partial writes. Not cancel-safe: if
        /// dropped midway, an unknown prefix of `buf` was written.
        pub async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
            self.source().write_all(buf).await
        }

        /// Nothing to flush: writes go straight to the socket. For symmetry with
        /// buffered writers. Cancel-safe.
        pub async fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }

        /// Waits until the socket accepts writes (or is closed). Cancel-safe.
        pub async fn writable(&self) -> std::io::Result<()> {
            self.source().ready(wakeful_reactor::Direction::Write).await.map(drop)
        }

        /// Writes what the socket accepts now, without waiting: `WouldBlock` if none
        /// (which clears the readiness: the next [`writable`](Self::writable) sleeps
        /// until the peer has read).
        pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
            self.source().try_send(buf)
        }

        /// [`try_write`](Self::try_write) from several buffers.
        pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            self.source().try_send_vectored(bufs)
        }
    };
}
pub(crate) use write_methods;

/// `ready`, on the types that both read and write (TCP and Unix streams).
macro_rules! ready_method {
    () => {
        /// Waits until the stream is ready for any direction of `interest`, and
        /// returns the readiness seen (it may hold more than was asked). Then
        /// `try_read` / `try_write`: readiness is a hint, and a `WouldBlock` from them
        /// clears it, so the next wait sleeps. Cancel-safe.
        ///
        /// ```
        /// use wakeful::net::{Interest, UnixStream};
        /// use wakeful::reactor::Readiness;
        ///
        /// wakeful::block_on(async {
        ///     let (a, b) = UnixStream::pair()?;
        ///     let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
        ///     assert!(ready.contains(Readiness::WRITABLE), "nothing to read, room to write");
        ///     assert_eq!(a.try_write(b"hi")?, 2);
        ///     let ready = b.ready(Interest::READABLE).await?;
        ///     assert!(ready.contains(Readiness::READABLE));
        ///     let mut buf = [0; 8];
        ///     assert_eq!(b.try_read(&mut buf)?, 2);
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn ready(&self, interest: $crate::Interest) -> std::io::Result<wakeful_reactor::Readiness> {
            self.source().ready_for(interest).await
        }
    };
}
pub(crate) use ready_method;
