//! hyper's server and client, both on wakeful through `wakeful::hyper`: keep-alive,
//! many connections, the header read timeout (hyper's timer), bodies streamed in
//! chunks, and a client that leaves mid-response.
#![cfg(feature = "hyper")]

mod util;

use std::cell::Cell;
use std::convert::Infallible;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::rt::Executor;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use util::PATIENCE;
use wakeful::hyper::{HyperExecutor, HyperIo, HyperTimer};
use wakeful::net::{TcpListener, TcpStream};
use wakeful::sync::mpsc;
use wakeful::time::timeout;
use wakeful::JoinHandle;

/// A body of `left` copies of `chunk`, waiting once before each (as a body fed by
/// something slower would); `!Send`, and counts its drops.
struct Chunks {
    left: usize,
    chunk: Bytes,
    waited: bool,
    drops: Rc<Cell<usize>>,
}

impl Chunks {
    fn new(left: usize, chunk: impl Into<Bytes>, drops: &Rc<Cell<usize>>) -> Chunks {
        Chunks { left, chunk: chunk.into(), waited: false, drops: drops.clone() }
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        self.waited = !self.waited;
        if self.waited {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.left -= 1;
        Poll::Ready(Some(Ok(Frame::data(self.chunk.clone()))))
    }
}

impl Drop for Chunks {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

/// What the server saw: connections accepted, response bodies dropped, and one
/// message per connection task that ended.
struct Server {
    addr: std::net::SocketAddr,
    accepted: Rc<Cell<usize>>,
    bodies_dropped: Rc<Cell<usize>>,
    ended: mpsc::UnboundedReceiver<()>,
}

/// Tells the server's test that a connection task ended, however it ended.
struct EndGuard(mpsc::UnboundedSender<()>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

async fn handle(request: Request<Incoming>, drops: Rc<Cell<usize>>) -> Result<Response<Chunks>, Infallible> {
    let body = match (request.method(), request.uri().path()) {
        (&Method::POST, "/echo") => {
            let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            Chunks::new(1, body, &drops)
        }
        (_, "/chunks") => Chunks::new(100, vec![b'c'; 1000], &drops),
        (_, "/endless") => Chunks::new(usize::MAX, vec![b'e'; 16 * 1024], &drops),
        _ => Chunks::new(1, &b"hello"[..], &drops),
    };
    Ok(Response::new(body))
}

/// Starts a hyper server on the current runtime, on a port of its own.
async fn start_server(header_read_timeout: Duration) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, ended) = mpsc::unbounded_channel();
    let (accepted, bodies_dropped) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let (count, drops) = (accepted.clone(), bodies_dropped.clone());
    wakeful::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            stream.set_nodelay(true).unwrap(); // or each small response waits for an ACK
            count.set(count.get() + 1);
            let drops = drops.clone();
            let connection = http1::Builder::new()
                .timer(HyperTimer)
                .header_read_timeout(header_read_timeout)
                .serve_connection(HyperIo::new(stream), service_fn(move |req| handle(req, drops.clone())));
            let guard = EndGuard(tx.clone());
            HyperExecutor.execute(async move {
                let _guard = guard;
                let _ = connection.await;
            });
        }
    });
    Server { addr, accepted, bodies_dropped, ended }
}

/// A client connection, its driver task kept so that a test can kill it.
async fn connect<B>(addr: std::net::SocketAddr) -> (SendRequest<B>, JoinHandle<()>)
where
    B: Body + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(HyperIo::new(stream)).await.unwrap();
    (sender, wakeful::spawn(async move { drop(connection.await) }))
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path).header("host", "localhost").body(Full::new(Bytes::new())).unwrap()
}

async fn body_of(sender: &mut SendRequest<Full<Bytes>>, path: &str) -> Bytes {
    let response = sender.send_request(get(path)).await.expect("response");
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.expect("body").to_bytes()
}

