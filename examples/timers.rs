//! The ancestor's timer demo, as async/await: three tasks start together, sleep 3 s,
//! 1 s and 2 s, and end in the order 2, 3, 1 — about 3 s in all, not 6.
//!
//! ```text
//! cargo run --example timers               # real seconds
//! cargo run --example timers -- --scale 0.1  # ten times faster
//! ```
//!
//! In the generator loop each task did `yield TIMER, deadline`; here it awaits
//! `sleep`, and the reactor's timer wheel wakes it.

use std::time::{Duration, Instant};

use wakeful::time::sleep;

async fn task(id: u32, seconds: f64, scale: f64, start: Instant) {
    println!("Task {id} start: {:.2}", start.elapsed().as_secs_f64() / scale);
    sleep(Duration::from_secs_f64(seconds * scale)).await;
    println!("Task {id} end: {:.2}", start.elapsed().as_secs_f64() / scale);
}

fn main() {
    let scale = match parse_scale(std::env::args().skip(1)) {
        Ok(scale) => scale,
        Err(message) => {
            eprintln!("timers: {message}\nusage: timers [--scale FACTOR]  (FACTOR > 0, default 1)");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    wakeful::block_on(async move {
        let tasks =
            [(1, 3.0), (2, 1.0), (3, 2.0)].map(|(id, secs)| wakeful::spawn(task(id, secs, scale, start)));
        for task in tasks {
            task.await.expect("timer task failed");
        }
    });
    println!("Total: {:.2}", start.elapsed().as_secs_f64() / scale);
}

fn parse_scale(mut args: impl Iterator<Item = String>) -> Result<f64, String> {
    let mut scale: f64 = 1.0;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => {
                let value = args.next().ok_or("--scale needs a value")?;
                scale = value.parse().map_err(|_| format!("--scale: not a number: {value:?}"))?;
                if !(scale > 0.0 && scale.is_finite()) {
                    return Err(format!("--scale must be a positive number, got {value}"));
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(scale)
}
