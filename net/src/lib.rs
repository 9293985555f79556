//! wakeful's glue between the [executor](wakeful_executor) and the
//! [reactor](wakeful_reactor): the types async code uses to wait on the outside world.
//!
//! - [`time`]: `sleep`, `sleep_until`, backed by the reactor's timer wheel.
//! - [`context`]: how those types find the reactor of the current thread, and the
//!   executor's `Park` implemented by turning that reactor.
//!
//! Used outside a runtime, these types fail with a message saying so, never hang.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod context;
pub mod time;
