//! Accepting TCP connections: `incoming` as a stream, several tasks on one listener,
//! two listeners sharing a port, and accept recovering from descriptor exhaustion
//! (more of that in `accept_emfile.rs`).

mod util;

use std::io::{self};
use std::time::Duration;

use util::{next, run, PATIENCE};
use wakeful::net::{TcpListener, TcpSocket, TcpStream};
use wakeful::spawn;
use wakeful::time::timeout;

#[test]
fn incoming_is_a_stream_of_connections() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let clients: Vec<_> = (0..3).map(|_| spawn(TcpStream::connect(addr))).collect();
        let mut incoming = listener.incoming();
        for _ in 0..3 {
            next(&mut incoming).await.expect("the stream never ends")?;
        }
        for client in clients {
            client.await.unwrap()?;
        }
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn several_tasks_may_accept_on_one_listener() {
    run(async {
        let listener = std::rc::Rc::new(TcpListener::bind("127.0.0.1:0").await?);
        let addr = listener.local_addr()?;
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let listener = listener.clone();
                spawn(async move { listener.accept().await.map(|(_, peer)| peer) })
            })
            .collect();
        wakeful::yield_now().await; // both are waiting now
        let _clients = (TcpStream::connect(addr).await?, TcpStream::connect(addr).await?);
        for acceptor in acceptors {
            timeout(Duration::from_secs(5), acceptor).await.expect("every acceptor is woken").unwrap()?;
        }
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn reuseport_lets_two_listeners_share_a_port() {
    run(async {
        let first = TcpSocket::new_v4()?;
        first.set_reuseport(true)?;
        assert!(first.reuseport()?);
        first.bind("127.0.0.1:0".parse().unwrap())?;
        let addr = first.local_addr()?;
        let second = TcpSocket::new_v4()?;
        second.set_reuseport(true)?;
        second.bind(addr)?;
        let (a, b) = (first.listen(16)?, second.listen(16)?);
        assert_eq!(a.local_addr()?, b.local_addr()?);
        io::Result::Ok(())
    })
    .unwrap();
}

/// Accept survives running out of descriptors: it pauses instead of spinning or
/// failing, and takes the queued connections once descriptors are freed.
#[test]
fn accept_recovers_from_fd_exhaustion() {
    const NAME: &str = "accept_recovers_from_fd_exhaustion";
    if util::ran_in_child(NAME) {
        return;
    }
    let rt = wakeful::Runtime::new().unwrap();
    let (listener, clients) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Eight connections wait in the backlog (the kernel completes handshakes).
        let clients: Vec<_> = (0..8).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        (listener, clients)
    });
    // Room for only three more descriptors.
    let highest = clients.iter().map(std::os::fd::AsRawFd::as_raw_fd).max().unwrap();
    util::set_fd_limit((highest + 4) as u64);

    let accepted = rt.block_on(async {
        let mut held = Vec::new();
        // Accept until stuck: the limit stops it short of eight.
        while let Ok(conn) = timeout(Duration::from_millis(100), listener.accept()).await {
            held.push(conn.expect("accept returns no error during exhaustion").0);
        }
        let stuck_with = held.len();
        assert!(stuck_with < 8, "the descriptor limit stopped accept");
        // While stuck, accept backs off instead of spinning.
        let turns_before = rt.stats().reactor_turns;
        assert!(timeout(Duration::from_millis(100), listener.accept()).await.is_err());
        let turns = rt.stats().reactor_turns - turns_before;
        assert!(turns < 50, "{turns} reactor turns in 100 ms: accept spun instead of backing off");
        // Free the descriptors: the queued connections come through.
        held.clear();
        let mut accepted = stuck_with;
        while accepted < 8 {
            timeout(PATIENCE, listener.accept()).await.expect("accept recovered").unwrap();
            accepted += 1;
        }
        accepted
    });
    assert_eq!(accepted, 8, "every queued connection was accepted");
    drop(clients);
}
