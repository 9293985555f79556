//! `examples/echo_lean.rs`, the echo server with one read buffer for all connections:
//! many clients served at once with every byte echoed exactly, a client that reads
//! slower than it writes (the path that gives a connection a buffer of its own), and
//! the size of a connection's task.

mod util;

#[allow(dead_code)] // its `main` and `serve` are the example's, not the test's
#[path = "../examples/echo_lean.rs"]
mod echo_lean;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;

use util::example::{connect, echo_round_trip, example, Running};
use util::pattern;

#[test]
fn many_clients_each_get_exactly_their_own_bytes_back() {
    let mut server = Running::start("echo_lean", &["--addr", "127.0.0.1:0"]);
    let addr = server.listening_addr();
    // 200 connections open at once (well under the default limit of 1024 fds), then
    // three rounds on each, interleaved, each message distinct.
    let mut clients: Vec<TcpStream> = (0..200).map(|_| connect(&addr)).collect();
    for round in 0..3u8 {
        for (i, client) in clients.iter_mut().enumerate() {
            let message = pattern(1 + (i * 37 + round as usize * 11) % 700, i as u8 ^ round);
            echo_round_trip(client, &message);
        }
    }
    // All 200 write first, then all read: the server serves them in any order.
    for (i, client) in clients.iter_mut().enumerate() {
        client.write_all(format!("client {i} says hi").as_bytes()).unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        let expected = format!("client {i} says hi");
        let mut back = vec![0; expected.len()];
        client.read_exact(&mut back).unwrap();
        assert_eq!(back, expected.as_bytes(), "client {i} got another client's bytes");
    }
    // A closed client ends only its own connection.
    drop(clients.pop());
    echo_round_trip(&mut clients[0], b"still here");
}

#[test]
fn a_client_that_reads_late_gets_every_byte_in_order() {
    let mut server = Running::start("echo_lean", &["--addr", "127.0.0.1:0"]);
    let addr = server.listening_addr();
    let mut client = connect(&addr);
    // 4 MB written before anything is read: the server's send buffer fills, a write is
    // partial, and the rest waits in the connection's own Vec while the shared buffer
    // serves others.
    let big = pattern(4 << 20, 3);
    let mut writer = client.try_clone().unwrap();
    let to_send = big.clone();
    let sender = std::thread::spawn(move || writer.write_all(&to_send).unwrap());
    // Meanwhile another client is served.
    let mut other = connect(&addr);
    echo_round_trip(&mut other, b"not blocked by the slow reader");
    let mut back = vec![0; big.len()];
    client.read_exact(&mut back).unwrap();
    sender.join().unwrap();
    assert!(back == big, "the echo differs from what was sent");
}

#[test]
fn echo_lean_rejects_bad_arguments() {
    let output = example("echo_lean").arg("--bogus").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: echo_lean"));
}

/// What an idle connection costs in its task: the future of `echo`, waiting in
/// `readable()` (104 bytes: the stream, the shared buffer's `Rc`, the `readable()`
/// future, the state). The bound keeps the example honest (a buffer inside the task,
/// a `write_all` future sized into it, a bigger `readable()` would be caught at once);
/// the figure is printed for BENCHMARKS.md. `tests/examples_echo_lean_memory.rs`
/// counts the whole connection's heap bytes.
#[test]
fn a_connection_task_is_a_few_hundred_bytes() {
    wakeful::block_on(async {
        let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = wakeful::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let shared = Rc::new(RefCell::new(vec![0; 64 * 1024]));
        let task = echo_lean::echo(stream, shared);
        let size = std::mem::size_of_val(&task);
        println!("echo_lean connection future: {size} bytes");
        assert!(size <= 128, "the connection future grew to {size} bytes");
        drop((task, client));
    });
}

/// A client that sends a burst far larger than the shared buffer and then half-closes
/// gets every byte back, then end of stream; a client that resets mid-echo ends only
/// its own connection.
#[test]
fn a_half_closing_client_gets_its_burst_back_and_a_reset_ends_only_its_connection() {
    let mut server = Running::start("echo_lean", &["--addr", "127.0.0.1:0"]);
    let addr = server.listening_addr();
    let mut client = connect(&addr);
    let big = pattern(300 * 1024 + 7, 9);
    let mut writer = client.try_clone().unwrap();
    let to_send = big.clone();
    let sender = std::thread::spawn(move || {
        writer.write_all(&to_send).unwrap();
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    client.read_to_end(&mut back).unwrap();
    sender.join().unwrap();
    assert!(back == big, "got {} of {} bytes, or other bytes", back.len(), big.len());

    // A reset in the middle of a large echo (SO_LINGER 0 by hand).
    let reset = connect(&addr);
    let mut w = reset.try_clone().unwrap();
    // Non-blocking: as much as the buffers take, without waiting for the echo.
    w.set_nonblocking(true).unwrap();
    let _ = w.write_all(&pattern(256 * 1024, 1));
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a live socket fd and a linger struct of the size given.
    let rc = unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&reset),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop((reset, w));
    let mut other = connect(&addr);
    echo_round_trip(&mut other, b"the server lives on");
}

/// The server turns Nagle's algorithm off on each connection, as before the memory cuts
/// and as its tokio twin (`benches/tokio_echo_lean.rs`) does: with it on, an echo that
/// goes out in two segments (two reads of a pipelined client, a partial `try_write`
/// and its `write_all`) waits for the client's delayed ACK, up to 40 ms.
#[test]
fn a_connection_runs_with_nodelay_as_its_tokio_twin() {
    use std::os::fd::{AsRawFd, FromRawFd};
    util::run(async {
        let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        assert!(!stream.nodelay().unwrap(), "a new connection starts with Nagle on");
        let fd = stream.as_raw_fd();
        let shared = Rc::new(RefCell::new(vec![0; 64 * 1024]));
        let task = wakeful::spawn(echo_lean::echo(stream, shared));
        // The task runs to its first `readable()`.
        wakeful::yield_now().await;
        // SAFETY: `fd` is the server's socket, alive while its task waits (the client
        // has not closed); `ManuallyDrop` keeps this view from closing it.
        let view = std::mem::ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) });
        let nodelay = view.nodelay().unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        task.await.unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert!(nodelay, "echo_lean serves its connection with Nagle's algorithm on");
    });
}
