//! A probe for instruction counts (callgrind), not a teaching example: `spawn N` runs
//! N spawn+join, `pingpong N` N round trips between two tasks (two polls and two
//! wakes each). Per operation = (Ir at N=110000 - Ir at N=10000) / 100000:
//!
//! ```text
//! cargo build --release -p wakeful-executor --example callgrind_probe
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/callgrind_probe pingpong 110000
//! ```
//!
//! It uses only what every version of the executor has, so the same file can be
//! copied into an older checkout to compare.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use wakeful_executor::{spawn, Runtime};

#[derive(Default)]
struct Signal {
    set: Cell<bool>,
    waiter: RefCell<Option<Waker>>,
}
impl Signal {
    fn notify(&self) {
        self.set.set(true);
        if let Some(w) = self.waiter.borrow_mut().take() {
            w.wake();
        }
    }
    async fn wait(&self) {
        poll_fn(|cx| {
            if self.set.replace(false) {
                Poll::Ready(())
            } else {
                *self.waiter.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args[2].parse().unwrap();
    let rt = Runtime::new();
    match args[1].as_str() {
        "spawn" => rt.block_on(async {
            for i in 0..n {
                let h = spawn(async move { i });
                std::hint::black_box(h.await.unwrap());
            }
        }),
        "pingpong" => rt.block_on(async {
            let (a, b) = (Rc::new(Signal::default()), Rc::new(Signal::default()));
            let (a2, b2) = (a.clone(), b.clone());
            let pong = spawn(async move {
                for _ in 0..n {
                    a2.wait().await;
                    b2.notify();
                }
            });
            let ping = spawn(async move {
                for _ in 0..n {
                    a.notify();
                    b.wait().await;
                }
            });
            ping.await.unwrap();
            pong.await.unwrap();
        }),
        _ => panic!("spawn|pingpong"),
    }
}
