//! wakeful::cores and listeners: SO_REUSEPORT spreading connections over the cores,
//! one shared listener as the fallback, and one Ctrl-C ending every core.

mod util;

use std::io::Read;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{mpsc, Mutex};

use util::PATIENCE;
use wakeful::cores::{Builder, Core};
use wakeful::net::TcpListener;

/// Accepts until the shutdown signal, answering each connection with this core's
/// index; returns how many it accepted.
async fn serve_until_shutdown(core: &Core, listener: TcpListener) -> std::io::Result<usize> {
    let mut stop = pin!(core.shutdown_requested());
    let mut accepted = 0;
    loop {
        wakeful::select! {
            _ = &mut stop => return Ok(accepted),
            conn = listener.accept() => {
                let (mut stream, _) = conn?;
                accepted += 1;
                let index = core.index() as u8;
                wakeful::spawn(async move { stream.write_all(&[index]).await });
            }
        }
    }
}

/// Connects `count` clients from each of `threads` threads; returns how many
/// connections each core answered.
fn connect_clients(addr: SocketAddr, threads: usize, count: usize, cores: usize) -> Vec<usize> {
    let clients: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let mut served = vec![0; cores];
                for _ in 0..count {
                    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
                    stream.set_read_timeout(Some(PATIENCE)).unwrap();
                    let mut core = [0];
                    stream.read_exact(&mut core).expect("an answer from a core");
                    served[core[0] as usize] += 1;
                }
                served
            })
        })
        .collect();
    let mut served = vec![0; cores];
    for client in clients {
        for (total, n) in served.iter_mut().zip(client.join().unwrap()) {
            *total += n;
        }
    }
    served
}

#[cfg(any(target_os = "linux", target_os = "freebsd"))]
#[test]
fn with_reuseport_connections_from_many_clients_land_on_every_core() {
    const CORES: usize = 2;
    // Core 0 binds port 0 first and tells the others the port it got.
    let (addr_tx, addr_rx) = wakeful::sync::remote::oneshot::channel::<SocketAddr>();
    let addr_rx = Mutex::new(Some(addr_rx));
    let addr_tx = Mutex::new(Some(addr_tx));
    let (bound_tx, bound_rx) = mpsc::channel::<(usize, SocketAddr, wakeful::cores::Handle)>();
    let bound_tx = Mutex::new(bound_tx);
    let cores = Builder::new().cores(CORES).start(move |core| {
        let bound = bound_tx.lock().unwrap().clone();
        let (addr_tx, addr_rx) = if core.index() == 0 {
            (addr_tx.lock().unwrap().take(), None)
        } else {
            (None, addr_rx.lock().unwrap().take())
        };
        async move {
            let listener = match (addr_tx, addr_rx) {
                (Some(tx), _) => {
                    let listener = TcpListener::bind_reuseport("127.0.0.1:0".parse().unwrap())?;
                    tx.send(listener.local_addr()?).unwrap();
                    listener
                }
                (_, Some(rx)) => TcpListener::bind_reuseport(rx.await.unwrap())?,
                _ => unreachable!(),
            };
            bound.send((core.index(), listener.local_addr()?, core.handle())).unwrap();
            serve_until_shutdown(&core, listener).await
        }
    });
    let mut bound: Vec<_> =
        (0..CORES).map(|_| bound_rx.recv_timeout(PATIENCE).expect("every core bound")).collect();
    bound.sort_by_key(|(index, ..)| *index);
    let addr = bound[0].1;
    assert!(bound.iter().all(|(_, a, _)| *a == addr), "one port for all: {bound:?}");

    let served = connect_clients(addr, 4, 50, CORES);
    bound[0].2.shutdown();
    let accepted: Vec<usize> = cores.join().unwrap().into_iter().map(Result::unwrap).collect();

    assert_eq!(served.iter().sum::<usize>(), 200);
    assert_eq!(accepted, served, "each core's count matches what the clients saw");
    assert!(accepted.iter().all(|&n| n > 0), "every core accepted some: {accepted:?}");
}

#[test]
fn one_shared_listener_cloned_per_core_serves_every_connection() {
    // The macOS fallback, which works everywhere: one socket, a clone per core.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let clones = Mutex::new((0..2).map(|_| std_listener.try_clone().unwrap()).collect::<Vec<_>>());
    let (handle_tx, handle_rx) = mpsc::channel();
    let handle_tx = Mutex::new(handle_tx);
    let cores = Builder::new().cores(2).start(move |core| {
        let clone = clones.lock().unwrap().pop().unwrap();
        handle_tx.lock().unwrap().send(core.handle()).unwrap();
        async move {
            clone.set_nonblocking(true)?;
            serve_until_shutdown(&core, TcpListener::from_std(clone)?).await
        }
    });
    let handle = handle_rx.recv_timeout(PATIENCE).unwrap();
    let served = connect_clients(addr, 2, 25, 2);
    handle.shutdown();
    let accepted: Vec<usize> = cores.join().unwrap().into_iter().map(Result::unwrap).collect();
    assert_eq!(served.iter().sum::<usize>(), 50);
    assert_eq!(accepted, served);
}

#[test]
fn bind_reuseport_beside_a_plain_listener_fails_with_the_address_in_the_error() {
    util::run(async {
        let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = plain.local_addr().unwrap();
        let err = TcpListener::bind_reuseport(addr).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
        assert!(err.to_string().contains(&format!("bind_reuseport to {addr}")), "{err}");
    });
}

