//! Memory and file descriptors after many cancelled waits, aborted tasks, failed and
//! cancelled connects, failed binds: all must return to where they were.
//!
//! Memory is measured exactly, not through RSS: this test binary's global allocator
//! counts the bytes it has handed out and not yet got back. That count is
//! process-wide, and so are open fds, so every test runs alone in a child process
//! (`util::in_child`) where nothing else allocates or opens files meanwhile.
//!
//! Each measurement starts after a warm-up of the same work, so that one-time
//! allocations (thread-locals, the first growth of the runtime's tables) are in the
//! baseline; what may remain above it is bounded by [`SLACK`].

mod util;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use util::{run, run_ready_tasks, PATIENCE};
use wakeful::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use wakeful::time::{sleep, timeout};
use wakeful::{spawn, yield_now, JoinHandle};

/// Counts the bytes allocated and not yet freed, in [`LIVE_BYTES`].
struct CountingAllocator;

/// Bytes handed out by the allocator and not yet given back. Updated with wrapping
/// adds and subtracts, so a free seen before its allocation on another thread only
/// makes the value wrap for a moment.
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments, so `System`'s
// guarantees hold; the counting touches no memory of the allocation.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's obligations for `alloc` are passed on unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's obligations for `alloc_zeroed` are passed on unchanged.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (so by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; `new_size` is the
        // caller's, valid for `layout.align()`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// What may stay above the baseline: slack for tables that grew a little more (a
/// slab, a queue's capacity). A leak of one 16 KiB task per cycle would be 160 MiB.
const SLACK: usize = 1 << 20;

/// Live bytes and open fds at one moment.
#[derive(Clone, Copy, Debug)]
struct Usage {
    bytes: usize,
    fds: usize,
}

fn usage() -> Usage {
    // /proc on Linux, /dev/fd on the BSDs and macOS. The directory's own fd is counted
    // every time, so comparisons stay exact.
    let dir = if std::path::Path::new("/proc/self/fd").exists() { "/proc/self/fd" } else { "/dev/fd" };
    let fds = std::fs::read_dir(dir).expect("list the open fds").count();
    Usage { bytes: LIVE_BYTES.load(Ordering::SeqCst), fds }
}

/// Asserts that the fds are exactly those of `baseline`, and the live bytes at most
/// `slack` more.
fn assert_back_to(baseline: Usage, slack: usize, what: &str) {
    let now = usage();
    println!("{what}: {baseline:?} -> {now:?}");
    assert_eq!(now.fds, baseline.fds, "{what}: open fds changed ({baseline:?} -> {now:?})");
    let grown = now.bytes.saturating_sub(baseline.bytes);
    assert!(grown <= slack, "{what}: {grown} more bytes live than before ({baseline:?} -> {now:?})");
}

/// Runs `test` on a new runtime, with the fds and memory before the runtime was made
/// and after it was dropped compared as well.
fn run_measured<F: Future<Output = ()>>(what: &str, test: F) {
    let before = usage();
    run(test);
    assert_back_to(before, SLACK, &format!("{what}, once the runtime is dropped"));
}

// ---- Aborted tasks that held 16 KiB while they waited. ----

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

// ---- Failed and cancelled connects, failed binds, cheap cycles. ----

/// Operations of each kind in the tests below.
const OPERATIONS: usize = 1000;

/// What may stay above the baseline after [`OPERATIONS`] of them: tighter than
/// [`SLACK`], as these allocate no task. A waiter's place left behind by each
/// cancelled accept (a slot of some 24 bytes) must show; a correct run stays within a
/// few dozen bytes.
const OPERATION_SLACK: usize = 16 * OPERATIONS;

/// A port on 127.0.0.1 that refuses connections: bound, so no one else takes it, but
/// not listening, so a SYN to it is answered with a reset.
fn refusing_port() -> (TcpSocket, std::net::SocketAddr) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

#[test]
fn failed_connects_and_binds_leave_no_fd_or_memory() {
    if util::ran_in_child("failed_connects_and_binds_leave_no_fd_or_memory") {
        return;
    }
    run_measured("failures", async {
        let (_refusing, refusing) = refusing_port();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (tcp_in_use, udp_in_use) = (tcp.local_addr().unwrap(), udp.local_addr().unwrap());
        let fail_once = || async move {
            let refused = TcpStream::connect(refusing).await.unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused, "{refused}");
            let taken = TcpListener::bind(tcp_in_use).await.unwrap_err();
            assert_eq!(taken.kind(), io::ErrorKind::AddrInUse, "{taken}");
            let taken = UdpSocket::bind(udp_in_use).await.unwrap_err();
            assert_eq!(taken.kind(), io::ErrorKind::AddrInUse, "{taken}");
        };
        for _ in 0..10 {
            fail_once().await;
        }
        let baseline = usage();
        for _ in 0..OPERATIONS {
            fail_once().await;
        }
        assert_back_to(
            baseline,
            OPERATION_SLACK,
            &format!("{OPERATIONS} failed connects and 2 x {OPERATIONS} failed binds"),
        );
    });
}

#[test]
fn cancelled_connects_and_accepts_leave_no_fd_or_memory() {
    if util::ran_in_child("cancelled_connects_and_accepts_leave_no_fd_or_memory") {
        return;
    }
    run_measured("cancellations", async {
        // A full accept queue (backlog 0, one connection queued and never accepted):
        // the kernel drops further SYNs, so every connect below is still waiting when
        // its zero timeout cancels it.
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let full = socket.listen(0).unwrap();
        let _queued = std::net::TcpStream::connect(full.local_addr().unwrap()).unwrap();
        let idle = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = full.local_addr().unwrap();
        let cancel_once = || async {
            let connect = timeout(Duration::ZERO, TcpStream::connect(addr)).await;
            assert!(connect.is_err(), "a connect to a full backlog completed: {connect:?}");
            assert!(timeout(Duration::ZERO, idle.accept()).await.is_err(), "an idle listener accepted");
        };
        for _ in 0..10 {
            cancel_once().await;
        }
        let baseline = usage();
        for _ in 0..OPERATIONS {
            cancel_once().await;
        }
        assert_back_to(baseline, OPERATION_SLACK, &format!("{OPERATIONS} cancelled connects and accepts"));
    });
}

/// Cycles of the cheap spawn/abort test: about 1.2 s in a debug build.
const LIGHT_CYCLES: usize = 100_000;

#[test]
fn many_aborted_tasks_on_idle_sockets_leave_no_fd_or_memory() {
    if util::ran_in_child("many_aborted_tasks_on_idle_sockets_leave_no_fd_or_memory") {
        return;
    }
    run_measured("spawn/abort", async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let cycle = |i: usize| {
            let (listener, socket) = (listener.clone(), socket.clone());
            async move {
                let task = spawn(async move {
                    if i % 2 == 0 {
                        drop(listener.accept().await);
                    } else {
                        drop(socket.recv_from(&mut [0; 64]).await);
                    }
                });
                run_ready_tasks().await;
                task.abort();
                assert!(task.await.unwrap_err().is_cancelled(), "cycle {i}: the task finished by itself");
            }
        };
        for i in 0..100 {
            cycle(i).await;
        }
        let baseline = usage();
        for i in 0..LIGHT_CYCLES {
            cycle(i).await;
        }
        assert_back_to(
            baseline,
            SLACK,
            &format!("{LIGHT_CYCLES} tasks aborted while waiting on idle sockets"),
        );
    });
}
