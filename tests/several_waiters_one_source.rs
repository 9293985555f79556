//! Several futures waiting on one direction of one socket: the reactor keeps the first
//! waiter's place inline and the others in a table it allocates only then
//! (`reactor/src/waiters.rs`). Whichever of them leaves — the inline one included —
//! the others are still woken, each exactly when data comes, and a new waiter takes a
//! freed place.

mod util;

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use util::run;

/// A connected pair on 127.0.0.1: the runtime's end, and a blocking client.
async fn connected() -> (wakeful::net::TcpStream, std::net::TcpStream) {
    let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    (stream, client)
}

#[test]
fn waiters_that_leave_do_not_stop_the_others_from_being_woken() {
    run(async {
        let (stream, mut client) = connected().await;
        let stream = Rc::new(stream);
        let woken = Rc::new(Cell::new(0));
        let spawn_waiter = || {
            let (stream, woken) = (stream.clone(), woken.clone());
            wakeful::spawn(async move {
                stream.readable().await.unwrap();
                woken.set(woken.get() + 1);
            })
        };
        // Four waiters: the first takes the inline place, the others the extra table.
        let waiters: Vec<_> = (0..4).map(|_| spawn_waiter()).collect();
        wakeful::yield_now().await; // each runs to its `readable()` and waits there
        assert_eq!(woken.get(), 0, "nothing was sent yet");
        // The inline place's waiter and one of the others leave.
        waiters[0].abort();
        waiters[2].abort();
        wakeful::yield_now().await;
        // A newcomer takes a freed place.
        let late = spawn_waiter();
        wakeful::yield_now().await;
        assert_eq!(woken.get(), 0);

        client.write_all(b"x").unwrap();
        let mut waiters = waiters.into_iter();
        let (first, second) = (waiters.next().unwrap(), waiters.next().unwrap());
        assert!(first.await.unwrap_err().is_cancelled());
        second.await.unwrap();
        assert!(waiters.next().unwrap().await.unwrap_err().is_cancelled());
        waiters.next().unwrap().await.unwrap();
        late.await.unwrap();
        assert_eq!(woken.get(), 3, "the three waiters still there, each woken once");
    });
}

/// A `readable()` future dropped at each `Pending`, polled by one waker and then
/// another (moved between polls), takes its waker with it each time, never more than
/// one held; and a wait that starts after readiness came finds it.
#[test]
fn a_readable_future_dropped_or_moved_at_each_pending_holds_one_waker_at_most() {
    run(async {
        let (stream, mut client) = connected().await;
        // Another waiter sits in the inline place, so the polled ones use the others.
        let (a, b) = (util::CountingWaker::new(), util::CountingWaker::new());
        let mut keeper = Box::pin(stream.readable());
        assert!(a.poll(keeper.as_mut()).is_pending());
        for round in 0..1000 {
            let mut fut = Box::pin(stream.readable());
            assert!(b.poll(fut.as_mut()).is_pending(), "round {round}");
            assert_eq!(b.held(), 1, "round {round}: one place, one waker");
            let mut moved = Box::new(fut); // moved between polls
            assert!(a.poll(moved.as_mut().as_mut()).is_pending());
            assert_eq!((a.held(), b.held()), (2, 0), "round {round}: replaced, not added");
            drop(moved);
            assert_eq!(a.held(), 1, "round {round}: the dropped future took its waker");
        }
        drop(keeper);
        assert_eq!(a.held(), 0);
        client.write_all(b"x").unwrap();
        // Readiness arrives while nobody waits; the next wait finds it.
        let mut fut = Box::pin(stream.readable());
        let mut turns = 0;
        while a.poll(fut.as_mut()).is_pending() {
            turns += 1;
            assert!(turns < 10_000, "the readiness was never seen");
            wakeful::yield_now().await; // lets the reactor turn
        }
        assert_eq!(a.held(), 0, "ready: nothing kept");
    });
}

/// Rounds of tasks waiting on one stream in both directions, with random aborts and
/// newcomers between the waits (so the inline place and the others are freed and
/// reused in every order): when the stream becomes readable, exactly the readers
/// still there finish; when it becomes writable, exactly the writers.
#[test]
fn readers_and_writers_with_aborts_and_newcomers_are_each_woken_once() {
    use std::io::Read;
    run(async {
        let (stream, mut client) = connected().await;
        let stream = Rc::new(stream);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..30 {
            // Fill the server's send buffer so that writers wait too.
            let chunk = vec![7u8; 64 * 1024];
            while stream.try_write(&chunk).is_ok() {}
            let done = Rc::new(Cell::new([0usize; 2]));
            let mut tasks = Vec::new(); // (direction, handle, aborted)
            for _ in 0..12 {
                if next(3) == 0 && !tasks.is_empty() {
                    let i = next(tasks.len() as u64) as usize;
                    let (_, handle, aborted): &mut (usize, wakeful::JoinHandle<()>, bool) = &mut tasks[i];
                    handle.abort();
                    *aborted = true;
                } else {
                    let dir = next(2) as usize;
                    let (stream, done) = (stream.clone(), done.clone());
                    let handle = wakeful::spawn(async move {
                        if dir == 0 { stream.readable().await } else { stream.writable().await }.unwrap();
                        let mut counts = done.get();
                        counts[dir] += 1;
                        done.set(counts);
                    });
                    tasks.push((dir, handle, false));
                }
                wakeful::yield_now().await; // each new task reaches its wait
            }
            assert_eq!(done.get(), [0, 0], "round {round}: woken before anything happened");
            let live = |dir: usize| tasks.iter().filter(|t| t.0 == dir && !t.2).count();
            let (readers, writers) = (live(0), live(1));
            client.write_all(b"r").unwrap();
            // Drain what the server sent: the writers' wait ends.
            client.set_nonblocking(true).unwrap();
            let mut sink = vec![0u8; 256 * 1024];
            let mut idle = 0;
            while done.get() != [readers, writers] {
                match client.read(&mut sink) {
                    Ok(_) => idle = 0,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => idle += 1,
                    Err(e) => panic!("round {round}: {e}"),
                }
                assert!(
                    idle < 100_000,
                    "round {round}: {:?} of {readers} readers, {writers} writers",
                    done.get()
                );
                wakeful::yield_now().await;
            }
            client.set_nonblocking(false).unwrap();
            for (dir, handle, aborted) in tasks {
                let result = handle.await;
                assert_eq!(result.is_err(), aborted, "round {round}: direction {dir}");
            }
            assert_eq!(done.get(), [readers, writers], "round {round}: woken more than once");
            // Take the byte back so that the next round starts unreadable.
            let mut one = [0u8; 1];
            assert_eq!(stream.try_read(&mut one).unwrap(), 1);
            assert!(stream.try_read(&mut one).is_err(), "round {round}: more than one byte");
        }
    });
}
