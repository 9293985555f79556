//! TCP echo server at the memory floor: one read buffer for all connections.
//!
//! ```text
//! cargo run --example echo_lean                       # listens on 127.0.0.1:8000
//! cargo run --example echo_lean -- --addr 127.0.0.1:0 # port 0 picks one
//! ```
//!
//! `examples/echo.rs` gives each connection its own 4 KiB buffer for `read(&mut buf)`:
//! the buffer must live inside the connection's task, because the task sleeps in the
//! middle of the read. With 1000 mostly idle connections, that is 4 MB of buffers that
//! hold nothing.
//!
//! Here a connection sleeps *before* the read instead: `readable().await` waits for
//! data without a buffer, and only once data is there does the task borrow the one
//! buffer shared by every connection, `try_read` into it, `try_write` the bytes back,
//! and give the buffer back — all without an `.await` in between, so no other task can
//! see the borrow. An idle connection then costs its task (272 bytes), its
//! registration in the reactor (88) and the kernel's socket, and nothing else: about
//! 400 bytes of the process's RSS (BENCHMARKS.md, "Memory per connection";
//! `tests/examples_echo_lean_memory.rs` keeps it so).
//!
//! What it costs: one readiness check more per read when a wakeup was spurious
//! (`try_read` says `WouldBlock`, and the loop waits again — cheap, no data is lost),
//! and a per-connection copy only when the client reads slower than it writes (the
//! socket's send buffer is full: the unsent rest is kept in a `Vec` of its own until
//! it is written, so one slow client cannot hold the shared buffer).

use std::cell::RefCell;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::process::ExitCode;
use std::rc::Rc;

use wakeful::net::{TcpListener, TcpStream};

/// The buffer every connection reads into, one at a time. Large, since there is one:
/// a big read costs no more syscalls than a small one.
type SharedBuffer = Rc<RefCell<Vec<u8>>>;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8000".to_string();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            _ => {
                eprintln!("usage: echo_lean [--addr HOST:PORT]");
                return ExitCode::from(2);
            }
        }
    }
    match wakeful::block_on(serve(&addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo_lean: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("echo_lean: listening on {}", listener.local_addr()?);
    let shared: SharedBuffer = Rc::new(RefCell::new(vec![0; 64 * 1024]));
    loop {
        match listener.accept().await {
            // Tasks of one runtime share its thread, so an `Rc` is enough. The handle
            // is not needed: a connection ends by itself.
            Ok((stream, _)) => drop(wakeful::spawn(echo(stream, shared.clone()))),
            // An accept error concerns one connection, not the server: log, go on.
            Err(err) => eprintln!("echo_lean: accept: {err}"),
        }
    }
}

/// Echoes until the client closes, and logs the error that ends a connection, if any.
/// The shared buffer is borrowed only between two `.await`s, never across one.
///
/// Its future is the whole task of an idle connection, so it is kept small:
/// - a function returning an `async move` block, which uses the captured `stream`
///   and `shared` in place: as an `async fn` it keeps its arguments twice, as
///   arguments and as the body's variables (measured: 160 bytes instead of 104);
/// - it handles its errors itself: a wrapper `async move { echo(..).await }` keeps
///   the captured future *and* the awaited one (measured: 680 bytes a task, with the
///   future of 336 it had then);
/// - the rare wait for a slow client to take the rest is boxed, so the future is sized
///   for the common wait, `readable()`, not for `write_all`.
#[allow(clippy::manual_async_fn)] // the `async fn` form is 56 bytes larger (above)
pub fn echo(mut stream: TcpStream, shared: SharedBuffer) -> impl Future<Output = ()> {
    async move {
        // Nagle off, as in `echo.rs` and the tokio twin: an echo that leaves in two
        // segments (a pipelined client read in two parts, a partial `try_write` and its
        // `write_all`) would otherwise wait for the client's delayed ACK.
        if let Err(err) = stream.set_nodelay(true) {
            return report(err);
        }
        loop {
            // Sleep without a buffer until the OS says there is something to read.
            if let Err(err) = stream.readable().await {
                return report(err);
            }
            let unsent = {
                let mut buf = shared.borrow_mut();
                let n = match stream.try_read(&mut buf) {
                    Ok(0) => return, // the client closed
                    Ok(n) => n,
                    // A spurious wakeup: the readiness is cleared, wait again.
                    Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
                    Err(err) => return report(err),
                };
                let written = match stream.try_write(&buf[..n]) {
                    Ok(written) => written,
                    Err(err) if err.kind() == ErrorKind::WouldBlock => 0,
                    Err(err) => return report(err),
                };
                // The rare case: the socket took less than all. Only now does this
                // connection get memory of its own, for as long as the rest waits.
                buf[written..n].to_vec()
            };
            if !unsent.is_empty() {
                if let Err(err) = Box::pin(stream.write_all(&unsent)).await {
                    return report(err);
                }
            }
        }
    }
}

/// A reset is how many clients leave: not worth a line.
fn report(err: io::Error) {
    if err.kind() != ErrorKind::ConnectionReset {
        eprintln!("echo_lean: {err}");
    }
}
