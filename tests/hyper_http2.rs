//! `wakeful::hyper` under HTTP/2, as `HyperExecutor`'s docs promise: server and client
//! built with `HyperExecutor` and `HyperTimer` (keep-alive pings), several streams at
//! once on one connection, services and bodies `!Send`.
#![cfg(feature = "hyper")]

mod util;

use std::cell::RefCell;
use std::convert::Infallible;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use util::PATIENCE;
use wakeful::hyper::{HyperExecutor, HyperIo, HyperTimer};
use wakeful::io::{AsyncRead, AsyncWrite};
use wakeful::net::UnixStream;
use wakeful::time::timeout;

#[test]
fn http2_streams_run_as_wakeful_tasks_with_non_send_services_and_pings() {
    util::run(async {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        // The client's end sees every frame of the connection, both ways.
        let (client_end, frames) = Watched::new(client_end);
        let shared = Rc::new(String::from("from an Rc")); // `!Send`, used by the service
        let service = service_fn(move |request: Request<Incoming>| {
            let shared = shared.clone();
            async move {
                let path = request.uri().path().to_owned();
                wakeful::time::sleep(Duration::from_millis(5)).await; // streams overlap
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!("{path} {shared}")))))
            }
        });
        let server = hyper::server::conn::http2::Builder::new(HyperExecutor)
            .timer(HyperTimer)
            .keep_alive_interval(Duration::from_millis(20))
            .serve_connection(HyperIo::new(server_end), service);
        let server = wakeful::spawn(server);

        let (sender, connection) = hyper::client::conn::http2::Builder::new(HyperExecutor)
            .timer(HyperTimer)
            .keep_alive_interval(Duration::from_millis(20))
            .keep_alive_while_idle(true) // the server pings while idle by default
            .handshake(HyperIo::new(client_end))
            .await
            .expect("HTTP/2 handshake");
        let client = wakeful::spawn(connection);

        let mut requests = wakeful::task::JoinSet::new();
        for i in 0..8 {
            let mut sender = sender.clone();
            requests.spawn(async move {
                let request =
                    Request::get(format!("http://localhost/{i}")).body(Full::new(Bytes::new())).unwrap();
                let response = sender.send_request(request).await.expect("response");
                assert_eq!(response.status(), 200);
                let body = response.into_body().collect().await.expect("body").to_bytes();
                assert_eq!(body, format!("/{i} from an Rc"));
            });
        }
        while let Some(done) = timeout(PATIENCE, requests.join_next()).await.expect("requests hung") {
            done.expect("a request task failed");
        }
        // Idle past a few ping intervals: pings must neither fail nor close the connection.
        wakeful::time::sleep(Duration::from_millis(100)).await;
        let mut sender = sender;
        let request = Request::get("http://localhost/late").body(Full::new(Bytes::new())).unwrap();
        let response =
            timeout(PATIENCE, sender.send_request(request)).await.expect("hung").expect("after pings");
        assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "/late from an Rc");
        drop(sender);
        let ended =
            timeout(PATIENCE, client).await.expect("client connection never ended").expect("client task");
        ended.expect("client connection failed");
        let served =
            timeout(PATIENCE, server).await.expect("server connection never ended").expect("server task");
        let (sent, received) = (frames.sent.borrow(), frames.received.borrow());
        if let Err(error) = served {
            // The client ends the connection on its own once its last sender is gone: it
            // sends GOAWAY and closes its socket without waiting for the server (hyper's
            // and h2's behaviour; RFC 9113 §6.8 lets either end close after GOAWAY). A
            // frame still in flight then meets a closed peer: the server's ACK to a PING
            // the client sent just before its GOAWAY fails with EPIPE, and a server PING
            // left unread in the client's socket makes the kernel report ECONNRESET to the
            // server. Those two, after the client's GOAWAY, are a legitimate end; any
            // other error is a failure.
            let kind = std::error::Error::source(&error)
                .and_then(|source| source.downcast_ref::<io::Error>())
                .map(io::Error::kind);
            assert!(
                matches!(kind, Some(io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset)),
                "server connection failed: {error:?}"
            );
            assert!(sent.goaways > 0, "the server saw the client close before its GOAWAY: {error:?}");
        }
        // Every ping answered: each side has at most one ping in flight, so all but the
        // last of each side's pings were answered, and the idle time saw some answered.
        assert!(sent.pings <= received.acks + 1, "client pings unanswered: {sent:?} {received:?}");
        assert!(received.pings <= sent.acks + 1, "server pings unanswered: {sent:?} {received:?}");
        assert!(received.acks + sent.acks > 0, "no ping answered while idle: {sent:?} {received:?}");
    });
}

#[test]
fn the_frame_counter_counts_frames_split_at_any_byte() {
    let frame = |length: u8, kind: u8, flags: u8| {
        let mut bytes = vec![0, 0, length, kind, flags, 0, 0, 0, 0];
        bytes.resize(9 + usize::from(length), kind); // payload bytes that look like headers
        bytes
    };
    let stream = [frame(8, 6, 0), frame(4, 0, 1), frame(8, 6, 1), frame(0, 4, 0), frame(8, 7, 0)].concat();
    for split in 0..=stream.len() {
        let mut frames = Frames::default();
        frames.scan(&stream[..split]);
        frames.scan(&stream[split..]);
        assert_eq!((frames.pings, frames.acks, frames.goaways), (1, 1, 1), "split at {split}");
    }
}

/// Counts of the HTTP/2 frames of interest in one direction of a connection's bytes.
#[derive(Debug, Default)]
struct Frames {
    pings: usize,
    acks: usize,
    goaways: usize,
    /// Bytes still to pass before the next frame header (the preface, a payload).
    skip: usize,
    header: Vec<u8>,
}

impl Frames {
    /// Counts the frames whose headers `bytes` (the next bytes of the stream) complete.
    fn scan(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                (self.skip, bytes) = (self.skip - n, &bytes[n..]);
                continue;
            }
            let n = (9 - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if let [l0, l1, l2, kind, flags, _, _, _, _] = self.header[..] {
                match (kind, flags & 1) {
                    (6, 0) => self.pings += 1, // PING
                    (6, _) => self.acks += 1,  // PING with ACK
                    (7, _) => self.goaways += 1,
                    _ => {}
                }
                self.skip = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
                self.header.clear();
            }
        }
    }
}

/// What went through a [`Watched`] stream: `sent` by its owner, `received` from the peer.
struct Tally {
    sent: RefCell<Frames>,
    received: RefCell<Frames>,
}

/// The client's end of the connection, counting the frames that pass it.
struct Watched {
    inner: UnixStream,
    tally: Rc<Tally>,
}

impl Watched {
    fn new(inner: UnixStream) -> (Watched, Rc<Tally>) {
        // The client's first 24 bytes are the connection preface, not a frame.
        let sent = RefCell::new(Frames { skip: 24, ..Frames::default() });
        let tally = Rc::new(Tally { sent, received: RefCell::default() });
        (Watched { inner, tally: tally.clone() }, tally)
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        self.tally.received.borrow_mut().scan(&buf[..n]);
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        self.tally.sent.borrow_mut().scan(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut n = ready!(Pin::new(&mut self.inner).poll_write_vectored(cx, bufs))?;
        let written = n;
        for buf in bufs {
            let part = n.min(buf.len());
            self.tally.sent.borrow_mut().scan(&buf[..part]);
            n -= part;
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
