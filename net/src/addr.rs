//! [`ToSocketAddrs`]: addresses to bind or connect to, resolved without blocking the
//! runtime's thread.
//!
//! IP addresses are used as they are. A host name is looked up with the system
//! resolver (`getaddrinfo`, which blocks) on a short-lived helper thread, and the
//! task waits for the answer like for any other event.

use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

/// Something that names socket addresses: a `SocketAddr`, an `(ip, port)` pair, a
/// slice of addresses, or a `"host:port"` string (resolved on a helper thread).
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
/// use wakeful::net::TcpListener;
///
/// wakeful::block_on(async {
///     // All of these name addresses; the last is looked up off the runtime's thread.
///     let _a = TcpListener::bind("127.0.0.1:0").await?;
///     let _b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
///     let _c = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
///     let _d = TcpListener::bind(("localhost", 0)).await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

mod sealed {
    /// How an address argument is resolved.
    #[derive(Debug)]
    pub enum Resolve {
        Done(Vec<std::net::SocketAddr>),
        Lookup(String),
    }

    pub trait Sealed {
        fn resolve(&self) -> Resolve;

        /// The one IP address this names, if it is one: no `Vec`, no lookup (a
        /// datagram's `send_to` asks this once per datagram).
        fn as_socket_addr(&self) -> Option<std::net::SocketAddr> {
            None
        }
    }
}
use sealed::{Resolve, Sealed};

macro_rules! ip_addrs {
    ($($ty:ty => |$a:ident| $addr:expr),* $(,)?) => {$(
        impl ToSocketAddrs for $ty {}
        impl Sealed for $ty {
            fn resolve(&self) -> Resolve {
                Resolve::Done(vec![self.as_socket_addr().expect("an IP address")])
            }
            fn as_socket_addr(&self) -> Option<SocketAddr> {
                let $a = self;
                Some($addr)
            }
        }
    )*};
}

ip_addrs! {
    SocketAddr => |a| *a,
    SocketAddrV4 => |a| SocketAddr::V4(*a),
    SocketAddrV6 => |a| SocketAddr::V6(*a),
    (IpAddr, u16) => |a| SocketAddr::new(a.0, a.1),
    (Ipv4Addr, u16) => |a| SocketAddr::new(IpAddr::V4(a.0), a.1),
    (Ipv6Addr, u16) => |a| SocketAddr::new(IpAddr::V6(a.0), a.1),
}

impl ToSocketAddrs for &[SocketAddr] {}
impl Sealed for &[SocketAddr] {
    fn resolve(&self) -> Resolve {
        Resolve::Done(self.to_vec())
    }
}

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn resolve(&self) -> Resolve {
        match self.parse() {
            Ok(addr) => Resolve::Done(vec![addr]),
            Err(_) => Resolve::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn resolve(&self) -> Resolve {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn resolve(&self) -> Resolve {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Resolve::Done(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Resolve::Lookup(format!("{}:{}", self.0, self.1)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn resolve(&self) -> Resolve {
        (self.0.as_str(), self.1).resolve()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Sealed + ?Sized> Sealed for &T {
    fn resolve(&self) -> Resolve {
        (**self).resolve()
    }
    fn as_socket_addr(&self) -> Option<SocketAddr> {
        (**self).as_socket_addr()
    }
}

/// Resolves `addr`; a host name is looked up on a helper thread. Never empty on `Ok`.
pub(crate) async fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs = match addr.resolve() {
        Resolve::Done(addrs) => addrs,
        Resolve::Lookup(host) => lookup(host).await?,
    };
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no socket address to use: the list is empty",
        ));
    }
    Ok(addrs)
}

/// The first address `addr` resolves to; an IP address is taken as it is, without
/// allocating.
pub(crate) async fn resolve_first(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    match addr.as_socket_addr() {
        Some(addr) => Ok(addr),
        None => Ok(resolve(addr).await?[0]),
    }
}

/// Runs `attempt` on each address `addr` resolves to, in turn, until one succeeds. If
/// none does, returns the last error, naming its address: `"{doing} {addr}: {error}"`
/// (`doing` as "bind to", "connect to").
pub(crate) async fn try_each<T, F>(
    addr: impl ToSocketAddrs,
    doing: &str,
    mut attempt: impl FnMut(SocketAddr) -> F,
) -> io::Result<T>
where
    F: std::future::Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for addr in resolve(addr).await? {
        match attempt(addr).await {
            Ok(done) => return Ok(done),
            Err(e) => last_err = Some(io::Error::new(e.kind(), format!("{doing} {addr}: {e}"))),
        }
    }
    Err(last_err.expect("resolve returns at least one address"))
}

/// The answer of a lookup, and who waits for it.
#[derive(Default)]
struct Lookup {
    result: Option<io::Result<Vec<SocketAddr>>>,
    waiter: Option<Waker>,
}

async fn lookup(host: String) -> io::Result<Vec<SocketAddr>> {
    let shared = Arc::new(Mutex::new(Lookup::default()));
    let answer = shared.clone();
    thread::Builder::new().name("wakeful-resolve".into()).spawn(move || {
        let result = std::net::ToSocketAddrs::to_socket_addrs(&host)
            .map(Iterator::collect)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve {host:?}: {e}")));
        let waiter = {
            let mut lookup = answer.lock().unwrap_or_else(|e| e.into_inner());
            lookup.result = Some(result);
            lookup.waiter.take()
        };
        if let Some(waker) = waiter {
            waker.wake();
        }
    })?;
    poll_fn(|cx| {
        let mut lookup = shared.lock().unwrap_or_else(|e| e.into_inner());
        match lookup.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                lookup.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    })
    .await
}
