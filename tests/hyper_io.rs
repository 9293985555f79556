//! `wakeful::hyper::HyperIo`: hyper's I/O traits over wakeful streams (and any
//! `futures-io` type), and `futures-io` over hyper's I/O: vectored writes, shutdown,
//! lying readers, the read cap, and HTTP over a Unix socket pair.
#![cfg(feature = "hyper")]

mod util;

use std::convert::Infallible;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::rt::{Executor, Read, ReadBuf, Write};
use hyper::service::service_fn;
use hyper::{Request, Response};
use util::CountingWaker;
use wakeful::hyper::{HyperExecutor, HyperIo};
use wakeful::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wakeful::net::UnixStream;

/// A stream that records what it is asked, and answers reads with `answer(len)` bytes.
struct Recorder {
    read_lens: Vec<usize>,
    write_slices: Vec<usize>,
    answer: fn(usize) -> usize,
}

impl Recorder {
    fn new(answer: fn(usize) -> usize) -> Recorder {
        Recorder { read_lens: Vec::new(), write_slices: Vec::new(), answer }
    }
}

impl AsyncRead for Recorder {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.read_lens.push(buf.len());
        assert!(buf.iter().all(|&b| b == 0), "the reader was handed memory that was not zeroed");
        let (n, len) = ((self.answer)(buf.len()), buf.len());
        buf[..n.min(len)].fill(b'r');
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.write_slices.push(bufs.len());
        Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// One hyper read into a fresh buffer of `capacity` bytes: the result and bytes filled.
fn hyper_read<T: Read + Unpin>(io: &mut T, capacity: usize) -> (Poll<io::Result<()>>, usize) {
    let mut memory = vec![MaybeUninit::new(0xAA_u8); capacity];
    let mut buf = ReadBuf::uninit(&mut memory);
    let result = CountingWaker::new()
        .poll(std::pin::pin!(poll_fn(|cx| Pin::new(&mut *io).poll_read(cx, buf.unfilled()))));
    (result, buf.filled().len())
}

#[test]
fn reads_offer_at_most_64_kib_of_zeroed_memory() {
    let mut io = HyperIo::new(Recorder::new(|len| len));
    let (result, filled) = hyper_read(&mut io, 200 * 1024);
    assert!(matches!(result, Poll::Ready(Ok(()))));
    assert_eq!(filled, 64 * 1024);
    let (_, filled) = hyper_read(&mut io, 100);
    assert_eq!(filled, 100);
    assert_eq!(io.get_ref().read_lens, [64 * 1024, 100]);
}

#[test]
fn a_reader_claiming_more_than_it_was_given_is_an_error() {
    let mut io = HyperIo::new(Recorder::new(|len| len + 1));
    let (result, filled) = hyper_read(&mut io, 10);
    match result {
        Poll::Ready(Err(err)) => assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}"),
        other => panic!("a lying reader was believed: {other:?}"),
    }
    assert_eq!(filled, 0, "bytes the reader never wrote were counted as read");
}

#[test]
fn vectored_writes_go_through_whole() {
    let mut io = HyperIo::new(Recorder::new(|_| 0));
    assert!(Write::is_write_vectored(&io));
    let slices = [IoSlice::new(b"GET "), IoSlice::new(b"/ "), IoSlice::new(b"HTTP/1.1\r\n")];
    let written = CountingWaker::new()
        .poll(std::pin::pin!(poll_fn(|cx| Pin::new(&mut io).poll_write_vectored(cx, &slices))));
    assert!(matches!(written, Poll::Ready(Ok(16))));
    assert_eq!(io.into_inner().write_slices, [3]);
}

#[test]
fn hyper_shutdown_closes_the_write_half_of_the_stream() {
    util::run(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut io = HyperIo::new(a);
        poll_fn(|cx| Pin::new(&mut io).poll_write(cx, b"last")).await.unwrap();
        poll_fn(|cx| Pin::new(&mut io).poll_shutdown(cx)).await.unwrap();
        let mut seen = Vec::new();
        b.read_to_end(&mut seen).await.unwrap();
        assert_eq!(seen, b"last", "the peer did not see the end of the stream");
    });
}

#[test]
fn futures_io_over_hyper_io_round_trips_and_closes() {
    util::run(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        // hyper's traits over a wakeful stream, then futures-io's over those.
        let mut io = HyperIo::new(HyperIo::new(a));
        io.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        b.write_all(b"pong").await.unwrap();
        io.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
        io.close().await.unwrap();
        assert_eq!(b.read(&mut buf).await.unwrap(), 0, "close did not reach the peer");
        drop(b);
        assert_eq!(io.read(&mut buf).await.unwrap(), 0, "the peer's close did not read as the end");
    });
}

#[test]
fn http_over_a_unix_socket_pair() {
    util::run(async {
        let (server, client) = UnixStream::pair().unwrap();
        let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
            let body = request.into_body().collect().await.unwrap().to_bytes();
            Ok::<_, Infallible>(Response::new(Full::new(body)))
        });
        let serving =
            hyper::server::conn::http1::Builder::new().serve_connection(HyperIo::new(server), service);
        HyperExecutor.execute(serving);
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(HyperIo::new(client)).await.unwrap();
        HyperExecutor.execute(connection);
        for size in [0, 1, 70_000] {
            let payload = Bytes::from(util::pattern(size, 7));
            let request = Request::post("/").header("host", "unix").body(Full::new(payload.clone())).unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), payload);
        }
    });
}

#[test]
#[should_panic(expected = "outside a runtime")]
fn the_executor_outside_a_runtime_panics_clearly() {
    HyperExecutor.execute(async {});
}

/// A writer claiming to have written more than it was given.
struct LyingWriter;

impl AsyncWrite for LyingWriter {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len() + 1))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum::<usize>() + 1))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn a_writer_claiming_more_than_it_was_given_is_an_error() {
    // hyper advances its buffers by the count returned, unchecked: a count past the end
    // panics inside hyper (or, in release builds, wraps), so it must arrive as an error.
    let waker = CountingWaker::new();
    let mut io = HyperIo::new(LyingWriter);
    let plain = waker.poll(std::pin::pin!(poll_fn(|cx| Write::poll_write(Pin::new(&mut io), cx, b"abc"))));
    let slices = [IoSlice::new(b"ab"), IoSlice::new(b"cd")];
    let vectored =
        waker.poll(std::pin::pin!(poll_fn(|cx| Write::poll_write_vectored(Pin::new(&mut io), cx, &slices))));
    for (what, result) in [("poll_write", plain), ("poll_write_vectored", vectored)] {
        match result {
            Poll::Ready(Err(err)) => {
                assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{what}: {err}");
                assert!(err.to_string().contains("HyperIo"), "{what}: {err}");
            }
            other => panic!("{what}: a writer's impossible count was passed on: {other:?}"),
        }
    }
}
