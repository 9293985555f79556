//! Fairness: a task that is always ready — yielding in a loop, or doing I/O that never
//! has to wait — must not hold back a timer or another connection's I/O for long.
//!
//! Each test starts one such "hog", waits until it is running flat out, then measures
//! five 5 ms sleeps and five echo round trips on another connection, in other tasks,
//! and counts the hog's operations per reactor turn meanwhile.

mod util;

use std::cell::Cell;
use std::future::Future;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use util::run;
use wakeful::executor::coop::BUDGET;
use wakeful::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use wakeful::spawn;
use wakeful::time::sleep_until;

/// How late a 5 ms sleep, or how long an echo round trip, may be while a hog runs.
///
/// With a turn of the reactor every [`MAX_OPS_PER_TURN`] hog operations (each a
/// syscall of a few µs in a debug build) or every 61 polls (the event interval, for a
/// hog that only yields), the expected delay is a few milliseconds at most. 100 ms
/// leaves room for a loaded 2-core machine that deschedules the test thread now and
/// then, and is still far below what a user would call a stall.
const FAIRNESS_BOUND: Duration = Duration::from_millis(100);

/// The bound that holds today for every hog: no starvation. Generous, as it is only
/// there to catch a runtime that stops looking at I/O and timers altogether (the
/// watchdog catches one that never looks again).
const STARVATION_BOUND: Duration = Duration::from_secs(2);

/// Hog operations allowed between two reactor turns: one cooperative budget, and as
/// much again for the other tasks' polls in between. A hog that spends its budget
/// yields, and its next operation should wait for the reactor to have had a look.
const MAX_OPS_PER_TURN: u64 = 2 * BUDGET as u64;

const SAMPLES: usize = 5;

/// Shared with a hog: it counts its operations, and stops when told.
#[derive(Clone, Default)]
struct HogControl {
    ops: Rc<Cell<u64>>,
    stop: Rc<Cell<bool>>,
}

impl HogControl {
    fn tick(&self) -> bool {
        self.ops.set(self.ops.get() + 1);
        !self.stop.get()
    }
}

/// What one run with a hog measured.
#[derive(Debug)]
struct Measured {
    /// The latest of the sleeps, past its deadline.
    late: Duration,
    /// The longest echo round trip.
    round_trip: Duration,
    /// Hog operations, and reactor turns, while measuring.
    ops: u64,
    turns: u64,
}

impl Measured {
    fn assert_no_starvation(&self, name: &str) {
        assert!(self.late < STARVATION_BOUND, "{name}: a 5 ms sleep ended late: {self:?}");
        assert!(self.round_trip < STARVATION_BOUND, "{name}: an echo round trip was slow: {self:?}");
        assert!(self.ops > 0, "{name}: the hog was starved in turn: {self:?}");
    }

    fn assert_fair(&self, name: &str) {
        self.assert_no_starvation(name);
        assert!(self.late < FAIRNESS_BOUND, "{name}: a 5 ms sleep ended late: {self:?}");
        assert!(self.round_trip < FAIRNESS_BOUND, "{name}: an echo round trip was slow: {self:?}");
        let per_turn = self.ops / self.turns.max(1);
        assert!(per_turn <= MAX_OPS_PER_TURN, "{name}: {per_turn} hog operations per reactor turn: {self:?}");
    }
}

