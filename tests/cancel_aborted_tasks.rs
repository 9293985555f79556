//! An aborted task is gone after one turn of the runtime, whatever it waited on (an
//! idle listener, an idle UDP socket, a sleep): its future dropped, no waker and no
//! timer of it left behind.

mod util;

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;

use util::cancel::HOUR;
use util::{run, run_ready_tasks, CountingWaker, Drops, PATIENCE};
use wakeful::net::{TcpListener, UdpSocket};
use wakeful::time::{sleep, timeout};
use wakeful::{spawn, yield_now};

/// Spawns a task that waits on `wait` (polled with a counting waker that relays to the
/// task's), aborts it, and checks that after one runtime turn its future is dropped,
/// the task is gone from the runtime, and nothing holds the waker `wait` was given.
async fn assert_aborted_task_is_gone_after_one_turn<F: Future + 'static>(what: &str, wait: F) {
    yield_now().await; // so that the timers of whatever polls us are in place
    let alive_before = wakeful::stats().unwrap().tasks_alive;
    let timers_before = wakeful::stats().unwrap().timers_pending;
    let drops = Drops::default();
    let relay = Rc::new(CountingWaker::new());
    let tracked = drops.track();
    let task_relay = relay.clone();
    let task = spawn(async move {
        let _tracked = tracked;
        let mut wait = pin!(wait);
        poll_fn(|cx| {
            task_relay.forward_to(cx.waker());
            task_relay.poll(wait.as_mut())
        })
        .await;
    });
    run_ready_tasks().await; // the task runs, and waits
    assert!(relay.held() >= 1, "{what}: the task is not waiting");
    assert_eq!(wakeful::stats().unwrap().tasks_alive, alive_before + 1);

    task.abort();
    run_ready_tasks().await; // the aborted task's future is dropped when it would run
    assert_eq!(drops.count(), 1, "{what}: the aborted task's future was not dropped");
    assert!(task.is_finished(), "{what}: the aborted task is not finished");
    assert_eq!(wakeful::stats().unwrap().tasks_alive, alive_before, "{what}: the task is still alive");
    assert_eq!(relay.held(), 0, "{what}: something still holds the waker the aborted future was polled with");
    assert_eq!(wakeful::stats().unwrap().timers_pending, timers_before, "{what}: its timer is still pending");
    relay.stop_forwarding(); // drops the task's own waker, held by the relay
    assert!(task.await.unwrap_err().is_cancelled());
}

#[test]
fn an_aborted_task_waiting_on_an_idle_listener_is_gone_after_one_turn() {
    run(async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let waiting = listener.clone();
        assert_aborted_task_is_gone_after_one_turn("accept", async move { waiting.accept().await.map(drop) })
            .await;
        // The listener still accepts.
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        timeout(PATIENCE, listener.accept()).await.expect("accept after an abort").unwrap();
    });
}

#[test]
fn an_aborted_task_waiting_on_an_idle_udp_socket_is_gone_after_one_turn() {
    run(async {
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let waiting = socket.clone();
        let recv = async move { waiting.recv_from(&mut [0; 64]).await.map(drop) };
        assert_aborted_task_is_gone_after_one_turn("recv_from", recv).await;
    });
}

#[test]
fn an_aborted_task_waiting_on_a_sleep_is_gone_after_one_turn() {
    run(async {
        assert_aborted_task_is_gone_after_one_turn("sleep", sleep(HOUR)).await;
    });
}
