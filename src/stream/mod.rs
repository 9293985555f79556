//! Streams: the `Stream` trait, [`StreamExt`]'s combinators, the constructors
//! [`iter`], [`once`], [`empty`] and [`pending`], [`StreamMap`] to read many streams
//! at once by key, and [`BroadcastStream`] to read a `broadcast::Receiver` as a
//! stream. tokio_stream's names, signatures and semantics, so that a port changes
//! `tokio_stream::` to `wakeful::stream::`.
//!
//! ```
//! use wakeful::stream::{self, StreamExt, StreamMap};
//!
//! wakeful::block_on(async {
//!     let evens = stream::iter([0, 2, 4]).map(|n| n * 10);
//!     let odds = stream::iter([1, 3]).filter(|n| *n > 1);
//!     let mut map = StreamMap::new();
//!     map.insert("evens", Box::pin(evens) as std::pin::Pin<Box<dyn stream::Stream<Item = i32>>>);
//!     map.insert("odds", Box::pin(odds));
//!     let mut got: Vec<(&str, i32)> = map.collect().await;
//!     got.sort();
//!     assert_eq!(got, [("evens", 0), ("evens", 20), ("evens", 40), ("odds", 3)]);
//! });
//! ```
//!
//! # Cancel safety
//!
//! As tokio_stream states: [`next`](StreamExt::next) and
//! [`try_next`](StreamExt::try_next) are cancel-safe (an item is taken only when the
//! future completes), and so is `StreamMap`'s `next()` (it is `StreamExt::next`);
//! [`collect`](StreamExt::collect) is not (the items gathered so far are lost).
//!
//! # Differences from tokio_stream
//!
//! - [`StreamMap`] polls only the streams that were woken (each entry has its own
//!   waker), in the order they were woken: the cost of an item does not grow with the
//!   number of streams, and no ready stream starves (a stream that yields goes to the
//!   back of the line). tokio_stream polls every stream from a random start on each
//!   call. Iteration order (`keys`, `iter`) is unspecified in both.
//! - [`collect`](StreamExt::collect) gathers into any `Default + Extend` collection;
//!   tokio_stream's sealed `FromStream` also collects `Result<C, E>` (stop at the
//!   first error): loop over [`try_next`](StreamExt::try_next) for that.
//! - [`timeout`](StreamExt::timeout) is tokio_stream's (one `Err(Elapsed)` at most
//!   between two items); `Elapsed` is this module's own type, as tokio_stream's is
//!   its own. A `Duration` too large for an `Instant` never elapses (tokio_stream's
//!   panics on the overflow).
//! - Not here: `throttle`, `chunks_timeout`, `timeout_repeating`, `all`, `any`,
//!   `fold`, `then`, `map_while`, `skip_while`, `step_by`, `peekable`, and the
//!   wrappers for types that implement `Stream` themselves in wakeful
//!   (`mpsc` receivers, `Lines`, `Split`, `Interval` need no wrapper).
//! - [`BroadcastStream`] allocates its waiting future once and reuses it for every
//!   item, as tokio_stream's, and needs `T: Clone + 'static`; there is no `Send` bound.

mod adapters;
mod broadcast;
mod chain_merge;
mod constructors;
mod ext;
mod stream_map;
mod timeout;

pub use adapters::{Filter, FilterMap, Fuse, Map, Skip, Take, TakeWhile};
pub use broadcast::{BroadcastStream, BroadcastStreamRecvError};
pub use chain_merge::{Chain, Merge};
pub use constructors::{empty, iter, once, pending, Empty, Iter, Once, Pending};
pub use ext::{Collect, Next, StreamExt, TryNext};
pub use futures_core::Stream;
pub use stream_map::StreamMap;
pub use timeout::{Elapsed, Timeout};
