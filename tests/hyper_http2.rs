//! `wakeful::hyper` under HTTP/2, as `HyperExecutor`'s docs promise: server and client
//! built with `HyperExecutor` and `HyperTimer` (keep-alive pings), several streams at
//! once on one connection, services and bodies `!Send`.
#![cfg(feature = "hyper")]

mod util;

use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use util::PATIENCE;
use wakeful::hyper::{HyperExecutor, HyperIo, HyperTimer};
use wakeful::net::UnixStream;
use wakeful::time::timeout;

#[test]
fn http2_streams_run_as_wakeful_tasks_with_non_send_services_and_pings() {
    util::run(async {
        let (server_end, client_end) = UnixStream::pair().unwrap();
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
        served.expect("server connection failed");
    });
}
