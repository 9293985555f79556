//! The key index of [`StreamMap`](super::StreamMap): each key's hash (std's
//! `RandomState`, one per map) to the slots whose keys have that hash. Keys are
//! compared with `Eq` only within a bucket, so a by-key operation costs a hash and,
//! on average, one comparison. The index holds no key, so keys need not be `Clone`.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

pub(super) struct Index {
    keys: RandomState,
    buckets: HashMap<u64, Bucket, BuildHasherDefault<AlreadyHashed>>,
}

/// The slots under one hash: almost always one, so that case needs no allocation.
enum Bucket {
    One(usize),
    Many(Vec<usize>),
}

impl Index {
    pub(super) fn with_capacity(capacity: usize) -> Index {
        Index {
            keys: RandomState::new(),
            buckets: HashMap::with_capacity_and_hasher(capacity, Default::default()),
        }
    }

    /// The hash a key is filed under. Runs the key's `Hash`, which may panic: callers
    /// hash before they change anything.
    pub(super) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.keys.hash_one(key)
    }

    /// The slots filed under `hash`, in no particular order.
    pub(super) fn slots(&self, hash: u64) -> &[usize] {
        match self.buckets.get(&hash) {
            None => &[],
            Some(Bucket::One(slot)) => std::slice::from_ref(slot),
            Some(Bucket::Many(slots)) => slots,
        }
    }

    pub(super) fn add(&mut self, hash: u64, slot: usize) {
        let Some(bucket) = self.buckets.get_mut(&hash) else {
            self.buckets.insert(hash, Bucket::One(slot));
            return;
        };
        match bucket {
            Bucket::One(first) => *bucket = Bucket::Many(vec![*first, slot]),
            Bucket::Many(slots) => slots.push(slot),
        }
    }

    /// Forgets `slot` under `hash`; nothing happens if it is not there.
    pub(super) fn remove(&mut self, hash: u64, slot: usize) {
        let Some(bucket) = self.buckets.get_mut(&hash) else { return };
        match bucket {
            Bucket::One(only) if *only == slot => {
                self.buckets.remove(&hash);
            }
            Bucket::One(_) => {}
            Bucket::Many(slots) => {
                if let Some(at) = slots.iter().position(|&s| s == slot) {
                    slots.swap_remove(at);
                }
                if let [last] = slots[..] {
                    *bucket = Bucket::One(last);
                }
            }
        }
    }

    /// Files every slot afresh: the hashes come from the caller.
    pub(super) fn rebuild(&mut self, filed: impl IntoIterator<Item = (u64, usize)>) {
        self.buckets.clear();
        for (hash, slot) in filed {
            self.add(hash, slot);
        }
    }

    pub(super) fn clear(&mut self) {
        self.buckets.clear();
    }
}

/// The index's own table is keyed by hashes that `RandomState` already spread: it
/// takes them as they are rather than hashing them a second time.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (the table's keys are u64); fold anything else in.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
