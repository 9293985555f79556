//! `wakeful::stream::StreamMap`: fairness, removal while reading, ended streams,
//! 10 000 streams at a cost per item that does not grow with their number, a stream
//! that panics, and no waker left behind.

mod util;

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use util::CountingWaker;
use wakeful::stream::{self, Stream, StreamExt, StreamMap};
use wakeful::sync::mpsc;

/// A stream that counts how often it is polled.
struct Counted<S> {
    inner: S,
    polls: Rc<Cell<usize>>,
}

impl<S: Stream + Unpin> Stream for Counted<S> {
    type Item = S::Item;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.polls.set(self.polls.get() + 1);
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

#[test]
fn always_ready_streams_take_turns() {
    let mut map = StreamMap::new();
    for key in ["a", "b", "c"] {
        map.insert(key, stream::iter(0..));
    }
    let got = util::run(async { map.take(3000).collect::<Vec<_>>().await });
    for key in ["a", "b", "c"] {
        let count = got.iter().filter(|(k, _)| *k == key).count();
        assert_eq!(count, 1000, "key {key} got {count} of 3000 items: no key starves");
        let values: Vec<_> = got.iter().filter(|(k, _)| *k == key).map(|(_, v)| *v).collect();
        assert_eq!(values, (0..1000).collect::<Vec<_>>(), "each stream's order is kept");
    }
}

#[test]
fn ended_streams_are_removed_and_an_empty_map_ends() {
    util::run(async {
        let mut map = StreamMap::new();
        assert_eq!(map.next().await, None, "an empty map ends at once");
        map.insert(1, stream::iter(vec!['x']));
        map.insert(2, stream::iter(vec!['y', 'z']));
        let mut got = Vec::new();
        while let Some(item) = map.next().await {
            got.push(item);
        }
        got.sort();
        assert_eq!(got, [(1, 'x'), (2, 'y'), (2, 'z')]);
        assert_eq!(map.len(), 0);
        assert!(!map.contains_key(&1) && !map.contains_key(&2));
        // Usable again after it ended.
        map.insert(3, stream::iter(vec!['w']));
        assert_eq!(map.next().await, Some((3, 'w')));
    });
}

#[test]
fn removing_a_stream_while_reading_stops_its_items() {
    util::run(async {
        let mut map = StreamMap::new();
        let mut senders = Vec::new();
        for key in ["a", "b", "c"] {
            let (tx, rx) = mpsc::unbounded_channel::<u32>();
            senders.push(tx);
            map.insert(key, rx);
        }
        senders[1].send(1).unwrap();
        assert_eq!(map.next().await, Some(("b", 1)));
        // b woken again, then removed before the map looks: its wake is stale.
        senders[1].send(2).unwrap();
        let mut removed = map.remove("b").expect("b was there");
        assert!(map.remove("b").is_none());
        senders[2].send(3).unwrap();
        assert_eq!(map.next().await, Some(("c", 3)));
        assert_eq!(removed.recv().await, Some(2), "the removed stream keeps its items");
        // A new stream under a key, in the slot b left: the old wake must not poll it.
        let (tx, rx) = mpsc::unbounded_channel::<u32>();
        assert!(map.insert("d", rx).is_none());
        tx.send(4).unwrap();
        assert_eq!(map.next().await, Some(("d", 4)));
        // Replacing returns the old stream.
        let (_tx2, rx2) = mpsc::unbounded_channel::<u32>();
        assert!(map.insert("d", rx2).is_some());
        assert_eq!(map.len(), 3);
        let mut keys: Vec<_> = map.keys().copied().collect();
        keys.sort();
        assert_eq!(keys, ["a", "c", "d"]);
    });
}

#[test]
fn ten_thousand_streams_cost_the_same_per_item() {
    const N: usize = 10_000;
    let polls = Rc::new(Cell::new(0));
    let mut map = StreamMap::with_capacity(N);
    let mut senders = Vec::with_capacity(N);
    for key in 0..N {
        let (tx, rx) = mpsc::unbounded_channel::<usize>();
        senders.push(tx);
        map.insert(key, Counted { inner: rx, polls: polls.clone() });
    }
    let waker = CountingWaker::new();
    let mut cx = Context::from_waker(waker.waker());
    assert!(map.poll_next_entry(&mut cx).is_pending());
    assert_eq!(polls.get(), N, "each new stream is polled once");
    polls.set(0);
    // One item at a time, on a different stream each time: an item costs a poll or two,
    // not a poll of every stream (which would be 10^8 polls in all).
    for (key, tx) in senders.iter().enumerate().rev() {
        tx.send(key).unwrap();
        match map.poll_next_entry(&mut cx) {
            Poll::Ready(Some((k, v))) => assert_eq!((k, v), (key, key)),
            other => panic!("expected item {key}, got {other:?}"),
        }
        assert!(map.poll_next_entry(&mut cx).is_pending());
    }
    assert!(polls.get() <= 3 * N, "{} polls for {N} items", polls.get());
    assert!(waker.wakes() >= N, "each send woke the reader");
    drop(senders);
    assert!(matches!(map.poll_next_entry(&mut cx), Poll::Ready(None)), "every stream ended, so the map ends");
    assert_eq!(map.len(), 0);
    assert_eq!(polls.get(), 3 * N, "one more poll each to see its end");
}

struct Panics;

impl Stream for Panics {
    type Item = u32;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
        panic!("stream panics");
    }
}

