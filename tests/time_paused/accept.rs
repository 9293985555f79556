//! A listener's back-off after `EMFILE` runs on the paused clock. In a child process,
//! as it lowers the process's descriptor limit (the pattern of `tests/accept_emfile.rs`).

use std::cell::Cell;
use std::fs::File;
use std::rc::Rc;
use std::time::Duration;

use wakeful::net::TcpListener;
use wakeful::time::{self, Instant};

use super::{paused, util};

/// Lowers the descriptor limit to just above the highest open fd and fills every hole;
/// dropping the ballast and the old limit restores them.
fn exhaust_descriptors() -> (Vec<File>, u64) {
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
    (ballast, limit)
}

#[test]
fn accept_backs_off_by_the_paused_clock_through_emfile() {
    const NAME: &str = "accept::accept_backs_off_by_the_paused_clock_through_emfile";
    if util::ran_in_child(NAME) {
        return;
    }
    util::with_watchdog(|| {
        let rt = paused();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        // The kernel completes the handshake: the connection waits in the backlog.
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (ballast, limit) = exhaust_descriptors();
        let accepted = Rc::new(Cell::new(false));
        let acceptor = rt.spawn({
            let accepted = accepted.clone();
            async move {
                let (stream, _) = listener.accept().await.expect("EMFILE is waited out, not returned");
                accepted.set(true);
                (Instant::now(), stream)
            }
        });
        rt.block_on(async {
            let start = Instant::now();
            let before = rt.stats().clock_auto_advances;
            time::sleep(Duration::from_secs(10)).await;
            assert!(!accepted.get(), "nothing can be accepted without descriptors");
            assert_eq!(start.elapsed(), Duration::from_secs(10));
            // Pauses of 1, 2, 4 … 64 ms, then 100 ms each: about 105 retries in 10 s of
            // paused time, each after one jump of the clock — not one per wall-clock
            // pause, and no spinning.
            let jumps = rt.stats().clock_auto_advances - before;
            assert!((95..=115).contains(&jumps), "{jumps} clock jumps in 10 s of back-off");

            drop(ballast);
            util::set_fd_limit(limit);
            let released = Instant::now();
            let (accepted_at, _stream) = acceptor.await.unwrap();
            let waited = accepted_at - released;
            assert!(
                waited <= Duration::from_millis(100),
                "accepting resumed {waited:?} after, past one back-off"
            );
        });
    });
}
