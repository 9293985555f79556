//! [`Interest`]: which directions [`TcpStream::ready`](crate::TcpStream::ready) and
//! [`UnixStream::ready`](crate::UnixStream::ready) wait for.

use std::fmt;
use std::ops::BitOr;

/// The directions to wait for: [`READABLE`](Self::READABLE),
/// [`WRITABLE`](Self::WRITABLE), or both (`Interest::READABLE | Interest::WRITABLE`).
/// Never empty: there is no way to build an interest in nothing, which would wait
/// forever.
///
/// ```
/// use wakeful::net::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    read: bool,
    write: bool,
}

impl Interest {
    /// Wait until a read would not block (data, end of stream, or an error).
    pub const READABLE: Interest = Interest { read: true, write: false };
    /// Wait until a write would not block (room in the send buffer, or an error).
    pub const WRITABLE: Interest = Interest { read: false, write: true };

    /// Whether reads are waited for.
    pub const fn is_readable(self) -> bool {
        self.read
    }

    /// Whether writes are waited for.
    pub const fn is_writable(self) -> bool {
        self.write
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, rhs: Interest) -> Interest {
        Interest { read: self.read || rhs.read, write: self.write || rhs.write }
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.read, self.write) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            _ => f.write_str("WRITABLE"),
        }
    }
}
