//! hyper 1.x serving HTTP/1.1 on wakeful — the ecosystem's HTTP implementation on our
//! runtime, through hyper's `rt` traits: the adapters of `wakeful::hyper` (I/O,
//! executor, timer), with the `hyper` feature.
//!
//! ```text
//! cargo run --features hyper --example hyper         # on 127.0.0.1:8081
//! curl -i http://127.0.0.1:8081/
//! curl -i --data 'echo me' http://127.0.0.1:8081/echo
//! ```
//!
//! hyper parses, keeps connections alive and times out slow headers (with our timer);
//! wakeful accepts, schedules and does the I/O. Each connection is a task, and need not
//! be `Send`.

use std::convert::Infallible;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use wakeful::net::TcpListener;

use hyper::rt::Executor;
use wakeful::hyper::{HyperExecutor, HyperIo, HyperTimer};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next()) {
        (None, _) => "127.0.0.1:8081".to_string(),
        (Some("--addr"), Some(addr)) => addr,
        _ => {
            eprintln!("usage: hyper [--addr HOST:PORT]");
            return ExitCode::from(2);
        }
    };
    match wakeful::block_on(serve(&addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hyper: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("hyper: listening on {}", listener.local_addr()?);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                eprintln!("hyper: accept: {err}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = http1::Builder::new()
            .timer(HyperTimer)
            .header_read_timeout(Duration::from_secs(10))
            .serve_connection(HyperIo::new(stream), service_fn(handle));
        HyperExecutor.execute(async move {
            if let Err(err) = connection.await {
                eprintln!("hyper: {peer}: {err}");
            }
        });
    }
}

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => {
            Response::new(Full::new(Bytes::from_static(b"Hello from hyper on wakeful!\n")))
        }
        (&Method::POST, "/echo") => match request.into_body().collect().await {
            Ok(body) => Response::new(Full::new(body.to_bytes())),
            Err(err) => status(StatusCode::BAD_REQUEST, format!("bad body: {err}\n")),
        },
        _ => status(StatusCode::NOT_FOUND, "not found\n".into()),
    };
    Ok(response)
}

fn status(code: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = code;
    response
}
