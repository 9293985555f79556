//! The hyper example: hyper's server on wakeful, spoken to by hyper's client, also
//! on wakeful.
//!
//! Each example runs as its own process, spoken to over loopback with plain blocking
//! std sockets (`util::example`). Needs the `hyper` feature (as the example does).
#![cfg(feature = "hyper")]

mod util;

use util::example::Running;

#[test]
fn hyper_serves_hyper_client_both_on_wakeful() {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::rt::Executor;
    use wakeful::hyper::{HyperExecutor, HyperIo};

    let mut server = Running::start("hyper", &["--addr", "127.0.0.1:0"]);
    let addr = server.listening_addr();
    util::run(async {
        let stream = wakeful::net::TcpStream::connect(addr.as_str()).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(HyperIo::new(stream)).await.unwrap();
        HyperExecutor.execute(async move {
            let _ = connection.await;
        });
        for _ in 0..3 {
            // Several requests on one kept-alive connection.
            let request =
                hyper::Request::get("/").header("host", &addr).body(Full::new(Bytes::new())).unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"Hello from hyper on wakeful!\n");
        }
        let payload = Bytes::from(vec![b'x'; 100_000]);
        let request =
            hyper::Request::post("/echo").header("host", &addr).body(Full::new(payload.clone())).unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), payload);
        let request =
            hyper::Request::get("/missing").header("host", &addr).body(Full::new(Bytes::new())).unwrap();
        assert_eq!(sender.send_request(request).await.unwrap().status(), 404);
    });
}