#[test]
fn a_stream_that_panics_leaves_the_map_usable() {
    let mut map: StreamMap<&str, Pin<Box<dyn Stream<Item = u32>>>> = StreamMap::new();
    map.insert("bad", Box::pin(Panics));
    map.insert("good", Box::pin(stream::iter([7])));
    let waker = CountingWaker::new();
    let mut cx = Context::from_waker(waker.waker());
    let mut seen = Vec::new();
    for _ in 0..2 {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| map.poll_next_entry(&mut cx))) {
            Ok(Poll::Ready(Some(item))) => seen.push(item.1),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => seen.push(0),
        }
    }
    seen.sort();
    assert_eq!(seen, [0, 7], "one panic, one item, in some order");
    // The panicking stream is polled again (as tokio_stream's would), not forgotten.
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| map.poll_next_entry(&mut cx)));
    assert!(again.is_err(), "the stream that panicked is polled again");
    assert!(map.remove("bad").is_some());
    assert!(matches!(map.poll_next_entry(&mut cx), Poll::Ready(None)));
}

#[test]
fn dropping_the_map_leaves_no_waker_behind() {
    let waker = CountingWaker::new();
    let (tx, rx) = mpsc::unbounded_channel::<u32>();
    let mut map = StreamMap::new();
    map.insert(0, rx);
    let mut cx = Context::from_waker(waker.waker());
    assert!(map.poll_next_entry(&mut cx).is_pending());
    assert!(waker.held() >= 1, "the map keeps the reader's waker while it waits");
    tx.send(1).unwrap();
    assert_eq!(waker.wakes(), 1);
    drop(map);
    assert_eq!(waker.held(), 0, "no copy of the reader's waker outlives the map");
    assert!(tx.send(2).is_err(), "the stream was dropped with the map");
}

/// A stream whose waker, when dropped by the channel, wakes another entry: the map
/// must not hold its lock while a waker is dropped or woken.
#[test]
fn a_wake_from_inside_a_poll_does_not_deadlock() {
    struct WakesItself(u32);
    impl Stream for WakesItself {
        type Item = u32;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            if self.0 == 0 {
                return Poll::Ready(None);
            }
            if self.0 % 2 == 0 {
                self.0 -= 1;
                cx.waker().wake_by_ref(); // a yield: woken during its own poll
                return Poll::Pending;
            }
            self.0 -= 1;
            Poll::Ready(Some(self.0))
        }
    }
    let mut map = StreamMap::new();
    map.insert("x", WakesItself(6));
    let got: Vec<_> = util::run(map.collect());
    assert_eq!(got, [("x", 4), ("x", 2), ("x", 0)]);
}

/// A stream that wakes itself and then yields an item (as one that hands out a
/// buffered item and asks to be polled again does) is on the line once, not once
/// more per item: it gets no growing share of the turns, and the line does not grow.
#[test]
fn a_stream_that_wakes_itself_and_yields_gets_no_extra_turns() {
    struct WakesThenYields(u32);
    impl Stream for WakesThenYields {
        type Item = u32;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            cx.waker().wake_by_ref();
            self.0 += 1;
            Poll::Ready(Some(self.0))
        }
    }
    let mut map: StreamMap<&str, Pin<Box<dyn Stream<Item = u32>>>> = StreamMap::new();
    map.insert("eager", Box::pin(WakesThenYields(0)));
    map.insert("plain", Box::pin(stream::iter(1..)));
    let got = util::run(async { map.take(2000).collect::<Vec<_>>().await });
    let plain = got.iter().filter(|(k, _)| *k == "plain").count();
    assert!((999..=1001).contains(&plain), "the plain stream got {plain} of 2000 turns, not half");
}

