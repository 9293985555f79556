//! `wakeful::stream`: the combinators, the constructors, `timeout`, and
//! `BroadcastStream` (lagging, closing, and giving its place up when dropped).

mod util;

use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use util::CountingWaker;
use wakeful::stream::{self, BroadcastStream, BroadcastStreamRecvError, Stream, StreamExt};
use wakeful::sync::{broadcast, mpsc};

#[test]
fn combinators_give_tokio_streams_results() {
    util::run(async {
        let got: Vec<i32> = stream::iter(1..=10)
            .map(|n| n * 2)
            .filter(|n| n % 3 != 0)
            .filter_map(|n| (n > 2).then_some(n + 1))
            .skip(1)
            .take(4)
            .collect()
            .await;
        assert_eq!(got, [9, 11, 15, 17]);
        let got: Vec<i32> = stream::iter([1, 2, 5, 1]).take_while(|n| *n < 3).collect().await;
        assert_eq!(got, [1, 2], "take_while ends at the first refusal");
        let got: Vec<i32> =
            stream::once(1).chain(stream::empty()).chain(stream::iter([2, 3])).collect().await;
        assert_eq!(got, [1, 2, 3]);
        let merged: Vec<i32> = stream::iter([1, 3, 5]).merge(stream::iter([2, 4, 6])).collect().await;
        assert_eq!(merged, [1, 2, 3, 4, 5, 6], "two ready streams take turns, self first");
        let mut results = stream::iter([Ok(1), Err("bad"), Ok(2)]);
        assert_eq!(results.try_next().await, Ok(Some(1)));
        assert_eq!(results.try_next().await, Err("bad"));
        assert_eq!(results.try_next().await, Ok(Some(2)));
        assert_eq!(results.try_next().await, Ok(None));
        assert_eq!(stream::iter(0..5).take(usize::MAX).size_hint(), (5, Some(5)));
        assert_eq!(stream::iter(0..5).skip(usize::MAX).collect::<Vec<_>>().await, Vec::<i32>::new());
        assert_eq!(stream::iter(0..5).take(0).size_hint(), (0, Some(0)));
    });
}

#[test]
fn fuse_never_polls_an_ended_stream_again() {
    util::run(async {
        let (tx, rx) = mpsc::unbounded_channel::<u8>();
        let mut fused = rx.fuse();
        drop(tx);
        assert_eq!(fused.next().await, None);
        assert_eq!(fused.next().await, None);
        assert_eq!(fused.size_hint(), (0, Some(0)));
    });
}

#[test]
fn pending_never_ends_and_next_is_cancel_safe() {
    let waker = CountingWaker::new();
    let mut never = stream::pending::<u8>();
    assert!(waker.poll(pin!(never.next())).is_pending());
    // A dropped `next()` loses nothing: the item sent afterwards is the next one read.
    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    for _ in 0..3 {
        assert!(waker.poll(pin!(rx.next())).is_pending());
    }
    // The receiver keeps one waker slot, as tokio's: dropped futures add no copies.
    assert!(waker.held() <= 1, "{} copies kept", waker.held());
    tx.send(9).unwrap();
    assert_eq!(waker.poll(pin!(rx.next())), Poll::Ready(Some(9)));
}

#[test]
fn timeout_yields_elapsed_and_goes_on() {
    util::run(async {
        let (tx, rx) = mpsc::unbounded_channel::<u8>();
        let mut timed = pin!(rx.timeout(Duration::from_millis(5)));
        assert!(timed.next().await.unwrap().is_err(), "no item within the period");
        // One error at most between two items: then it waits for the next item.
        let quiet = wakeful::time::timeout(Duration::from_millis(30), timed.next()).await;
        assert!(quiet.is_err(), "a second Elapsed without an item between: {quiet:?}");
        tx.send(1).unwrap();
        assert_eq!(timed.next().await, Some(Ok(1)));
        drop(tx);
        assert_eq!(timed.next().await, None);
        // Duration::MAX never elapses (and does not overflow).
        let mut forever = pin!(stream::iter([4]).timeout(Duration::MAX));
        assert_eq!(forever.next().await, Some(Ok(4)));
        assert_eq!(forever.next().await, None);
    });
}

#[test]
fn broadcast_stream_lags_then_ends() {
    util::run(async {
        let (tx, rx) = broadcast::channel(2);
        let mut stream = BroadcastStream::new(rx);
        let sender = wakeful::spawn(async move {
            for n in 0..5 {
                tx.send(n).unwrap();
            }
        });
        sender.await.unwrap();
        assert_eq!(stream.next().await, Some(Err(BroadcastStreamRecvError::Lagged(3))));
        assert_eq!(stream.next().await, Some(Ok(3)));
        assert_eq!(stream.next().await, Some(Ok(4)));
        assert_eq!(stream.next().await, None);
        assert_eq!(stream.next().await, None, "ended for good");
    });
}

#[test]
fn broadcast_stream_waits_and_gives_its_place_up_when_dropped() {
    let waker = CountingWaker::new();
    let (tx, rx) = broadcast::channel::<u8>(4);
    let mut stream = BroadcastStream::new(rx);
    assert!(waker.poll(pin!(stream.next())).is_pending());
    assert!(waker.held() >= 1, "a waiting stream holds the waker");
    tx.send(1).unwrap();
    assert_eq!(waker.wakes(), 1);
    assert_eq!(waker.poll(pin!(stream.next())), Poll::Ready(Some(Ok(1))));
    assert!(waker.poll(pin!(stream.next())).is_pending());
    drop(stream);
    assert_eq!(waker.held(), 0, "the dropped stream left the line of waiters");
    assert_eq!(tx.receiver_count(), 0);
}
