//! What an idle connection of `examples/echo_lean.rs` costs in heap bytes, counted by
//! this binary's global allocator: its task, its place in the reactor's tables, its
//! waker. BENCHMARKS.md ("Memory per connection") gives the RSS the same cost makes;
//! this test fails if the bytes per idle connection grow back (a wrapper future that
//! keeps the connection's future twice, a bigger `readable()` future, a waiter table
//! reserving room for several wakers...).
//!
//! The only test in its binary, and the allocator counts only the bytes allocated and
//! freed on the thread that asked for counting, so nothing else running skews it.

#[allow(dead_code)] // its `main` and `serve` are the example's, not the test's
#[path = "../examples/echo_lean.rs"]
mod echo_lean;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

struct Counting;

thread_local! {
    /// Live bytes allocated on this thread while `COUNTING` is set (freed ones
    /// subtracted). Const-initialized without a destructor: safe to touch from inside
    /// the allocator, since it never allocates.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count(delta: isize) {
    // `try_with`: a thread being torn down has no locals left; such bytes are not ours.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = LIVE.try_with(|live| live.set(live.get() + delta));
        }
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the counting
// around it neither allocates nor touches the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract for `realloc`, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Connections measured: with the warm-up, the listener and the runtime's own
/// sources, just under 256, so the tables that double (live tasks, reactor sources)
/// grow from their warm-up capacity to 256 places: each connection is charged one
/// place of each, as in a server whose tables are full.
const CONNS: usize = 240;
/// Accepted before counting starts: the runtime's first allocations are not a
/// connection's.
const WARM_UP: usize = 8;

#[test]
fn an_idle_connection_costs_at_most_400_heap_bytes() {
    let per_conn = wakeful::block_on(async {
        let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Rc::new(RefCell::new(vec![0; 64 * 1024]));
        // The clients connect from a thread of their own (whose allocations are not
        // counted) while this one accepts, so a backlog shorter than the connections
        // (`somaxconn` was 128 on older kernels) cannot stall them. They stay open
        // until the count is taken.
        let (done, wait_done) = std::sync::mpsc::channel::<()>();
        let clients = std::thread::spawn(move || {
            let clients: Vec<std::net::TcpStream> =
                (0..WARM_UP + CONNS).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
            let _ = wait_done.recv();
            drop(clients);
        });
        let accept_and_spawn = async |n: usize| {
            for _ in 0..n {
                let (stream, _) = listener.accept().await.unwrap();
                drop(wakeful::spawn(echo_lean::echo(stream, shared.clone())));
            }
            // The spawned tasks were queued before this one: one yield runs each of
            // them to its first `readable()`, where it stays (its client is silent).
            wakeful::yield_now().await;
        };
        accept_and_spawn(WARM_UP).await;
        COUNTING.with(|on| on.set(true));
        let before = LIVE.with(Cell::get);
        accept_and_spawn(CONNS).await;
        let after = LIVE.with(Cell::get);
        COUNTING.with(|on| on.set(false));
        drop(done);
        clients.join().expect("the client thread connects every client");
        (after - before) / CONNS as isize
    });
    println!("echo_lean: {per_conn} heap bytes per idle connection");
    // Measured 376: the task (header + future), the reactor's source slot (its waiter
    // places inline), the live-task list entry, each with the doubling tables' share.
    // 981 with the example and library as they were before issue 12's cuts, 405 with
    // the waiter tables as they were before their first place was kept inline.
    assert!(per_conn > 0, "nothing counted: is the allocator installed?");
    assert!(per_conn <= 400, "an idle echo_lean connection grew to {per_conn} heap bytes");
}
