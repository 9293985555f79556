//! TCP: [`TcpListener`], [`TcpStream`] and its halves, and the [`TcpSocket`] builder.

mod listener;
mod socket;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use socket::TcpSocket;
pub use stream::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, TcpStream, WriteHalf};