#[test]
fn bind_reuseport_outside_a_runtime_is_an_error_not_a_panic() {
    let err = TcpListener::bind_reuseport("127.0.0.1:0".parse().unwrap()).unwrap_err();
    assert!(err.to_string().contains("bind_reuseport"), "{err}");
}

#[test]
fn try_clone_accepts_from_the_same_queue_and_outlives_the_original() {
    util::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clone = listener.try_clone().unwrap();
        assert_ne!(std::os::fd::AsRawFd::as_raw_fd(&clone), std::os::fd::AsRawFd::as_raw_fd(&listener));
        drop(listener);
        let _client = wakeful::net::TcpStream::connect(addr).await.unwrap();
        let (_, peer) = clone.accept().await.unwrap();
        assert!(peer.ip().is_loopback());
    });
}

#[test]
fn one_ctrl_c_on_core_0_shuts_every_core_down() {
    if util::ran_in_child("one_ctrl_c_on_core_0_shuts_every_core_down") {
        return;
    }
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outputs = Builder::new().cores(3).run(|core| async move {
            if core.index() == 0 {
                let handle = core.handle();
                let listening = std::rc::Rc::new(std::cell::Cell::new(false));
                let flag = listening.clone();
                wakeful::spawn(async move {
                    flag.set(true); // set in the same poll that installs the handler
                    if wakeful::signal::ctrl_c().await.is_ok() {
                        handle.shutdown();
                    }
                });
                while !listening.get() {
                    wakeful::yield_now().await;
                }
                // SAFETY: kill with this process's own pid and a standard signal.
                assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGINT) }, 0);
            }
            core.shutdown_requested().await;
            core.index()
        });
        let _ = done_tx.send(outputs.map_err(|err| err.to_string()));
    });
    let outputs = done_rx.recv_timeout(PATIENCE).expect("every core ended after one Ctrl-C");
    assert_eq!(outputs.unwrap(), [0, 1, 2]);
}

/// Port 0 picked before `run`, as the module docs show: the pick must hold the port
/// until the cores have bound theirs. A probe listener dropped before `run` left it
/// free: anyone could take it in between (a plain listener: every core's bind then
/// fails; another `SO_REUSEPORT` server of this user: it silently shares the cores'
/// connections). A socket bound with `SO_REUSEPORT` but not listening holds it and
/// takes no connection.
#[cfg(target_os = "linux")]
#[test]
fn a_port_0_picked_before_run_is_held_until_the_cores_bind_and_takes_no_connection() {
    const CORES: usize = 2;
    let placeholder = wakeful::net::TcpSocket::new_v4().unwrap();
    // No SO_REUSEADDR: with it, any SO_REUSEADDR bind (std's, on Unix) could join
    // the port while it is not listening.
    placeholder.set_reuseport(true).unwrap();
    placeholder.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = placeholder.local_addr().unwrap();
    let intruder = std::net::TcpListener::bind(addr);
    assert!(
        intruder.is_err(),
        "the picked port {addr} was free for anyone to take before the cores bound it"
    );

    let (bound_tx, bound_rx) = mpsc::channel::<wakeful::cores::Handle>();
    let bound_tx = Mutex::new(bound_tx);
    let cores = Builder::new().cores(CORES).start(move |core| {
        let bound = bound_tx.lock().unwrap().clone();
        async move {
            let listener = TcpListener::bind_reuseport(addr)?;
            bound.send(core.handle()).unwrap();
            serve_until_shutdown(&core, listener).await
        }
    });
    let handles: Vec<_> =
        (0..CORES).map(|_| bound_rx.recv_timeout(PATIENCE).expect("every core bound")).collect();
    // Every connection reaches a core, none waits on the placeholder's (absent) queue.
    let served = connect_clients(addr, 2, 50, CORES);
    handles[0].shutdown();
    let accepted: Vec<usize> = cores.join().unwrap().into_iter().map(Result::unwrap).collect();
    drop(placeholder);
    assert_eq!(served.iter().sum::<usize>(), 100);
    assert_eq!(accepted, served);
}

/// Each core waits for Ctrl-C on its own runtime: one SIGINT must reach all.
#[test]
fn one_ctrl_c_reaches_a_ctrl_c_future_on_every_core() {
    const NAME: &str = "one_ctrl_c_reaches_a_ctrl_c_future_on_every_core";
    if util::ran_in_child(NAME) {
        return;
    }
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let ready = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let outputs = Builder::new().cores(3).run(move |core| {
            let ready = ready.clone();
            async move {
                let flag = ready.clone();
                let heard = wakeful::spawn(async move {
                    let mut ctrl_c = pin!(wakeful::signal::ctrl_c());
                    // Polled once (which installs the handler), then counted.
                    let first = std::future::poll_fn(|cx| {
                        std::task::Poll::Ready(std::future::Future::poll(ctrl_c.as_mut(), cx))
                    })
                    .await;
                    assert!(first.is_pending());
                    flag.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    ctrl_c.await.is_ok()
                });
                while ready.load(std::sync::atomic::Ordering::SeqCst) < core.cores() {
                    wakeful::yield_now().await;
                }
                if core.index() == 0 {
                    // SAFETY: kill with this process's own pid and a standard signal.
                    assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGINT) }, 0);
                }
                heard.await.unwrap()
            }
        });
        let _ = done_tx.send(outputs.map_err(|err| err.to_string()));
    });
    let outputs = done_rx.recv_timeout(PATIENCE).expect("every core heard the one Ctrl-C");
    assert_eq!(outputs.unwrap(), [true; 3]);
}
