//! Accepting while the process is out of file descriptors, with several tasks on one
//! listener: nobody spins, nobody is stranded, everyone recovers. Each test runs in a
//! child process, since it lowers the process's descriptor limit.

mod util;

use std::cell::RefCell;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use util::{next, PATIENCE};
use wakeful::net::TcpListener;
use wakeful::time::timeout;

/// The process out of file descriptors: none can be made until this is dropped, which
/// frees the ballast and restores the limit.
struct Exhausted {
    ballast: Vec<File>,
    limit: u64,
}

impl Drop for Exhausted {
    fn drop(&mut self) {
        self.ballast.clear();
        util::set_fd_limit(self.limit);
    }
}

/// Lowers the descriptor limit to just above the highest open fd, then fills every
/// lower hole. How many holes there are depends on the environment (possibly only the
/// one `read_dir` left), so dropping the ballast alone may free too few descriptors
/// for every acceptor: the old limit comes back with it.
fn exhaust_descriptors() -> Exhausted {
    let highest = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .max()
        .unwrap();
    let limit = util::fd_limit();
    util::set_fd_limit((highest + 1) as u64);
    let mut ballast = Vec::new();
    while let Ok(file) = File::open("/dev/null") {
        ballast.push(file);
    }
    assert!(File::open("/dev/null").is_err(), "descriptors are exhausted");
    Exhausted { ballast, limit }
}

/// Three tasks each wait for one connection while `accept` fails with `EMFILE`. Each
/// must be woken when descriptors come back — including the first, whose back-off
/// timer another task's poll once replaced — and the waiting must not spin.
#[test]
fn several_acceptors_under_emfile_neither_spin_nor_strand_anyone() {
    const NAME: &str = "several_acceptors_under_emfile_neither_spin_nor_strand_anyone";
    if util::ran_in_child(NAME) {
        return;
    }
    const TASKS: usize = 3;
    let rt = wakeful::Runtime::new().unwrap();
    let listener = Rc::new(rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
    let addr = listener.local_addr().unwrap();
    // The kernel completes the handshakes: the connections wait in the backlog.
    let clients: Vec<_> = (0..TASKS + 2).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let ballast = exhaust_descriptors();

    let accepted = Rc::new(RefCell::new(Vec::new()));
    let acceptors: Vec<_> = (0..TASKS)
        .map(|task| {
            let (listener, accepted) = (listener.clone(), accepted.clone());
            rt.spawn(async move {
                let (stream, _) = listener.accept().await.expect("EMFILE is waited out, not returned");
                accepted.borrow_mut().push((task, stream.as_raw_fd()));
                stream // kept open, so its descriptor is not reused
            })
        })
        .collect();

    rt.block_on(async {
        // Every task is waiting, all failing with EMFILE: they back off, not spin.
        let turns_before = rt.stats().reactor_turns;
        wakeful::time::sleep(Duration::from_millis(200)).await;
        let turns = rt.stats().reactor_turns - turns_before;
        assert!(accepted.borrow().is_empty(), "nothing can be accepted without descriptors");
        assert!(turns < 100, "{turns} reactor turns in 200 ms: the acceptors spun");

        drop(ballast);
        let mut streams = Vec::new();
        for acceptor in acceptors {
            let stream = timeout(PATIENCE, acceptor)
                .await
                .expect("every acceptor is woken once descriptors are free")
                .unwrap();
            streams.push(stream);
        }
        let mut tasks: Vec<_> = accepted.borrow().iter().map(|&(task, _)| task).collect();
        tasks.sort_unstable();
        assert_eq!(tasks, (0..TASKS).collect::<Vec<_>>(), "each task accepted one connection");

        // The listener is healthy afterwards: the queued rest come through at once.
        for _ in TASKS..clients.len() {
            timeout(PATIENCE, listener.accept()).await.expect("accept after recovery").unwrap();
        }
    });
}

/// The `poll_accept` path (here through `Incoming`) recovers from `EMFILE` too.
#[test]
fn incoming_recovers_from_emfile() {
    const NAME: &str = "incoming_recovers_from_emfile";
    if util::ran_in_child(NAME) {
        return;
    }
    let rt = wakeful::Runtime::new().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let _clients: Vec<_> = (0..2).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let ballast = exhaust_descriptors();
    rt.block_on(async {
        let mut incoming = listener.incoming();
        let waited = timeout(Duration::from_millis(50), next(&mut incoming)).await;
        assert!(waited.is_err(), "nothing can be accepted without descriptors");
        drop(ballast);
        for _ in 0..2 {
            let conn = timeout(PATIENCE, next(&mut incoming)).await.expect("recovered").unwrap();
            conn.expect("a connection, not an error");
        }
    });
}
