//! Memory and fds after aborted tasks that held 16 KiB each while they waited (on an
//! accept, a UDP receive, a readable stream, a sleep), many at once, and after
//! runtimes dropped with a thousand tasks waiting: all must return to where they
//! were. Measured by a counting allocator (`util::leak_check`), in child processes.

mod util;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use util::leak_check::{assert_back_to, run_measured, usage, CountingAllocator, SLACK};
use util::{run_ready_tasks, PATIENCE};
use wakeful::net::{TcpListener, TcpStream, UdpSocket};
use wakeful::time::{sleep, timeout};
use wakeful::{spawn, yield_now, JoinHandle};

/// Cycles of each measurement of aborted tasks holding [`TASK_STATE`] bytes.
const HEAVY_CYCLES: usize = 10_000;

const TASK_STATE: usize = 16 * 1024;

/// A task that holds [`TASK_STATE`] bytes of its own across `wait`, counting in
/// `waiting` that it got there.
fn spawn_holding_state<W: Future + 'static>(wait: W, waiting: &Rc<Cell<usize>>) -> JoinHandle<()> {
    let waiting = waiting.clone();
    spawn(async move {
        let state = [0xa5_u8; TASK_STATE];
        waiting.set(waiting.get() + 1);
        wait.await;
        std::hint::black_box(&state);
    })
}

/// Spawns `cycles` tasks one after another, each waiting on a future `wait()` makes,
/// and aborts each once it waits. The runtime turns between aborts: every other handle
/// is awaited, the others are dropped (the task detached) and the ready tasks run.
async fn spawn_and_abort<W: Future + 'static>(cycles: usize, mut wait: impl FnMut() -> W) {
    let waiting = Rc::new(Cell::new(0));
    for i in 0..cycles {
        let task = spawn_holding_state(wait(), &waiting);
        run_ready_tasks().await; // the task runs, and waits
        task.abort();
        if i % 2 == 0 {
            assert!(task.await.unwrap_err().is_cancelled());
        } else {
            drop(task);
            run_ready_tasks().await;
        }
    }
    assert_eq!(waiting.get(), cycles, "every task started waiting before it was aborted");
}

/// Warms up, then checks that [`HEAVY_CYCLES`] aborted tasks left nothing behind.
async fn assert_aborted_tasks_leave_nothing<W: Future + 'static>(what: &str, mut wait: impl FnMut() -> W) {
    spawn_and_abort(100, &mut wait).await;
    let baseline = usage();
    spawn_and_abort(HEAVY_CYCLES, &mut wait).await;
    assert_eq!(wakeful::stats().unwrap().tasks_alive, 0, "{what}: tasks still alive");
    assert_back_to(baseline, SLACK, &format!("{what}: {HEAVY_CYCLES} tasks aborted"));
}

/// Counts this binary's live bytes (see `util::leak_check`).
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn aborted_tasks_waiting_to_accept_free_their_memory() {
    if util::ran_in_child("aborted_tasks_waiting_to_accept_free_their_memory") {
        return;
    }
    run_measured("accept", async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        assert_aborted_tasks_leave_nothing("accept", || {
            let listener = listener.clone();
            async move { listener.accept().await.map(drop) }
        })
        .await;
    });
}

#[test]
fn aborted_tasks_waiting_to_receive_udp_free_their_memory() {
    if util::ran_in_child("aborted_tasks_waiting_to_receive_udp_free_their_memory") {
        return;
    }
    run_measured("recv_from", async {
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        assert_aborted_tasks_leave_nothing("recv_from", || {
            let socket = socket.clone();
            async move { socket.recv_from(&mut [0; 64]).await.map(drop) }
        })
        .await;
    });
}

#[test]
fn aborted_tasks_waiting_for_a_readable_stream_free_their_memory() {
    if util::ran_in_child("aborted_tasks_waiting_for_a_readable_stream_free_their_memory") {
        return;
    }
    run_measured("readable", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let server = Rc::new(listener.accept().await.unwrap().0);
        assert_aborted_tasks_leave_nothing("readable", || {
            let server = server.clone();
            async move { server.readable().await }
        })
        .await;
    });
}

