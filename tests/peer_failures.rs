//! What a peer can do to a connection — half-close it, reset it mid-transfer, vanish —
//! over TCP and Unix streams: errors or end of stream, promptly, never a hang, never
//! a dead process (not even with `SIGPIPE` at its default, fatal, disposition).

mod util;

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use util::{pattern, run, PATIENCE};
use wakeful::net::{TcpListener, TcpStream, UnixStream};
use wakeful::spawn;
use wakeful::time::timeout;

/// A transfer far larger than any socket buffer, so the writer is mid-`write_all` (its
/// buffers full) when the peer goes away.
const BIG: usize = 64 << 20;

/// How long one operation that must not wait may take: generous for a loaded machine,
/// and far shorter than a hang.
const PROMPT: Duration = Duration::from_secs(2);

/// The stream operations these tests need, for TCP and Unix streams alike (each
/// forwards to the type's inherent method).
trait Conn: 'static {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    async fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    async fn readable(&self) -> io::Result<()>;
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

macro_rules! impl_conn {
    ($ty:ty) => {
        impl Conn for $ty {
            async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                <$ty>::read(self, buf).await
            }
            async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                <$ty>::read_exact(self, buf).await
            }
            async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                <$ty>::write(self, buf).await
            }
            async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
                <$ty>::write_all(self, buf).await
            }
            async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                <$ty>::write_vectored(self, bufs).await
            }
            async fn readable(&self) -> io::Result<()> {
                <$ty>::readable(self).await
            }
            fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                <$ty>::try_read(self, buf)
            }
            fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                <$ty>::try_write(self, buf)
            }
            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                <$ty>::shutdown(self, how)
            }
        }
    };
}
impl_conn!(TcpStream);
impl_conn!(UnixStream);

/// A connected TCP pair over 127.0.0.1: (client, server).
async fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    Ok((client, server))
}

/// `op`, which must complete within [`PROMPT`].
async fn promptly<T>(what: &str, op: impl Future<Output = T>) -> T {
    timeout(PROMPT, op).await.unwrap_or_else(|_| panic!("{what}: still waiting after {PROMPT:?}"))
}

fn assert_peer_gone(err: &io::Error, what: &str) {
    assert!(
        matches!(err.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset),
        "{what}: expected BrokenPipe or ConnectionReset, got {:?}: {err}",
        err.kind()
    );
}

/// The client half-closes after a request; the server reads it, then end of stream
/// (again and again, at once), and can still send a large reply.
async fn half_close(mut client: impl Conn, mut server: impl Conn) -> io::Result<()> {
    client.write_all(b"request").await?;
    client.shutdown(Shutdown::Write)?;
    let mut buf = [0; 7];
    promptly("the request", server.read_exact(&mut buf)).await?;
    assert_eq!(&buf, b"request");
    let mut buf = [0; 64];
    for i in 0..10 {
        let n = promptly(&format!("read {i} after end of stream"), server.read(&mut buf)).await?;
        assert_eq!(n, 0, "read {i} after end of stream");
        promptly("readable after end of stream", server.readable()).await?;
        assert_eq!(server.try_read(&mut buf)?, 0, "try_read {i} after end of stream");
    }
    // The other direction is open: a reply larger than the socket buffers gets through.
    let reply = pattern(1 << 20, 4);
    let sent = reply.clone();
    let writer = spawn(async move {
        server.write_all(&sent).await?;
        server.shutdown(Shutdown::Write)?;
        let n = server.read(&mut [0; 8]).await?;
        assert_eq!(n, 0, "still the end of stream after writing");
        io::Result::Ok(())
    });
    let mut received = vec![0; reply.len()];
    client.read_exact(&mut received).await?;
    assert!(received == reply, "the reply arrived altered");
    assert_eq!(promptly("the client's end of stream", client.read(&mut buf)).await?, 0);
    writer.await.unwrap()
}

#[test]
fn tcp_half_close_repeats_end_of_stream_and_leaves_writes_working() {
    run(async {
        let (client, server) = tcp_pair().await?;
        half_close(client, server).await
    })
    .unwrap();
}

#[test]
fn unix_half_close_repeats_end_of_stream_and_leaves_writes_working() {
    run(async {
        let (client, server) = UnixStream::pair()?;
        half_close(client, server).await
    })
    .unwrap();
}

