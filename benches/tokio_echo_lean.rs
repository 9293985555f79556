//! The tokio twin of `examples/echo_lean.rs`, for the memory rows of
//! `benches/compare.sh --memory`: tokio's current-thread runtime, one 64 KiB read
//! buffer shared by all connections (a `LocalSet`, so an `Rc` is enough), each
//! connection waiting with `readable()` and then `try_read` / `try_write`; the unsent
//! rest, if any, copied into a `Vec` of the connection's own.
//!
//! ```text
//! cargo run --release --example tokio_echo_lean -- --addr 127.0.0.1:8000
//! ```

use std::cell::RefCell;
use std::io::{self, ErrorKind};
use std::rc::Rc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

type SharedBuffer = Rc<RefCell<Vec<u8>>>;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8000".to_string();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().expect("--addr needs a value"),
            other => panic!("unknown argument {other:?}"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    tokio::task::LocalSet::new().block_on(&rt, serve(&addr))
}

async fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("tokio_echo_lean: listening on {}", listener.local_addr()?);
    let shared: SharedBuffer = Rc::new(RefCell::new(vec![0; 64 * 1024]));
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::task::spawn_local(echo(stream, shared.clone()));
    }
}

async fn echo(mut stream: TcpStream, shared: SharedBuffer) -> io::Result<()> {
    stream.set_nodelay(true)?;
    loop {
        stream.readable().await?;
        let unsent = {
            let mut buf = shared.borrow_mut();
            let n = match stream.try_read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
                Err(err) => return Err(err),
            };
            let written = match stream.try_write(&buf[..n]) {
                Ok(written) => written,
                Err(err) if err.kind() == ErrorKind::WouldBlock => 0,
                Err(err) => return Err(err),
            };
            buf[written..n].to_vec()
        };
        if !unsent.is_empty() {
            stream.write_all(&unsent).await?;
        }
    }
}