#[test]
fn aborted_sleeping_tasks_free_their_memory() {
    if util::ran_in_child("aborted_sleeping_tasks_free_their_memory") {
        return;
    }
    run_measured("sleep", async {
        run_ready_tasks().await; // `run` puts its own timer in place
        let timers = wakeful::stats().unwrap().timers_pending;
        assert_aborted_tasks_leave_nothing("sleep", || sleep(Duration::from_secs(3600))).await;
        assert_eq!(wakeful::stats().unwrap().timers_pending, timers, "the aborted tasks' timers are gone");
    });
}

/// The sockets the tasks of the tests below wait on, idle.
struct IdleSockets {
    listener: Rc<TcpListener>,
    udp: Rc<UdpSocket>,
}

impl IdleSockets {
    async fn new() -> IdleSockets {
        IdleSockets {
            listener: Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap()),
            udp: Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap()),
        }
    }

    /// Spawns `count` tasks holding [`TASK_STATE`] bytes each, waiting on an accept, a
    /// `recv_from` or a sleep in turn; returns their handles once all wait.
    async fn spawn_waiting(&self, count: usize) -> Vec<JoinHandle<()>> {
        let waiting = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..count)
            .map(|i| {
                let (listener, udp) = (self.listener.clone(), self.udp.clone());
                let wait = async move {
                    match i % 3 {
                        0 => drop(listener.accept().await),
                        1 => drop(udp.recv_from(&mut [0; 64]).await),
                        _ => sleep(Duration::from_secs(3600)).await,
                    }
                };
                spawn_holding_state(wait, &waiting)
            })
            .collect();
        // The runtime runs `event_interval` tasks between two polls of ours.
        while waiting.get() < count {
            yield_now().await;
        }
        tasks
    }
}

/// Tasks aborted while many wait on the same sockets at once: every waiter's place
/// and timer is given back, not only the last one's.
#[test]
fn aborting_many_tasks_waiting_at_once_frees_their_memory() {
    if util::ran_in_child("aborting_many_tasks_waiting_at_once_frees_their_memory") {
        return;
    }
    run_measured("many at once", async {
        let sockets = IdleSockets::new().await;
        let round = || async {
            let tasks = sockets.spawn_waiting(1000).await;
            for task in &tasks {
                task.abort();
            }
            for task in tasks {
                assert!(task.await.unwrap_err().is_cancelled());
            }
        };
        round().await;
        let baseline = usage();
        for _ in 0..10 {
            round().await;
        }
        assert_eq!(wakeful::stats().unwrap().tasks_alive, 0, "tasks still alive");
        assert_back_to(baseline, SLACK, "10 rounds of 1000 tasks aborted at once");
    });
}

/// Dropping a runtime drops the futures of its waiting tasks, and with them every
/// socket, timer and task allocation: nothing is kept alive by a cycle through a
/// waker (task -> socket -> reactor -> waker -> task).
#[test]
fn dropping_a_runtime_with_waiting_tasks_frees_everything() {
    if util::ran_in_child("dropping_a_runtime_with_waiting_tasks_frees_everything") {
        return;
    }
    let with_waiting_tasks = || {
        let runtime = wakeful::Runtime::new().unwrap();
        runtime.block_on(async {
            let sockets = IdleSockets::new().await;
            // Detached: only the runtime holds them.
            let spawned = timeout(PATIENCE, sockets.spawn_waiting(1000)).await;
            drop(spawned.expect("the tasks never all ran"));
            assert_eq!(wakeful::stats().unwrap().tasks_alive, 1000);
        });
    };
    with_waiting_tasks(); // warm-up
    let baseline = usage();
    for _ in 0..5 {
        with_waiting_tasks();
    }
    assert_back_to(baseline, SLACK, "5 runtimes dropped with 1000 waiting tasks each");
}
