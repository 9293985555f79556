//! One port, one listener per core: how the `--cores N` servers (`echo`, `http`)
//! start. Shared by those examples (`#[path]`), not an example itself.
//!
//! Every core binds its own `SO_REUSEPORT` listener to the same address, and the
//! kernel spreads new connections over them. With port 0 the first bind picks the
//! port, so core 0 binds first and sends the address it got to the other cores (a
//! `remote::oneshot` each); each binds to it and says so (a `remote::mpsc`), and core
//! 0's bind returns only when every core listens: a client that connects after the
//! server printed its address may land on any core.
//!
//! Linux and FreeBSD balance such listeners; macOS accepts `SO_REUSEPORT` but gives
//! every connection to one of them. There, the fallback documented in
//! `wakeful::cores` (one listener, each core accepting on its own `try_clone`) is the
//! one to use; these examples still run, on one busy core.

use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Mutex;
use std::task::Poll;

use wakeful::cores::{Builder, Core, ShutdownRequested};
use wakeful::net::TcpListener;
use wakeful::sync::remote::{mpsc, oneshot};

/// One core's part in the startup.
pub enum Ticket {
    /// Core 0: binds `addr`, tells the others the address, waits until they listen.
    First { addr: SocketAddr, others: Vec<oneshot::Sender<SocketAddr>>, bound: mpsc::Receiver<()> },
    /// Any other core: waits for the address, binds it, reports.
    Other { addr: oneshot::Receiver<SocketAddr>, bound: mpsc::Sender<()> },
}

/// The tickets of every core, each taken once by that core's factory.
pub struct Tickets(Mutex<Vec<Option<Ticket>>>);

impl Tickets {
    pub fn new(addr: SocketAddr, cores: usize) -> Tickets {
        let (bound_tx, bound_rx) = mpsc::channel(cores.max(1));
        let (senders, receivers): (Vec<_>, Vec<_>) = (1..cores).map(|_| oneshot::channel()).unzip();
        let mut tickets = vec![Some(Ticket::First { addr, others: senders, bound: bound_rx })];
        tickets
            .extend(receivers.into_iter().map(|addr| Some(Ticket::Other { addr, bound: bound_tx.clone() })));
        Tickets(Mutex::new(tickets))
    }

    /// Core `index`'s ticket (the factory runs once per core).
    pub fn take(&self, index: usize) -> Ticket {
        let mut tickets = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tickets[index].take().expect("one ticket per core")
    }
}

impl Ticket {
    /// [`bind`](Self::bind), unless the cores are asked to stop first: a core that
    /// could not start (no fds for its runtime) never takes its ticket, so the
    /// others would wait for it until the shutdown timeout dropped them.
    pub async fn bind_or_stop(self, stop: &mut ShutdownRequested) -> io::Result<TcpListener> {
        let mut bind = pin!(self.bind());
        poll_fn(|cx| match bind.as_mut().poll(cx) {
            Poll::Ready(bound) => Poll::Ready(bound),
            Poll::Pending => Pin::new(&mut *stop)
                .poll(cx)
                .map(|()| Err(knock_on("the cores were stopped before every core listened"))),
        })
        .await
    }

    /// This core's listener, once every core has one (core 0) or once its own is bound.
    pub async fn bind(self) -> io::Result<TcpListener> {
        match self {
            Ticket::First { addr, others, mut bound } => {
                let listener = TcpListener::bind_reuseport(addr)?;
                let addr = listener.local_addr()?;
                let expected = others.len();
                for other in others {
                    let _ = other.send(addr); // a core that is gone reports itself
                }
                for _ in 0..expected {
                    // `None`: every other core is done and one never bound.
                    bound.recv().await.ok_or_else(|| knock_on("a core could not listen"))?;
                }
                Ok(listener)
            }
            Ticket::Other { addr, bound } => {
                let addr = addr.await.map_err(|_| knock_on("core 0 could not listen"))?;
                let listener = TcpListener::bind_reuseport(addr)?;
                let _ = bound.send(()).await;
                Ok(listener)
            }
        }
    }
}

/// The error of a core that stopped because another core failed: a consequence, not
/// the news (`Interrupted`, so that [`counts`] can tell).
fn knock_on(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, what)
}

/// Runs `serve` on `cores` runtimes made by `builder`, each core with its ticket to
/// listen on `addr`; a core whose `serve` fails stops the others. Returns each core's
/// count of accepted connections, or the error that explains a failure ([`counts`]).
pub fn run_cores<S, Fut>(builder: Builder, addr: SocketAddr, cores: usize, serve: S) -> io::Result<Vec<u64>>
where
    S: Fn(Core, Ticket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = io::Result<u64>> + 'static,
{
    let tickets = Tickets::new(addr, cores);
    let results = builder
        .cores(cores)
        .run(move |core| {
            let ticket = tickets.take(core.index());
            let handle = core.handle();
            let served = serve(core, ticket);
            async move {
                let served = served.await;
                if served.is_err() {
                    handle.shutdown(); // one core failed: stop the others too
                }
                served
            }
        })
        .map_err(|err| io::Error::other(err.to_string()))?;
    counts(results)
}

/// Each core's count of accepted connections; or, if a core failed, the error that
/// says why: the first that is not merely another core's failure felt (which core
/// fails first, and which notices, depends on timing).
fn counts(results: Vec<io::Result<u64>>) -> io::Result<Vec<u64>> {
    let knocked_on = |err: &io::Error| err.kind() == io::ErrorKind::Interrupted;
    let mut counts = Vec::with_capacity(results.len());
    let mut cause: Option<io::Error> = None;
    for result in results {
        match result {
            Ok(count) => counts.push(count),
            Err(err) => match &cause {
                Some(found) if !knocked_on(found) || knocked_on(&err) => {}
                _ => cause = Some(err),
            },
        }
    }
    cause.map_or(Ok(counts), Err)
}
