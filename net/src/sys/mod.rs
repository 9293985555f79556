//! Every OS call of wakeful-net, in one folder: the rest of the crate speaks in types
//! (`OwnedFd`, `SocketAddr`, [`SockAddr`](addr::SockAddr), `Duration`), never in `libc`.
//!
//! | file          | holds                                                              |
//! |---------------|--------------------------------------------------------------------|
//! | `socket.rs`   | create, bind, listen, connect, accept, shutdown, send and receive  |
//! | `addr.rs`     | [`SockAddr`](addr::SockAddr): `SocketAddr` / paths ⇄ the kernel's `sockaddr` |
//! | `sockopt.rs`  | `setsockopt` / `getsockopt`: integer options, `SO_LINGER`, `SO_NOSIGPIPE` |
//! | `fd.rs`       | any fd: `O_NONBLOCK`, close-on-exec, duplication, `read`           |
//! | `signal.rs`   | `sigaction`, the self-pipe, what a signal handler may call         |
//!
//! These are the calls std does not offer in the form an event loop needs: sockets that
//! are non-blocking and close-on-exec from birth, a non-blocking `connect`, `accept4`,
//! `send` that never raises `SIGPIPE`, vectored I/O, datagram receives that report
//! truncation.
//! Everything std already does well (addresses of std sockets, `TCP_NODELAY`, TTL,
//! multicast) stays with the std types that wrap the fds.
//!
//! # The error convention
//!
//! Every call goes through the reactor's [`syscall!`](wakeful_reactor::sys::syscall),
//! so an error names the call that failed (`connect: Connection refused (os error
//! 111)`) and keeps its `ErrorKind`; `WouldBlock` stays unnamed, because it is control
//! flow. Read an error's OS code with [`wakeful_reactor::errno`], never
//! `raw_os_error`. Each call is written inside its own `unsafe` block with a
//! `// SAFETY:` comment; the functions here are safe to call with any fd, since a
//! closed or wrong fd is an `EBADF` / `ENOTSOCK` error, not undefined behaviour.

pub(crate) mod addr;
pub(crate) mod fd;
pub(crate) mod signal;
pub(crate) mod socket;
pub(crate) mod sockopt;
