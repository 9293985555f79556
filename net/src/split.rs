//! Halves of a stream, for reading and writing from different tasks at once.
//!
//! The reactor keeps the waiting tasks of each direction apart, so a task reading and
//! another writing the same socket never steal each other's wakeups.
//!
//! - [`ReadHalf`] / [`WriteHalf`] borrow the stream (`split(&mut self)`): free.
//! - [`OwnedReadHalf`] / [`OwnedWriteHalf`] share it (`into_split(self)`): `'static`,
//!   so each can move into its own spawned task; `reunite` puts them back together.
//!   Dropping the owned write half shuts down the writing direction, so the peer
//!   sees end of stream.
//!
//! The type parameter is the std socket inside (`std::net::TcpStream` or
//! `std::os::unix::net::UnixStream`); the `tcp` and `unix` modules name the halves.

use std::fmt;
use std::os::fd::AsRawFd;
use std::rc::Rc;

use crate::io_source::IoSource;
use crate::stream::{read_methods, write_methods};

/// The reading half of a borrowed stream.
///
/// ```
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     let (mut read, mut write) = a.split();
///     write.write_all(b"to b").await?;
///     b.write_all(b"to a").await?;
///     let mut buf = [0; 4];
///     read.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"to a");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a, T: AsRawFd> {
    source: &'a IoSource<T>,
}

/// The writing half of a borrowed stream.
///
/// ```
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     let (_read, mut write) = a.split();
///     write.write_all(b"half").await?;
///     write.shutdown()?; // b reads end of stream after the bytes
///     let mut all = Vec::new();
///     b.read_to_end(&mut all).await?;
///     assert_eq!(all, b"half");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct WriteHalf<'a, T: AsRawFd> {
    source: &'a IoSource<T>,
}

/// The reading half of a stream split by `into_split`.
///
/// ```
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (a, mut b) = UnixStream::pair()?;
///     let (mut read, mut write) = a.into_split();
///     let writer = wakeful::spawn(async move { write.write_all(b"from a task").await });
///     let mut buf = [0; 11];
///     b.read_exact(&mut buf).await?;
///     writer.await??;
///     b.write_all(b"!").await?;
///     read.read_exact(&mut buf[..1]).await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf<T: AsRawFd> {
    source: Rc<IoSource<T>>,
}

/// The writing half of a stream split by `into_split`; shuts down writing on drop.
///
/// ```
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (a, mut b) = UnixStream::pair()?;
///     let (_read, mut write) = a.into_split();
///     write.write_all(b"bye").await?;
///     drop(write); // shuts down writing: b sees end of stream
///     let mut all = Vec::new();
///     b.read_to_end(&mut all).await?;
///     assert_eq!(all, b"bye");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf<T: AsRawFd> {
    source: Rc<IoSource<T>>,
    shutdown_on_drop: bool,
}

pub(crate) fn split<T: AsRawFd>(source: &IoSource<T>) -> (ReadHalf<'_, T>, WriteHalf<'_, T>) {
    (ReadHalf { source }, WriteHalf { source })
}

pub(crate) fn into_split<T: AsRawFd>(source: IoSource<T>) -> (OwnedReadHalf<T>, OwnedWriteHalf<T>) {
    let source = Rc::new(source);
    (OwnedReadHalf { source: source.clone() }, OwnedWriteHalf { source, shutdown_on_drop: true })
}

/// Puts two owned halves back together, if they are of the same stream.
pub(crate) fn reunite<T: AsRawFd>(
    read: OwnedReadHalf<T>,
    mut write: OwnedWriteHalf<T>,
) -> Result<IoSource<T>, ReuniteError<T>> {
    if !Rc::ptr_eq(&read.source, &write.source) {
        return Err(ReuniteError(read, write));
    }
    write.shutdown_on_drop = false;
    let source = read.source;
    drop(write);
    Ok(Rc::into_inner(source).expect("a stream has exactly two halves"))
}

/// The halves given to `reunite` came from different streams; here they are back.
///
/// ```
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     let (a_read, _a_write) = a.into_split();
///     let (_b_read, b_write) = b.into_split();
///     let err = a_read.reunite(b_write).unwrap_err();
///     assert_eq!(err.to_string(), "tried to reunite halves of two different streams");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ReuniteError<T: AsRawFd>(pub OwnedReadHalf<T>, pub OwnedWriteHalf<T>);

impl<T: AsRawFd> fmt::Debug for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<T: AsRawFd> fmt::Display for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves of two different streams")
    }
}

impl<T: AsRawFd> std::error::Error for ReuniteError<T> {}

impl<T: AsRawFd> ReadHalf<'_, T> {
    pub(crate) fn source(&self) -> &IoSource<T> {
        self.source
    }
    read_methods!();
}

impl<T: AsRawFd> WriteHalf<'_, T> {
    pub(crate) fn source(&self) -> &IoSource<T> {
        self.source
    }
    write_methods!();

    /// Shuts down the writing direction: the peer reads end of stream.
    pub fn shutdown(&self) -> std::io::Result<()> {
        shutdown_write(self.source)
    }
}

impl<T: AsRawFd> OwnedReadHalf<T> {
    pub(crate) fn source(&self) -> &IoSource<T> {
        &self.source
    }
    read_methods!();
}

impl<T: AsRawFd> OwnedWriteHalf<T> {
    pub(crate) fn source(&self) -> &IoSource<T> {
        &self.source
    }
    write_methods!();

    /// Shuts down the writing direction now: the peer reads end of stream.
    pub fn shutdown(&self) -> std::io::Result<()> {
        shutdown_write(&self.source)
    }
}

impl<T: AsRawFd> Drop for OwnedWriteHalf<T> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // ENOTCONN: the peer already reset the connection; nothing left to close.
            let _ = shutdown_write(&self.source);
        }
    }
}

fn shutdown_write<T: AsRawFd>(source: &IoSource<T>) -> std::io::Result<()> {
    crate::sys::socket::shutdown_write(source.as_raw_fd())
}
