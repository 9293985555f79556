//! [`StreamMap`]: many streams read as one, each item tagged with its stream's key.
//!
//! Each entry has its own waker, which puts the entry's slot on a shared line of
//! woken entries and wakes the task reading the map. `poll_next` polls only the
//! entries on that line, in the order they were woken, so an item costs the same with
//! ten streams or ten thousand. An entry that yields goes to the back of the line (it
//! may have more), so no stream that is always ready starves the others. The line and
//! the entries' wakers are in `woken_line`.
//!
//! Keys are found through a hash index (`index`) from each key's hash to its slots,
//! so `insert`, `remove` and `contains_key` cost the same with ten streams or ten
//! thousand. Each entry keeps the hash it is filed under, so that an entry is taken
//! out of the index without hashing its key again (a stream that ends needs no
//! `K: Hash`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use futures_core::Stream;

mod index;
mod woken_line;

use index::Index;
use woken_line::{EntryWaker, WakeOnUnwind, WokenLine};

/// Many streams, each under a key, read as one stream of `(key, item)`; a stream
/// that ends is removed.
///
/// ```
/// use wakeful::stream::{self, StreamExt, StreamMap};
///
/// wakeful::block_on(async {
///     let mut map = StreamMap::new();
///     map.insert("a", stream::iter(vec![1, 2]));
///     map.insert("b", stream::iter(vec![3]));
///     let mut seen = Vec::new();
///     while let Some((key, n)) = map.next().await {
///         seen.push((key, n));
///     }
///     seen.sort();
///     assert_eq!(seen, [("a", 1), ("a", 2), ("b", 3)]);
///     assert!(map.is_empty(), "ended streams are removed");
/// });
/// ```
///
/// Differences from tokio_stream: entries are polled in the order they were woken,
/// not from a random start (see the [module docs](super)); a key is found through a
/// hash index, not by a scan of every entry; `iter`, `keys` and `values` take time
/// proportional to the largest size the map has had, not its length. `next_many` /
/// `poll_next_many` are not here.
pub struct StreamMap<K, V> {
    /// Entries by slot; `None` is a free slot (its number is on `free`).
    slots: Vec<Option<Entry<K, V>>>,
    free: Vec<usize>,
    len: usize,
    /// Bumped for each insert, so that a woken slot of an entry since removed (and
    /// maybe reused) is told apart from its new entry.
    generation: u64,
    line: Arc<WokenLine>,
    index: Index,
    /// Set by `iter_mut`, through which keys may change: the index may file some
    /// entries under their old keys' hashes until the next `insert` or `remove`
    /// files them all again; `contains_key` meanwhile compares every key.
    stale: bool,
}

struct Entry<K, V> {
    pair: (K, V),
    /// The hash the entry is filed under in the index.
    hash: u64,
    waker: Arc<EntryWaker>,
}

impl<K, V> StreamMap<K, V> {
    /// An empty map.
    pub fn new() -> StreamMap<K, V> {
        StreamMap::with_capacity(0)
    }

    /// An empty map with room for `capacity` streams.
    pub fn with_capacity(capacity: usize) -> StreamMap<K, V> {
        StreamMap {
            slots: Vec::with_capacity(capacity),
            free: Vec::new(),
            len: 0,
            generation: 0,
            line: Arc::default(),
            index: Index::with_capacity(capacity),
            stale: false,
        }
    }