#[test]
fn one_kept_alive_connection_serves_a_thousand_requests() {
    util::run(async {
        let server = start_server(Duration::from_secs(10)).await;
        let (mut sender, _driver) = connect(server.addr).await;
        for i in 0..1000 {
            assert_eq!(body_of(&mut sender, "/").await, "hello", "request {i}");
        }
        assert_eq!(server.accepted.get(), 1, "keep-alive: one connection for all requests");
    });
}

#[test]
fn fifty_connections_at_once_are_each_served() {
    util::run(async {
        let server = start_server(Duration::from_secs(10)).await;
        let clients: Vec<_> = (0..50)
            .map(|_| {
                wakeful::spawn(async move {
                    let (mut sender, _driver) = connect(server.addr).await;
                    for _ in 0..3 {
                        assert_eq!(body_of(&mut sender, "/").await, "hello");
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.expect("a client failed");
        }
        assert_eq!(server.accepted.get(), 50);
    });
}

#[test]
fn a_client_sending_half_a_header_is_cut_off_after_the_header_read_timeout() {
    util::run(async {
        let limit = Duration::from_millis(200);
        let mut server = start_server(limit).await;
        let start = Instant::now(); // before hyper can start its timer: no slack needed
        let mut slow = TcpStream::connect(server.addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: loc").await.unwrap();
        // The server closes the connection (perhaps after a 408): read to its end.
        let mut reply = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&buf[..n]),
            }
        }
        let waited = start.elapsed();
        assert!(waited >= limit, "cut off after {waited:?}, before the {limit:?} timeout");
        assert!(!reply.starts_with(b"HTTP/1.1 200"), "a half request was answered");
        server.ended.recv().await.expect("the connection's task ended");

        // A client that sends its whole request in time is served as usual.
        let (mut sender, _driver) = connect(server.addr).await;
        assert_eq!(body_of(&mut sender, "/").await, "hello");
    });
}

#[test]
fn bodies_streamed_in_chunks_arrive_whole_both_ways() {
    util::run(async {
        let server = start_server(Duration::from_secs(10)).await;
        let (mut sender, _driver) = connect(server.addr).await;
        let response = sender.send_request(get("/chunks")).await.unwrap();
        let mut body = response.into_body();
        let (mut frames, mut bytes) = (0, Vec::new());
        while let Some(frame) = body.frame().await {
            frames += 1;
            bytes.extend_from_slice(frame.unwrap().data_ref().unwrap());
        }
        assert_eq!(bytes, vec![b'c'; 100 * 1000]);
        assert!(frames > 1, "the body came in one frame: not streamed");

        // A request body streamed by the client, echoed whole.
        let (mut sender, _driver) = connect::<Chunks>(server.addr).await;
        let drops = Rc::new(Cell::new(0));
        let request =
            Request::post("/echo").header("host", "localhost").body(Chunks::new(50, vec![b'r'; 999], &drops));
        let response = sender.send_request(request.unwrap()).await.unwrap();
        let echoed = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(echoed, vec![b'r'; 50 * 999]);
        assert_eq!(drops.get(), 1, "the request body was not dropped once sent");
    });
}

#[test]
fn a_client_leaving_mid_response_ends_the_server_task_and_drops_the_body() {
    util::run(async {
        let mut server = start_server(Duration::from_secs(10)).await;
        let baseline = wakeful::stats().unwrap().tasks_alive; // the accept loop
        let (mut sender, driver) = connect(server.addr).await;
        let response = sender.send_request(get("/endless")).await.unwrap();
        let mut body = response.into_body();
        for _ in 0..4 {
            body.frame().await.expect("a frame").expect("a data frame");
        }
        assert_eq!(server.bodies_dropped.get(), 0, "the endless body ended early");
        drop((body, sender));
        driver.abort();
        assert!(driver.await.is_err(), "the client's connection task was not aborted");
        timeout(PATIENCE, server.ended.recv())
            .await
            .expect("the server's connection task never ended")
            .unwrap();
        assert_eq!(server.bodies_dropped.get(), 1, "the response body was leaked");
        assert_eq!(wakeful::stats().unwrap().tasks_alive, baseline, "a task outlived the connection");
    });
}
