//! [`SockAddr`]: socket addresses in the kernel's format, converted from and to
//! `std::net::SocketAddr` and Unix socket paths.

use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// A socket address in the kernel's format.
pub(crate) struct SockAddr {
    /// Room for any address family; written by us or by the kernel.
    pub(super) storage: MaybeUninit<libc::sockaddr_storage>,
    /// How many bytes of `storage` hold the address.
    pub(super) len: libc::socklen_t,
}

impl SockAddr {
    /// Room for the kernel to write any address into (`accept`, `getsockname`).
    pub(super) fn empty() -> SockAddr {
        SockAddr {
            storage: MaybeUninit::zeroed(),
            len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    pub(super) fn as_ptr(&self) -> *const libc::sockaddr {
        self.storage.as_ptr().cast()
    }

    pub(crate) fn from_inet(addr: &SocketAddr) -> SockAddr {
        let mut out = SockAddr::empty();
        match addr {
            SocketAddr::V4(v4) => {
                // SAFETY: all-zero is a valid `sockaddr_in`.
                let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = v4.port().to_be();
                sin.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(v4.ip().octets()) };
                out.write(sin);
            }
            SocketAddr::V6(v6) => {
                // SAFETY: all-zero is a valid `sockaddr_in6`.
                let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = v6.port().to_be();
                sin6.sin6_addr = libc::in6_addr { s6_addr: v6.ip().octets() };
                sin6.sin6_flowinfo = v6.flowinfo();
                sin6.sin6_scope_id = v6.scope_id();
                out.write(sin6);
            }
        }
        out
    }

    pub(crate) fn from_path(path: &Path) -> io::Result<SockAddr> {
        // SAFETY: all-zero is a valid `sockaddr_un`.
        let mut sun: libc::sockaddr_un = unsafe { mem::zeroed() };
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let bytes = path.as_os_str().as_bytes();
        if bytes.contains(&0) || bytes.len() >= sun.sun_path.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unix socket path must be shorter than {} bytes, without NUL: {path:?}",
                    sun.sun_path.len()
                ),
            ));
        }
        for (dst, src) in sun.sun_path.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        let mut out = SockAddr::empty();
        out.write(sun);
        Ok(out)
    }

    /// Stores `raw` (a `sockaddr_*` type) and its length.
    fn write<T>(&mut self, raw: T) {
        assert!(mem::size_of::<T>() <= mem::size_of::<libc::sockaddr_storage>());
        // SAFETY: `sockaddr_storage` is large and aligned enough for every sockaddr
        // type (checked above), and `T` is a plain C struct.
        unsafe { self.storage.as_mut_ptr().cast::<T>().write(raw) };
        self.len = mem::size_of::<T>() as libc::socklen_t;
    }

    /// The path of a Unix socket address: `Some(None)` if unnamed, `None` if not a
    /// Unix address. Linux's abstract names (leading NUL) are returned as unnamed.
    pub(crate) fn as_unix_path(&self) -> Option<Option<std::path::PathBuf>> {
        // SAFETY: the family field is valid at the start of every sockaddr.
        let family = unsafe { (*self.storage.as_ptr()).ss_family } as libc::c_int;
        if family != libc::AF_UNIX {
            return None;
        }
        // SAFETY: the family says the storage holds a `sockaddr_un`.
        let sun = unsafe { &*self.storage.as_ptr().cast::<libc::sockaddr_un>() };
        let offset = mem::offset_of!(libc::sockaddr_un, sun_path);
        let path_len = (self.len as usize).saturating_sub(offset).min(sun.sun_path.len());
        let bytes: Vec<u8> =
            sun.sun_path[..path_len].iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
        if bytes.is_empty() {
            return Some(None);
        }
        Some(Some(std::path::PathBuf::from(std::ffi::OsString::from_vec(bytes))))
    }

    /// The IPv4 or IPv6 address, if it is one.
    pub(crate) fn as_inet(&self) -> Option<SocketAddr> {
        // SAFETY: the storage was zeroed and then written by us or the kernel; the
        // family field is valid at the start of every sockaddr.
        let family = unsafe { (*self.storage.as_ptr()).ss_family } as libc::c_int;
        match family {
            libc::AF_INET => {
                // SAFETY: the family says the storage holds a `sockaddr_in`.
                let sin = unsafe { &*self.storage.as_ptr().cast::<libc::sockaddr_in>() };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
            }
            libc::AF_INET6 => {
                // SAFETY: the family says the storage holds a `sockaddr_in6`.
                let sin6 = unsafe { &*self.storage.as_ptr().cast::<libc::sockaddr_in6>() };
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                let port = u16::from_be(sin6.sin6_port);
                Some(SocketAddr::V6(SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_addresses_survive_the_round_trip_through_the_kernel_format() {
        let v4: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let v6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 7, 3));
        for addr in [v4, v6] {
            assert_eq!(SockAddr::from_inet(&addr).as_inet(), Some(addr));
            assert_eq!(SockAddr::from_inet(&addr).as_unix_path(), None, "{addr} is no Unix address");
        }
    }

    #[test]
    fn unix_path_survives_the_round_trip_and_an_inet_address_is_not_one() {
        let addr = SockAddr::from_path(Path::new("/tmp/wakeful.sock")).unwrap();
        assert_eq!(addr.as_unix_path(), Some(Some("/tmp/wakeful.sock".into())));
        assert_eq!(addr.as_inet(), None);
    }

    #[test]
    fn unix_path_too_long_or_with_nul_is_invalid_input() {
        let long = "x".repeat(200);
        for path in [long.as_str(), "with\0nul"] {
            let err = SockAddr::from_path(Path::new(path)).err().expect("path must be refused");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{path:?}: {err}");
        }
    }
}
