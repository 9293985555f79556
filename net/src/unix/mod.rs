//! Unix domain sockets: [`UnixListener`], [`UnixStream`] (and halves),
//! [`UnixDatagram`], shaped like their TCP and UDP counterparts.

mod datagram;
mod listener;
mod stream;

use std::fmt;
use std::path::{Path, PathBuf};

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, UnixStream, WriteHalf};

use crate::sys::addr::SockAddr;

/// The address of a Unix socket: a path, or unnamed.
///
/// ```
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (a, _b) = UnixStream::pair()?;
///     assert!(a.local_addr()?.is_unnamed());
///     assert_eq!(a.local_addr()?.as_pathname(), None);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SocketAddr {
    path: Option<PathBuf>,
}

impl SocketAddr {
    pub(crate) fn from_raw(addr: &SockAddr) -> SocketAddr {
        SocketAddr { path: addr.as_unix_path().flatten() }
    }

    /// The path, if the socket is bound to one.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// True if the socket has no path (an unbound or `pair()` socket).
    pub fn is_unnamed(&self) -> bool {
        self.path.is_none()
    }
}

impl fmt::Debug for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{path:?} (pathname)"),
            None => f.write_str("(unnamed)"),
        }
    }
}