/// `writer` sends [`BIG`] bytes while `vanish` reads the first MiB, then disappears:
/// the `write_all` must fail, promptly, and later operations must not hang either.
async fn peer_vanishes_mid_write<C: Conn>(
    mut writer: C,
    mut peer: C,
    vanish: impl FnOnce(C) -> io::Result<()> + 'static,
) -> io::Result<()> {
    let data = vec![0x5a; BIG];
    let write = spawn(async move {
        let result = writer.write_all(&data).await;
        (writer, result)
    });
    let mut head = vec![0; 1 << 20];
    peer.read_exact(&mut head).await?;
    assert!(head.iter().all(|&b| b == 0x5a));
    vanish(peer)?;
    let (mut writer, result) = promptly("write_all to a vanished peer", write).await.unwrap();
    let err = result.expect_err("64 MiB cannot fit in socket buffers: the write_all must fail");
    assert_peer_gone(&err, "write_all");
    let err = promptly("a second write", writer.write(b"more")).await.expect_err("the peer is gone");
    assert_peer_gone(&err, "a second write");
    // Reading: the reset (if not yet reported) or end of stream, but at once.
    match promptly("a read after the peer vanished", writer.read(&mut [0; 16])).await {
        Ok(0) => {}
        Ok(n) => panic!("read {n} bytes from a peer that sent none"),
        Err(e) => assert_peer_gone(&e, "a read"),
    }
    Ok(())
}

#[test]
fn tcp_reset_during_a_64_mib_write_all_is_an_error() {
    run(async {
        let (client, server) = tcp_pair().await?;
        peer_vanishes_mid_write(client, server, |server| {
            server.set_linger(Some(Duration::ZERO))?; // close sends RST
            drop(server);
            Ok(())
        })
        .await
    })
    .unwrap();
}

#[test]
fn unix_peer_closing_during_a_64_mib_write_all_is_an_error() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        peer_vanishes_mid_write(a, b, |b| {
            drop(b);
            Ok(())
        })
        .await
    })
    .unwrap();
}

/// Every way of writing to a stream whose peer is gone returns an error; run where
/// `SIGPIPE` would kill the process.
async fn every_write_fails(mut conn: impl Conn, what: &str) {
    let chunk = [1u8; 65536];
    // A TCP peer that closed answers the first data with a reset, which nothing else
    // signals (the socket is already readable, at end of stream): retry until it came.
    let start = Instant::now();
    let err = loop {
        match conn.write(&chunk).await {
            Err(e) => break e,
            Ok(_) if start.elapsed() < PATIENCE => wakeful::time::sleep(Duration::from_millis(1)).await,
            Ok(_) => panic!("{what}: writes to a closed peer kept succeeding"),
        }
    };
    assert_peer_gone(&err, &format!("{what}: write"));
    let err = conn.write(&chunk).await.expect_err("write");
    assert_peer_gone(&err, &format!("{what}: write again"));
    let err = conn.write_all(&chunk).await.expect_err("write_all");
    assert_peer_gone(&err, &format!("{what}: write_all"));
    let err = conn.write_vectored(&[IoSlice::new(&chunk), IoSlice::new(b"x")]).await.expect_err("vectored");
    assert_peer_gone(&err, &format!("{what}: write_vectored"));
    let err = conn.try_write(&chunk).expect_err("try_write");
    assert_peer_gone(&err, &format!("{what}: try_write"));
}

#[test]
fn sigpipe_at_its_default_disposition_never_fires() {
    const NAME: &str = "sigpipe_at_its_default_disposition_never_fires";
    if util::ran_in_child(NAME) {
        return;
    }
    // SAFETY: restores SIGPIPE's default action (terminate), before any runtime or
    // socket exists; this child process runs this one test alone.
    assert_ne!(unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) }, libc::SIG_ERR);
    run(async {
        let (client, server) = tcp_pair().await?;
        drop(server);
        every_write_fails(client, "TCP, peer closed").await;

        let (client, server) = tcp_pair().await?;
        server.set_linger(Some(Duration::ZERO))?;
        drop(server);
        every_write_fails(client, "TCP, peer reset").await;

        let (a, b) = UnixStream::pair()?;
        drop(b);
        every_write_fails(a, "Unix stream, peer closed").await;

        let (a, b) = UnixStream::pair()?;
        let (_read, mut write) = a.into_split();
        drop(b);
        let err = write.write(b"half").await.expect_err("an owned write half");
        assert_peer_gone(&err, "Unix owned write half");

        // And the big transfers, cut short, with SIGPIPE armed.
        let (client, server) = tcp_pair().await?;
        peer_vanishes_mid_write(client, server, |server| {
            server.set_linger(Some(Duration::ZERO))?;
            drop(server);
            Ok(())
        })
        .await?;
        let (a, b) = UnixStream::pair()?;
        peer_vanishes_mid_write(a, b, |b| {
            drop(b);
            Ok(())
        })
        .await
    })
    .unwrap();
    // Still here, and SIGPIPE is still fatal: nothing changed the disposition.
    // SAFETY: reads the current action without changing it (null new action).
    let action = unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old), 0);
        old.sa_sigaction
    };
    assert_eq!(action, libc::SIG_DFL, "the runtime must not change SIGPIPE's disposition");
}
