//! The executor rows of `benches/executor.rs` (wake ping-pong, spawn + join, yield) as
//! one plain run each, for instruction counts: wall-clock time is noisy on a shared
//! machine, the instructions a run executes are not.
//!
//! ```text
//! cargo build --profile bench --example exec_count
//! valgrind --tool=callgrind --dump-instr=no --callgrind-out-file=/dev/null \
//!     target/release/examples/exec_count wakeful ping_pong 1000000
//! ```
//!
//! `RUNTIME` is `wakeful`, `executor` (wakeful's executor alone, without the reactor),
//! `executor-traced` (the same, recording a trace whose batches a sink discards: what
//! recording costs, without writing JSON) or `tokio` (current-thread, with a `LocalSet`, as in the criterion bench); `WORK` is `ping_pong` (N hand-offs, two per round trip), `spawn`
//! (N tasks spawned, then joined) or `yield` (one task yields N times); `echo` (wakeful
//! only: N round trips of 64 bytes over loopback TCP between two tasks, each through
//! reactor turns and their I/O wakes; `echo_ready` the same with the server waiting in
//! `readable()` and then calling `try_read`, as `examples/echo_lean.rs` does). Run it at two
//! sizes and divide the difference in instructions by the difference in N: that
//! leaves out the runtime's creation and the process's start.

use std::future::Future;

#[path = "executor/workloads.rs"]
mod workloads;
use workloads::{ping_pong, spawn_join, tokio, wakeful, yield_loop, Bench, Wakeful};

/// The executor alone, parking with std (no reactor): what the reactor's turns cost.
struct Executor(wakeful::executor::Runtime);

impl Bench for Executor {
    const NAME: &'static str = "executor";
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
    fn spawn<F: Future<Output = ()> + 'static>(future: F) -> impl Future<Output = ()> {
        Wakeful::spawn(future)
    }
    fn yield_now() -> impl Future<Output = ()> {
        wakeful::yield_now()
    }
}

/// Drops every batch of trace events: the recorder's cost alone.
struct Discard;

impl wakeful::executor::trace::TraceSink for Discard {
    fn write(&mut self, events: &[wakeful::executor::trace::TraceEvent]) {
        std::hint::black_box(events);
    }
}

fn work<B: Bench>(rt: &B, work: &str, n: usize) {
    match work {
        "ping_pong" => ping_pong(rt, n),
        "spawn" => spawn_join(rt, n),
        "yield" => yield_loop(rt, n),
        _ => panic!("unknown work {work:?}: ping_pong, spawn or yield"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, runtime, what, n] = &args[..] else {
        panic!("usage: exec_count wakeful|executor|executor-traced|tokio ping_pong|spawn|yield N");
    };
    let n: usize = n.parse().expect("N: a count");
    if what == "echo" || what == "echo_ready" {
        assert_eq!(runtime, "wakeful", "echo: wakeful only");
        return echo(n, what == "echo_ready");
    }
    match runtime.as_str() {
        "wakeful" => work(&wakeful(), what, n),
        "executor" => work(&Executor(wakeful::executor::Runtime::new()), what, n),
        "executor-traced" => {
            let tracer =
                wakeful::executor::trace::Tracer::new(Discard, wakeful::executor::trace::DEFAULT_CAPACITY);
            let park = wakeful::executor::ThreadPark::new();
            work(&Executor(wakeful::executor::Builder::default().build_traced(park, tracer)), what, n)
        }
        "tokio" => work(&tokio(), what, n),
        _ => panic!("unknown runtime {runtime:?}: wakeful, executor, executor-traced or tokio"),
    }
}

/// `n` echo round trips of 64 bytes between two tasks over loopback TCP: the reactor's
/// path (turn, event, I/O wake with its cause), deterministic under callgrind.
/// With `ready`, the server waits in `readable()` and then calls `try_read` and
/// `try_write`, as `examples/echo_lean.rs` does (`WORK` `echo_ready`).
fn echo(n: usize, ready: bool) {
    use wakeful::net::{TcpListener, TcpStream};

    wakeful::Runtime::new().unwrap().block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = wakeful::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 64];
            if ready {
                while stream.readable().await.is_ok() {
                    match stream.try_read(&mut buf) {
                        Ok(0) => break,
                        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
                        Err(err) => panic!("echo_ready: {err}"),
                        Ok(n) => assert_eq!(stream.try_write(&buf[..n]).unwrap(), n),
                    }
                }
                return;
            }
            while stream.read_exact(&mut buf).await.is_ok() {
                stream.write_all(&buf).await.unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let mut buf = [7u8; 64];
        for _ in 0..n {
            client.write_all(&buf).await.unwrap();
            client.read_exact(&mut buf).await.unwrap();
        }
        drop(client);
        server.await.unwrap();
    });
}
