//! The cooperative budget as seen by futures that combine others: a `timeout` whose
//! future spends the task's whole budget on every poll must still fire, and the run
//! loop's zero-time park after a spent budget must not cost an echo server extra
//! reactor turns, nor starve the `block_on` future.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use util::{run, PATIENCE};
use wakeful::net::{TcpListener, TcpStream, UnixStream};
use wakeful::spawn;
use wakeful::time::{sleep, timeout};

/// How long a busy future may run before it gives up by itself: far past the deadline
/// of the timeouts below, so a timeout that fires at all fires first.
const BUSY_FOR: Duration = Duration::from_secs(2);

/// Runs `busy` (which loops until [`BUSY_FOR`] has passed since the instant it is
/// given) under a 10 ms timeout inside a spawned task, and asserts the timeout fired.
fn assert_times_out<F: std::future::Future<Output = ()> + 'static>(
    busy: impl FnOnce(Instant) -> F + 'static,
) {
    let (outcome, took) = run(async {
        spawn(async {
            let start = Instant::now();
            let outcome = timeout(Duration::from_millis(10), busy(start)).await;
            (outcome, start.elapsed())
        })
        .await
        .unwrap()
    });
    assert!(outcome.is_err(), "the busy future ran for {took:?}: a 10 ms timeout never fired");
    assert!(took < BUSY_FOR, "the timeout fired only after {took:?}");
}

#[test]
fn a_timeout_fires_while_its_future_spends_the_whole_budget_on_zero_sleeps() {
    // Each zero sleep spends a unit: every poll of the task ends with the budget spent
    // inside the timeout's future.
    assert_times_out(|start| async move {
        while start.elapsed() < BUSY_FOR {
            sleep(Duration::ZERO).await;
        }
    });
}

#[test]
fn a_timeout_fires_while_its_future_spends_the_whole_budget_on_readiness() {
    assert_times_out(|start| async move {
        let (a, mut b) = UnixStream::pair().unwrap();
        drop(a); // b is at end of stream: readable forever
        let mut buf = [0; 8];
        while start.elapsed() < BUSY_FOR {
            assert_eq!(b.read(&mut buf).await.unwrap(), 0);
        }
    });
}

#[test]
fn a_timeout_in_a_loop_over_a_pending_future_still_yields() {
    // The timeout's own sleep must keep spending the budget when its future did not:
    // `timeout(ZERO, pending())` in a loop completes at once every time.
    let ran = run(async {
        let stop = Rc::new(Cell::new(false));
        let flag = stop.clone();
        let hog = spawn(async move {
            let mut n = 0u64;
            while !flag.get() && n < 200_000 {
                assert!(timeout(Duration::ZERO, std::future::pending::<()>()).await.is_err());
                n += 1;
            }
            n
        });
        let stopper = spawn(async move {
            sleep(Duration::from_millis(1)).await;
            stop.set(true);
        });
        let ran = hog.await.unwrap();
        stopper.await.unwrap();
        ran
    });
    assert!(ran < 200_000, "{ran} zero timeouts without letting a 1 ms timer in");
}

#[test]
fn an_echo_server_takes_a_bounded_number_of_reactor_turns_per_request() {
    const REQUESTS: u64 = 200;
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0; 64];
            loop {
                let n = conn.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                conn.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let mut reply = [0; 5];
        let before = wakeful::stats().unwrap();
        for _ in 0..REQUESTS {
            client.write_all(b"hello").await.unwrap();
            client.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"hello");
        }
        let after = wakeful::stats().unwrap();
        drop(client);
        server.await.unwrap();
        let turns = after.reactor_turns - before.reactor_turns;
        // One turn for the server's read, one for the client's: a zero-time park per
        // poll would show as more.
        assert!(turns <= 3 * REQUESTS, "{turns} reactor turns for {REQUESTS} echo requests");
    });
}

#[test]
fn the_block_on_future_runs_between_polls_of_a_task_that_spends_its_budget() {
    run(async {
        let stop = Rc::new(Cell::new(false));
        let flag = stop.clone();
        let hog = spawn(async move {
            let deadline = Instant::now() + PATIENCE;
            let mut polls_spent = 0u64;
            while !flag.get() && Instant::now() < deadline {
                for _ in 0..wakeful::executor::coop::BUDGET {
                    sleep(Duration::ZERO).await;
                }
                polls_spent += 1;
            }
            polls_spent
        });
        // The block_on future yields 100 times; each time the hog runs one poll (and
        // the loop one zero-time park) before it gets its turn back.
        let start = Instant::now();
        for _ in 0..100 {
            wakeful::yield_now().await;
        }
        stop.set(true);
        let polls = hog.await.unwrap();
        assert!(start.elapsed() < PATIENCE, "the block_on future was starved by a busy task");
        assert!(polls < 10_000, "the hog ran {polls} full budgets while block_on yielded 100 times");
    });
}

#[test]
fn a_panicking_waker_in_a_turn_loses_no_other_wakeup_and_the_next_turn_works() {
    use wakeful::reactor::Reactor;
    let reactor = Reactor::new().unwrap();
    let now = std::time::Instant::now();
    let counter = util::CountingWaker::new();
    // Two timers due in the same turn, the panicking one first, then a good one.
    let bad = reactor.insert_timer(now, &util::panicking_wake_waker(std::task::Waker::noop().clone()));
    let good = reactor.insert_timer(now, counter.waker());
    let woken = reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(woken, 2, "both timers were due");
    assert_eq!(counter.wakes(), 1, "the waker after the panicking one was not woken");
    assert!(reactor.poll_timer(good, counter.waker()), "the good timer did not fire");
    reactor.remove_timer(bad);
    reactor.remove_timer(good);
    // The turn after: a fresh timer wakes as usual (the list of due wakers is usable).
    let again = reactor.insert_timer(std::time::Instant::now(), counter.waker());
    assert_eq!(reactor.turn(Some(Duration::ZERO)).unwrap(), 1);
    assert_eq!(counter.wakes(), 2, "the turn after a panicking waker woke nobody");
    reactor.remove_timer(again);
    assert_eq!(reactor.len(), (0, 0));
}