/// The reader's previous waker, replaced when the map is polled from another task,
/// is dropped after the map's lock is released: its drop may wake an entry.
#[test]
fn a_reader_waker_whose_drop_wakes_an_entry_does_not_deadlock() {
    use std::sync::{mpsc as std_mpsc, Arc, Mutex};
    use std::task::{Wake, Waker};

    struct Stash(Arc<Mutex<Option<Waker>>>);
    impl Stream for Stash {
        type Item = ();
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
            *self.0.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
    /// A reader's waker that, when its last copy goes, wakes the stashed entry.
    struct WakesOnDrop(Arc<Mutex<Option<Waker>>>);
    impl Wake for WakesOnDrop {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for WakesOnDrop {
        fn drop(&mut self) {
            if let Some(waker) = self.0.lock().unwrap().take() {
                waker.wake();
            }
        }
    }
    let (done_tx, done_rx) = std_mpsc::channel();
    std::thread::spawn(move || {
        let stash = Arc::new(Mutex::new(None));
        let mut map = StreamMap::new();
        map.insert("a", Stash(stash.clone()));
        let first = Waker::from(Arc::new(WakesOnDrop(stash.clone())));
        assert!(map.poll_next_entry(&mut Context::from_waker(&first)).is_pending());
        drop(first); // the map holds the last copy now
        let second = CountingWaker::new();
        assert!(map.poll_next_entry(&mut Context::from_waker(second.waker())).is_pending());
        done_tx.send(second.wakes()).unwrap();
    });
    let wakes = done_rx.recv_timeout(util::PATIENCE).expect("polling from a second waker deadlocked");
    assert_eq!(wakes, 1, "the entry woken by the old waker's drop wakes the new reader");
}

/// A stream replaced in place through `iter_mut` (or changed through `values_mut`)
/// has never been polled and holds no waker: the map polls it at its next poll, as
/// tokio_stream's, which polls every entry, would.
#[test]
fn a_stream_replaced_through_iter_mut_is_polled() {
    let waker = CountingWaker::new();
    let mut cx = Context::from_waker(waker.waker());
    let mut map: StreamMap<&str, Pin<Box<dyn Stream<Item = u32>>>> = StreamMap::new();
    map.insert("a", Box::pin(stream::pending()));
    assert!(map.poll_next_entry(&mut cx).is_pending());
    for (_, stream) in map.iter_mut() {
        *stream = Box::pin(stream::iter([7]));
    }
    assert_eq!(map.poll_next_entry(&mut cx), Poll::Ready(Some(("a", 7))));
    for stream in map.values_mut() {
        *stream = Box::pin(stream::iter([8]));
    }
    assert_eq!(map.poll_next_entry(&mut cx), Poll::Ready(Some(("a", 8))));
}

/// A stream whose drop panics while `clear` drops them all leaves an empty, usable
/// map: not one that counts streams it no longer has, with free slots past its end.
#[test]
fn clear_with_a_stream_that_panics_in_drop_leaves_an_empty_map() {
    struct PanicsInDrop;
    impl Stream for PanicsInDrop {
        type Item = u32;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
            Poll::Pending
        }
    }
    impl Drop for PanicsInDrop {
        fn drop(&mut self) {
            panic!("a stream that panics in drop");
        }
    }
    let waker = CountingWaker::new();
    let mut cx = Context::from_waker(waker.waker());
    let mut map: StreamMap<u32, Pin<Box<dyn Stream<Item = u32>>>> = StreamMap::new();
    map.insert(0, Box::pin(stream::pending()));
    map.insert(1, Box::pin(PanicsInDrop));
    map.insert(2, Box::pin(stream::pending()));
    let cleared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| map.clear()));
    assert!(cleared.is_err(), "the panic reaches the caller");
    assert_eq!(map.len(), 0, "every stream was dropped");
    assert!(map.is_empty() && map.keys().next().is_none());
    assert_eq!(map.poll_next_entry(&mut cx), Poll::Ready(None), "an empty map ends");
    map.insert(3, Box::pin(stream::iter([9])));
    assert_eq!(map.poll_next_entry(&mut cx), Poll::Ready(Some((3, 9))), "usable again");
}

