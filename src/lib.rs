//! A resource pool whose acquire and release never allocate.
//!
//! zeropool pools costly objects (database connections, sockets, buffers)
//! behind one [`Pool`] trait with two backends:
//!
//! | backend | idle order | best for |
//! |---|---|---|
//! | [`StackPool`] | LIFO stack behind a mutex | keeping a few hot resources hot |
//! | [`ChannelPool`] | FIFO crossbeam channel | spreading use over every resource |
//!
//! The trait's guard is a generic associated type and each backend's guard is
//! a concrete struct, so code written over `P: Pool` is monomorphized: no
//! trait object, no boxed guard, and no allocation on any acquire or release
//! path once the pool has seen its peak number of waiters.
//!
//! # Quick start
//!
//! ```
//! use zeropool::{Manager, Pool, StackPool};
//!
//! struct Buffers;
//!
//! impl Manager for Buffers {
//!     type Resource = Vec<u8>;
//!     type Error = std::convert::Infallible;
//!
//!     fn create(&self) -> Result<Vec<u8>, Self::Error> {
//!         Ok(Vec::with_capacity(64 * 1024))
//!     }
//! }
//!
//! let pool = StackPool::builder(Buffers).max_size(8).build()?;
//! let mut buffer = pool.get()?; // created on first use
//! buffer.extend_from_slice(b"payload");
//! drop(buffer); // back to the pool
//! assert_eq!(pool.status().idle, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//!
//! - Never more than `max_size` resources exist, counting ones being created
//!   or dropped. Manager callbacks and resource drops run outside the pool's
//!   lock, and a panicking callback frees its slot without poisoning the pool.
//! - A failed `create` returns [`Error::Create`] at once to the caller that ran
//!   it. A released resource or a freed slot wakes one waiter.
//! - Gets may take a released resource ahead of older waiters only briefly:
//!   once the oldest waiter has waited more than 1 ms, released resources and
//!   freed slots go straight to it until the queue is served.
//! - [`Pool::close`] wakes waiters with [`Error::Closed`] and drops idle
//!   resources; a guard dropped while its thread panics drops its resource.

#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]

mod backend;
mod channel;
mod config;
mod error;
mod lease;
mod maintenance;
mod manager;
mod pool;
mod shared;
mod stack;
mod sync;
mod waiters;

pub use channel::{ChannelGuard, ChannelOwned, ChannelPool};
pub use config::Builder;
pub use error::{BuildError, Error};
pub use manager::Manager;
pub use pool::{GetResult, Pool, Pooled, Status};
pub use stack::{StackGuard, StackOwned, StackPool};

/// Internals exposed for the crate's own tests; not part of the API.
#[doc(hidden)]
pub mod __private {
    /// How many times the pool read the clock on this thread (debug builds).
    #[cfg(not(all(test, feature = "loom")))]
    pub fn clock_reads() -> u64 {
        crate::sync::clock_reads()
    }

    /// The size of the slot a guard keeps an `R` in, with its bookkeeping.
    pub const fn slot_size<R>() -> usize {
        std::mem::size_of::<Option<crate::shared::Item<R>>>()
    }

    /// The alignment of that slot.
    pub const fn slot_align<R>() -> usize {
        std::mem::align_of::<Option<crate::shared::Item<R>>>()
    }
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
mod proofs;

#[cfg(all(test, feature = "loom"))]
#[path = "../loom-tests/mod.rs"]
mod loom_tests;
