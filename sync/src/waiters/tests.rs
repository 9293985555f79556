//! The waiter queue on its own: order, removal, stale keys, slot reuse.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Wake;

fn order(list: &mut WaitList<u32>) -> Vec<u32> {
    let mut out = Vec::new();
    while let Some((value, _)) = list.pop_front() {
        out.push(*value);
    }
    out
}

#[test]
fn waiters_leave_in_arrival_order() {
    let mut list = WaitList::default();
    let keys: Vec<_> = (0..5).map(|i| list.push_back(i, None)).collect();
    assert_eq!(list.len(), 5);
    assert_eq!(order(&mut list), [0, 1, 2, 3, 4]);
    assert!(list.is_empty());
    for (i, key) in keys.into_iter().enumerate() {
        assert!(!list.is_queued(key), "dequeued");
        assert_eq!(list.remove(key).map(|(v, _)| v), Some(i as u32), "value kept until removed");
    }
}

#[test]
fn removal_from_the_middle_keeps_the_order_of_the_rest() {
    let mut list = WaitList::default();
    let keys: Vec<_> = (0..5).map(|i| list.push_back(i, None)).collect();
    list.remove(keys[2]);
    list.remove(keys[0]);
    list.remove(keys[4]);
    assert_eq!(order(&mut list), [1, 3]);
}

#[test]
fn a_stale_key_matches_nothing_even_when_its_slot_is_reused() {
    let mut list = WaitList::default();
    let old = list.push_back(1, None);
    assert!(list.remove(old).is_some());
    let new = list.push_back(2, None);
    assert!(list.remove(old).is_none(), "stale key");
    assert!(!list.is_queued(old));
    assert!(list.get_mut(old).is_none());
    assert_eq!(list.get_mut(new), Some(&mut 2));
}

struct Id(usize, Arc<AtomicUsize>);
impl Wake for Id {
    fn wake(self: Arc<Self>) {
        self.1.store(self.0, Ordering::SeqCst);
    }
}

fn waker(id: usize, last: &Arc<AtomicUsize>) -> Waker {
    Waker::from(Arc::new(Id(id, last.clone())))
}

#[test]
fn wakers_pop_in_arrival_order_around_removals() {
    let last = Arc::new(AtomicUsize::new(0));
    let mut list = WaitList::default();
    let keys: Vec<WaitKey> = (1..=5).map(|i| list.push_back((), Some(waker(i, &last)))).collect();
    assert!(list.remove(keys[0]).is_some());
    assert!(list.remove(keys[2]).is_some());
    assert!(list.remove(keys[4]).is_some());
    assert!(list.remove(keys[4]).is_none(), "a stale key removes nothing");
    let reused = list.push_back((), Some(waker(6, &last)));
    let mut order = Vec::new();
    while let Some(((), w)) = list.pop_front() {
        w.expect("pushed with a waker").wake();
        order.push(last.load(Ordering::SeqCst));
    }
    assert_eq!(order, [2, 4, 6]);
    assert!(!list.is_queued(reused) && list.is_empty());
}

/// `set_waker` with a clone at hand; returns the waker it replaced.
fn set_waker(list: &mut WaitList<()>, key: WaitKey, waker: &Waker) -> Option<Waker> {
    let mut slot = WakerSlot::cloned(waker);
    list.set_waker(key, &mut slot).expect("a clone was at hand");
    slot.replaced()
}

/// `requeue` with a clone at hand; returns the waker it replaced.
fn requeue(list: &mut WaitList<()>, key: &mut Option<WaitKey>, waker: &Waker) -> Option<Waker> {
    let mut slot = WakerSlot::cloned(waker);
    list.requeue(key, &mut slot).expect("a clone was at hand");
    slot.replaced()
}

#[test]
fn set_waker_stores_nothing_for_a_dequeued_key() {
    let last = Arc::new(AtomicUsize::new(0));
    let mut list = WaitList::default();
    let key = list.push_back((), Some(waker(1, &last)));
    assert!(set_waker(&mut list, key, &waker(2, &last)).is_some(), "another task's waker is replaced");
    assert_eq!(list.take_all().len(), 1);
    assert!(!list.is_queued(key));
    assert!(set_waker(&mut list, key, &waker(3, &last)).is_none(), "dequeued: nothing stored");
    assert_eq!(list.len(), 0);
    let removed = list.remove(key);
    assert!(matches!(removed, Some(((), None))), "the dequeued waiter keeps its slot, not its waker");
}

#[test]
fn storing_a_waker_asks_for_a_clone_only_when_the_stored_one_differs() {
    let last = Arc::new(AtomicUsize::new(0));
    let mut list = WaitList::default();
    let first = waker(1, &last);
    let key = list.push_back((), Some(first.clone()));
    let mut slot = WakerSlot::uncloned(&first);
    // Miri may give each use of the vtable its own address, so `will_wake` (pointer
    // equality) can miss there: a missed match costs a clone, never correctness.
    if !cfg!(miri) {
        assert!(list.set_waker(key, &mut slot).is_ok(), "the same task's waker: no clone needed");
    }
    let second = waker(2, &last);
    let mut slot = WakerSlot::uncloned(&second);
    assert!(list.set_waker(key, &mut slot).is_err(), "another task's waker needs a clone");
    let mut none = None;
    assert!(list.requeue(&mut none, &mut slot).is_err() && none.is_none(), "nothing queued without one");
    assert_eq!(list.len(), 1);
    with_waker(&second, |slot| list.set_waker(key, slot));
    list.take_all().into_iter().for_each(Waker::wake);
    assert_eq!(last.load(Ordering::SeqCst), 2, "the clone was stored");
}

#[test]
fn requeue_refreshes_a_queued_waiter_and_queues_a_dequeued_one_again() {
    let last = Arc::new(AtomicUsize::new(0));
    let mut list = WaitList::default();
    let mut key = None;
    assert!(requeue(&mut list, &mut key, &waker(1, &last)).is_none(), "first wait");
    let first = key.expect("queued");
    assert!(requeue(&mut list, &mut key, &waker(2, &last)).is_some(), "waker replaced");
    assert_eq!(key, Some(first), "same place in line");
    let other = list.push_back((), Some(waker(3, &last)));
    assert_eq!(list.take_all().len(), 2);
    requeue(&mut list, &mut key, &waker(4, &last));
    assert_ne!(key, Some(first), "the old key is stale");
    assert!(list.is_queued(key.expect("queued again")) && list.len() == 1);
    assert!(list.remove(other).is_some(), "the other dequeued waiter still owns its slot");
    assert_eq!(list.nodes.len(), 2, "the freed slot was reused");
}

#[test]
fn ten_thousand_waiters_that_give_up_reuse_one_slot() {
    let mut list = WaitList::default();
    // Fewer under Miri, which interprets every step; the point (one slot) is the same.
    for i in 0..if cfg!(miri) { 300 } else { 10_000 } {
        let key = list.push_back(i, None);
        list.remove(key);
    }
    assert_eq!(list.nodes.len(), 1);
    assert!(list.is_empty());
}