/// The same scenario on tokio_stream's `StreamMap`: the same items reach the reader,
/// a removed stream yields nothing more, a replaced one is returned, ended streams
/// leave, and an empty map ends.
#[test]
fn same_results_as_tokio_streams_map() {
    fn wakeful_run() -> (Vec<(u8, u32)>, Option<Vec<u32>>, usize) {
        util::run(async {
            let mut map = StreamMap::new();
            for key in 0..4u8 {
                map.insert(key, stream::iter((0..5).map(|n| n + u32::from(key) * 10).collect::<Vec<u32>>()));
            }
            let replaced = map.insert(3, stream::iter(vec![130, 131]));
            let old: Option<Vec<u32>> = match replaced {
                Some(old) => Some(old.collect().await),
                None => None,
            };
            let mut got = Vec::new();
            while let Some((key, n)) = map.next().await {
                got.push((key, n));
                if key == 1 {
                    map.remove(&1);
                }
            }
            got.sort();
            (got, old, map.len())
        })
    }
    fn tokio_run() -> (Vec<(u8, u32)>, Option<Vec<u32>>, usize) {
        use tokio_stream::StreamExt as TokioStreamExt;
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let mut map = tokio_stream::StreamMap::new();
            for key in 0..4u8 {
                map.insert(
                    key,
                    tokio_stream::iter((0..5).map(|n| n + u32::from(key) * 10).collect::<Vec<u32>>()),
                );
            }
            let replaced = map.insert(3, tokio_stream::iter(vec![130, 131]));
            let old: Option<Vec<u32>> = match replaced {
                Some(old) => Some(TokioStreamExt::collect(old).await),
                None => None,
            };
            let mut got = Vec::new();
            while let Some((key, n)) = TokioStreamExt::next(&mut map).await {
                got.push((key, n));
                if key == 1 {
                    map.remove(&1);
                }
            }
            got.sort();
            (got, old, map.len())
        })
    }
    let (wakeful, tokio) = (wakeful_run(), tokio_run());
    assert_eq!(wakeful, tokio);
    assert_eq!(wakeful.0.iter().filter(|(k, _)| *k == 1).count(), 1, "removed after its first item");
    assert_eq!(wakeful.1, Some(vec![30, 31, 32, 33, 34]));
}

thread_local! {
    /// `Eq` calls made by `CountedKey`s on this test's thread.
    static COMPARISONS: Cell<usize> = const { Cell::new(0) };
}

/// A key that counts its comparisons; `SAME_HASH` makes every key hash alike.
#[derive(Debug, Clone, Copy)]
struct CountedKey<const SAME_HASH: bool>(u32);

impl<const SAME_HASH: bool> PartialEq for CountedKey<SAME_HASH> {
    fn eq(&self, other: &Self) -> bool {
        COMPARISONS.with(|c| c.set(c.get() + 1));
        self.0 == other.0
    }
}

impl<const SAME_HASH: bool> Eq for CountedKey<SAME_HASH> {}

impl<const SAME_HASH: bool> std::hash::Hash for CountedKey<SAME_HASH> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u32(if SAME_HASH { 7 } else { self.0 });
    }
}

fn comparisons() -> usize {
    COMPARISONS.with(Cell::get)
}

/// 10 000 keys inserted, looked up, replaced and removed: each operation compares
/// about one key (a linear search would compare 5 000 on average, 10^8 in all).
#[test]
fn ten_thousand_keys_cost_about_one_comparison_per_operation() {
    const N: u32 = 10_000;
    let mut map = StreamMap::new();
    let start = comparisons();
    for key in 0..N {
        assert!(map.insert(CountedKey::<false>(key), stream::pending::<u32>()).is_none());
    }
    for key in 0..N {
        assert!(map.contains_key(&CountedKey(key)), "key {key} inserted");
        assert!(!map.contains_key(&CountedKey(key + N)), "key {} never inserted", key + N);
    }
    for key in 0..N {
        assert!(map.insert(CountedKey(key), stream::pending()).is_some(), "key {key} replaced");
    }
    for key in (0..N).step_by(2) {
        assert!(map.remove(&CountedKey(key)).is_some(), "key {key} removed");
        assert!(map.remove(&CountedKey(key)).is_none(), "key {key} removed twice");
    }
    assert_eq!(map.len(), N as usize / 2);
    for key in 0..N {
        assert_eq!(map.contains_key(&CountedKey(key)), key % 2 == 1, "key {key}");
    }
    let operations = 7 * N as usize;
    let compared = comparisons() - start;
    assert!(compared <= 2 * operations, "{compared} comparisons for {operations} operations");
}