    /// The `(key, stream)` pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.slots.iter().flatten().map(|entry| &entry.pair)
    }

    /// The pairs, with the streams mutable. Each stream is polled at the map's next
    /// poll: one replaced through these references has no waker registered yet.
    /// A key changed through these references is found under its new value (the
    /// next `insert` or `remove` hashes every key again); if two keys become equal,
    /// by-key operations find one of them.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut (K, V)> {
        self.stale = true;
        self.pairs_mut()
    }

    /// The pairs, mutable, each entry woken so that it is polled at the next poll.
    fn pairs_mut(&mut self) -> impl Iterator<Item = &mut (K, V)> {
        for entry in self.slots.iter().flatten() {
            entry.waker.wake_by_ref();
        }
        self.slots.iter_mut().flatten().map(|entry| &mut entry.pair)
    }

    /// The keys, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(key, _)| key)
    }

    /// The streams, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, value)| value)
    }

    /// The streams, mutable; each is polled at the map's next poll, as with `iter_mut`.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.pairs_mut().map(|(_, value)| value)
    }

    /// How many streams the map holds without reallocating.
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// The number of streams.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the map holds no stream.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every stream.
    pub fn clear(&mut self) {
        // The map is emptied before the streams are dropped: one whose drop panics
        // leaves an empty map, not one counting streams it no longer has.
        let capacity = self.slots.capacity();
        let slots = std::mem::replace(&mut self.slots, Vec::with_capacity(capacity));
        self.free.clear();
        self.len = 0;
        self.index.clear();
        self.stale = false;
        // Wakes still to come from the old entries find no slot of their generation.
        self.line.inner.lock().unwrap_or_else(PoisonError::into_inner).woken.clear();
        drop(slots);
    }

    /// Adds `stream` under `key`, returning the stream it replaces, if any. The new
    /// stream is polled at the map's next poll.
    pub fn insert(&mut self, key: K, stream: V) -> Option<V>
    where
        K: Hash + Eq,
    {
        self.refile();
        // The key's Hash and Eq run before anything changes: if one panics, the map
        // is as it was.
        let hash = self.index.hash(&key);
        let found = self.find(hash, &key);
        let old = found.map(|slot| self.take_slot(slot).pair.1);
        self.generation += 1;
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let waker = Arc::new(EntryWaker {
            slot,
            generation: self.generation,
            queued: AtomicBool::new(false),
            line: self.line.clone(),
        });
        self.slots[slot] = Some(Entry { pair: (key, stream), hash, waker: waker.clone() });
        self.index.add(hash, slot);
        self.len += 1;
        // On the line, as a new stream has not been polled yet. Last: this may wake
        // the reader, whose waker may panic, and the entry is in the map by then.
        waker.wake_by_ref();
        old
    }

    /// Removes the stream under `key` and returns it.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q> + Hash,
        Q: Hash + Eq + ?Sized,
    {
        self.refile();
        let slot = self.find(self.index.hash(key), key)?;
        Some(self.take_slot(slot).pair.1)
    }

    /// True if a stream is under `key`.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.stale {
            // Keys may have changed through `iter_mut`, and `&self` cannot refile them.
            true => self.keys().any(|k| k.borrow() == key),
            false => self.find(self.index.hash(key), key).is_some(),
        }
    }

    /// The slot holding `key`, among those filed under its hash.
    fn find<Q>(&self, hash: u64, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let holds = |slot: usize| self.slots[slot].as_ref().is_some_and(|e| e.pair.0.borrow() == key);
        self.index.slots(hash).iter().copied().find(|&slot| holds(slot))
    }

    /// Files every entry under its key's hash again if `iter_mut` may have changed
    /// keys. Every key is hashed before anything changes: a `Hash` that panics leaves
    /// the old filing, still stale.
    fn refile(&mut self)
    where
        K: Hash,
    {
        if !self.stale {
            return;
        }
        let filed: Vec<(u64, usize)> = (self.slots.iter().enumerate())
            .filter_map(|(slot, entry)| Some((self.index.hash(&entry.as_ref()?.pair.0), slot)))
            .collect();
        for &(hash, slot) in &filed {
            if let Some(entry) = self.slots[slot].as_mut() {
                entry.hash = hash;
            }
        }
        self.index.rebuild(filed);
        self.stale = false;
    }

    fn take_slot(&mut self, slot: usize) -> Entry<K, V> {
        let entry = self.slots[slot].take().expect("an occupied slot");
        self.index.remove(entry.hash, slot);
        self.free.push(slot);
        self.len -= 1;
        entry
    }
}

impl<K: Clone + Unpin, V: Stream + Unpin> StreamMap<K, V> {
    /// The next item of any stream, with the key of its stream; `None` when the map
    /// is empty. Streams that end are removed.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<Option<(K, V::Item)>> {
        // The reader's waker is stored before the line is read, so a wake that comes
        // after the line is found empty is not lost.
        let replaced = {
            let mut inner = self.line.inner.lock().unwrap_or_else(PoisonError::into_inner);
            match inner.reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                true => None,
                false => inner.reader.replace(cx.waker().clone()),
            }
        };
        // Outside the lock: the last copy of a waker may wake one of our entries as it
        // goes.
        drop(replaced);
        // Bounded by the line's length at the start: an entry that wakes itself while
        // polled goes to the back and waits for the next call.
        let mut budget = self.line.inner.lock().unwrap_or_else(PoisonError::into_inner).woken.len();
        while budget > 0 && self.len > 0 {
            budget -= 1;
            let next = self.line.inner.lock().unwrap_or_else(PoisonError::into_inner).woken.pop_front();
            let Some((slot, generation)) = next else { break };
            let Some(Some(entry)) = self.slots.get_mut(slot) else { continue };
            if entry.waker.generation != generation {
                continue; // woken after its entry was removed
            }
            // Off the line before the poll, so a wake during the poll puts it back.
            entry.waker.queued.store(false, Ordering::Release);
            let waker = Waker::from(entry.waker.clone());
            let unwinding = WakeOnUnwind(&waker);
            let polled = Pin::new(&mut entry.pair.1).poll_next(&mut Context::from_waker(&waker));
            drop(unwinding);
            match polled {
                Poll::Ready(Some(item)) => {
                    let key = entry.pair.0.clone();
                    // It may have more: to the back of the line, without waking the
                    // reader, which is running and will poll again if it wants more.
                    // Unless it woke itself during the poll: it is on the line already,
                    // and a second place would give it an extra turn at every item.
                    if !entry.waker.queued.swap(true, Ordering::AcqRel) {
                        let mut inner = self.line.inner.lock().unwrap_or_else(PoisonError::into_inner);
                        inner.woken.push_back((slot, generation));
                    }
                    return Poll::Ready(Some((key, item)));
                }
                Poll::Ready(None) => drop(self.take_slot(slot)),
                Poll::Pending => {}
            }
        }
        if self.len == 0 {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

impl<K, V> Default for StreamMap<K, V> {
    fn default() -> Self {
        StreamMap::new()
    }
}

impl<K: Clone + Unpin, V: Stream + Unpin> Stream for StreamMap<K, V> {
    type Item = (K, V::Item);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let mut low = 0usize;
        for (_, stream) in self.iter() {
            low = low.saturating_add(stream.size_hint().0);
        }
        (low, None)
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for StreamMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<K, V> Drop for StreamMap<K, V> {
    // A stream that keeps its entry's waker after the map is gone would otherwise
    // keep the reading task's waker alive through the shared line.
    fn drop(&mut self) {
        let reader = self.line.inner.lock().unwrap_or_else(PoisonError::into_inner).reader.take();
        drop(reader); // outside the lock: a waker's drop may wake another entry
    }
}
