//! Memory and fds after failed and cancelled connects, failed binds, cancelled
//! accepts, and cheap spawn/abort cycles on idle sockets: all must return to where
//! they were. Measured by a counting allocator (`util::leak_check`), in child
//! processes.

mod util;

use std::io;
use std::rc::Rc;
use std::time::Duration;

use util::leak_check::{assert_back_to, run_measured, usage, CountingAllocator, SLACK};
use util::run_ready_tasks;
use wakeful::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use wakeful::spawn;
use wakeful::time::timeout;

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

/// Counts this binary's live bytes (see `util::leak_check`).
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

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