/// Keys whose hashes all collide are still told apart (by `Eq`), whether they leave
/// by `remove`, by a replacing `insert` or because their stream ended.
#[test]
fn keys_whose_hashes_collide_still_work() {
    let waker = CountingWaker::new();
    let mut cx = Context::from_waker(waker.waker());
    let mut map: StreamMap<CountedKey<true>, Pin<Box<dyn Stream<Item = u32>>>> = StreamMap::new();
    for key in 0..50 {
        map.insert(CountedKey(key), Box::pin(stream::pending()));
    }
    // Keys 50..60 have one item and end.
    for key in 50..60 {
        map.insert(CountedKey(key), Box::pin(stream::iter([key])));
    }
    assert_eq!(map.len(), 60);
    let mut got = Vec::new();
    loop {
        match map.poll_next_entry(&mut cx) {
            Poll::Ready(Some((key, n))) => got.push((key.0, n)),
            Poll::Pending => break,
            Poll::Ready(None) => panic!("the map ended with 50 pending streams"),
        }
    }
    got.sort_unstable();
    assert_eq!(got, (50..60).map(|k| (k, k)).collect::<Vec<_>>());
    assert_eq!(map.len(), 50, "the ended streams left");
    for key in 0..60 {
        assert_eq!(map.contains_key(&CountedKey(key)), key < 50, "key {key}");
    }
    for key in (0..50).step_by(3) {
        assert!(map.remove(&CountedKey(key)).is_some(), "key {key}");
    }
    assert!(map.insert(CountedKey(1), Box::pin(stream::iter([100]))).is_some(), "1 was there");
    for key in 0..50 {
        assert_eq!(map.contains_key(&CountedKey(key)), key % 3 != 0, "key {key}");
    }
    assert_eq!(map.poll_next_entry(&mut cx), Poll::Ready(Some((CountedKey(1), 100))));
    assert!(map.poll_next_entry(&mut cx).is_pending());
    assert!(!map.contains_key(&CountedKey(1)), "1's new stream ended");
}

/// Keys changed through `iter_mut` are found under their new values, not their old
/// ones, by `contains_key` at once and by `remove` and `insert` after it.
#[test]
fn keys_changed_through_iter_mut_are_found_under_their_new_values() {
    let waker = CountingWaker::new();
    let mut cx = Context::from_waker(waker.waker());
    let mut map: StreamMap<String, Pin<Box<dyn Stream<Item = u32>>>> = StreamMap::new();
    for key in ["a", "b", "c"] {
        map.insert(key.to_string(), Box::pin(stream::pending()));
    }
    map.insert("ends".to_string(), Box::pin(stream::iter([5])));
    for (key, _) in map.iter_mut() {
        key.push('!');
    }
    assert!(map.contains_key("a!") && !map.contains_key("a"), "borrowed lookups see the change");
    // A stream that ends while the filing is stale leaves it consistent.
    assert_eq!(map.poll_next_entry(&mut cx), Poll::Ready(Some(("ends!".to_string(), 5))));
    assert!(map.poll_next_entry(&mut cx).is_pending());
    assert!(map.remove("b").is_none(), "b is b! now");
    assert!(map.remove("b!").is_some());
    assert!(map.insert("c!".to_string(), Box::pin(stream::iter([6]))).is_some(), "replaces c!");
    assert!(map.insert("a".to_string(), Box::pin(stream::pending())).is_none(), "a is free");
    let mut keys: Vec<_> = map.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["a", "a!", "c!"]);
    assert!(!map.contains_key("ends!") && !map.contains_key("b!"));
    assert_eq!(map.poll_next_entry(&mut cx), Poll::Ready(Some(("c!".to_string(), 6))));
}

/// A key whose `Hash` panics leaves the map as it was.
#[test]
fn a_key_whose_hash_panics_leaves_the_map_unchanged() {
    #[derive(PartialEq, Eq)]
    struct Key(u32);
    impl std::hash::Hash for Key {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            assert!(self.0 != 13, "a Hash that panics");
            self.0.hash(state);
        }
    }
    let mut map = StreamMap::new();
    map.insert(Key(1), stream::iter([1]));
    let inserted =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| map.insert(Key(13), stream::iter([2]))));
    assert!(inserted.is_err(), "the panic reaches the caller");
    assert_eq!(map.len(), 1);
    assert!(map.contains_key(&Key(1)) && map.remove(&Key(1)).is_some());
    assert!(map.is_empty() && map.keys().next().is_none());
}