/// An echo server on 127.0.0.1 for one connection, and the client's end.
async fn echo_connection() -> io::Result<TcpStream> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (mut conn, _) = listener.accept().await?;
    spawn(async move {
        let mut buf = [0; 64];
        while let Ok(n @ 1..) = conn.read(&mut buf).await {
            if conn.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    client.set_nodelay(true)?;
    Ok(client)
}

fn turns() -> u64 {
    wakeful::stats().expect("inside a runtime").reactor_turns
}

/// Starts `hog`, and measures a sleep's lateness and an echo's round trip meanwhile.
fn with_hog<F, H>(hog: H) -> Measured
where
    H: FnOnce(HogControl) -> F + Send + 'static,
    F: Future<Output = io::Result<()>> + 'static,
{
    let (report, measured) = std::sync::mpsc::channel();
    util::with_watchdog(move || {
        let result = run(async move {
            let control = HogControl::default();
            let hog = spawn(hog(control.clone()));
            while control.ops.get() < 1000 {
                wakeful::yield_now().await;
            }
            let mut client = echo_connection().await?;
            let (ops_before, turns_before) = (control.ops.get(), turns());

            let timer = spawn(async {
                let mut worst = Duration::ZERO;
                for _ in 0..SAMPLES {
                    let deadline = Instant::now() + Duration::from_millis(5);
                    sleep_until(deadline).await;
                    worst = worst.max(deadline.elapsed());
                }
                worst
            });
            let echo = spawn(async move {
                let mut worst = Duration::ZERO;
                for i in 0..SAMPLES as u8 {
                    let start = Instant::now();
                    client.write_all(&[i; 4]).await?;
                    let mut back = [0; 4];
                    client.read_exact(&mut back).await?;
                    assert_eq!(back, [i; 4]);
                    worst = worst.max(start.elapsed());
                }
                io::Result::Ok(worst)
            });
            let late = timer.await.unwrap();
            let round_trip = echo.await.unwrap()?;
            let (ops, turns) = (control.ops.get() - ops_before, turns() - turns_before);
            control.stop.set(true);
            hog.await.unwrap()?;
            io::Result::Ok(Measured { late, round_trip, ops, turns })
        });
        report.send(result.unwrap()).unwrap();
    });
    measured.recv().unwrap()
}

// ---- The hogs. ----

async fn yield_hog(control: HogControl) -> io::Result<()> {
    while control.tick() {
        wakeful::yield_now().await;
    }
    Ok(())
}

/// Peeks a socket that always has data (never consumed).
async fn peek_hog(control: HogControl) -> io::Result<()> {
    let (mut a, b) = UnixStream::pair()?;
    a.write_all(b"always here").await?;
    let mut buf = [0; 4];
    while control.tick() {
        assert_eq!(b.peek(&mut buf).await?, 4);
    }
    Ok(())
}

/// Reads a stream that a thread keeps full.
async fn read_hog(control: HogControl) -> io::Result<()> {
    let (reader, writer) = std::os::unix::net::UnixStream::pair()?;
    // The feeder stops when the reader is closed (EPIPE; tests ignore SIGPIPE).
    let feeder = std::thread::spawn(move || {
        let chunk = [7u8; 4096];
        while (&writer).write_all(&chunk).is_ok() {}
    });
    let mut reader = UnixStream::from_std(reader)?;
    let mut buf = [0; 16];
    while control.tick() {
        reader.read_exact(&mut buf).await?;
    }
    drop(reader);
    feeder.join().expect("the feeder thread");
    Ok(())
}

/// Sends datagrams to a socket that never reads them: UDP sends never wait, and the
/// kernel drops what does not fit in the receive buffer.
async fn send_hog(control: HogControl) -> io::Result<()> {
    let sink = UdpSocket::bind("127.0.0.1:0").await?;
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    let to = sink.local_addr()?;
    while control.tick() {
        socket.send_to(b"hog", to).await?;
    }
    Ok(())
}

// ---- The tests. ----

#[test]
fn a_task_yielding_in_a_loop_lets_timers_and_sockets_through() {
    with_hog(yield_hog).assert_fair("yield_now");
}

#[test]
fn a_task_peeking_an_always_readable_socket_does_not_starve_others() {
    with_hog(peek_hog).assert_no_starvation("peek");
}

#[test]
fn a_task_reading_an_endless_stream_does_not_starve_others() {
    with_hog(read_hog).assert_no_starvation("read");
}

#[test]
fn a_task_sending_datagrams_without_pause_does_not_starve_others() {
    with_hog(send_hog).assert_no_starvation("send_to");
}

// A hog whose I/O is always ready spends its budget and is queued again at once; the
// run loop looks at I/O and timers before polling it again — so 128 operations between
// two looks, not up to the event interval's 61 × 128 as before.

#[test]
fn a_task_peeking_an_always_readable_socket_lets_timers_and_sockets_through() {
    with_hog(peek_hog).assert_fair("peek");
}

#[test]
fn a_task_reading_an_endless_stream_lets_timers_and_sockets_through() {
    with_hog(read_hog).assert_fair("read");
}

#[test]
fn a_task_sending_datagrams_without_pause_lets_timers_and_sockets_through() {
    with_hog(send_hog).assert_fair("send_to");
}
