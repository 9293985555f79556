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

#[test]
fn waiters_that_leave_do_not_stop_the_others_from_being_woken() {
    run(async {
        let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
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
