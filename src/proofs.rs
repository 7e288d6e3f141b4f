//! Programs that must not compile, as `compile_fail` doctests: the borrow
//! checker and the trait system enforce zeropool's guarantees, and these
//! checks fail `cargo test` if a change ever lets one of the programs build.
//!
//! Each block names the error code it must fail with and says, in a
//! `// must not compile` comment, which line must be rejected. Stable rustdoc
//! checks that each block fails; it checks the error code too, so that a block
//! failing for another reason (a typo, a renamed method) is reported, only
//! with nightly features on: `RUSTC_BOOTSTRAP=1 cargo test --doc proofs`,
//! which CI runs. A passing block beside each rule shows what the rule still
//! allows.
//!
//! The module exists only under `cfg(doctest)`. The auto-trait and layout
//! guarantees are asserted in `tests/static_guarantees.rs`.
//!
//! # A guard cannot outlive its pool
//!
//! A borrowed guard holds `&` to its pool, so the pool must outlive it.
//!
//! ```compile_fail,E0597
//! # use zeropool::{Manager, Pool, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! // must not compile: the StackGuard escapes the block its pool is dropped in
//! let guard = {
//!     let pool = StackPool::builder(Unit).build().unwrap();
//!     pool.get().unwrap()
//! };
//! assert_eq!(*guard, 7);
//! ```
//!
//! ```compile_fail,E0597
//! # use zeropool::{ChannelPool, Manager, Pool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! // must not compile: the ChannelGuard escapes the block its pool is dropped in
//! let guard = {
//!     let pool = ChannelPool::builder(Unit).build().unwrap();
//!     pool.get().unwrap()
//! };
//! assert_eq!(*guard, 7);
//! ```
//!
//! An owned guard holds a pool handle instead, so it may outlive every other
//! handle:
//!
//! ```
//! # use zeropool::{ChannelPool, Manager, Pool, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let (stack, channel) = {
//!     let stack = StackPool::builder(Unit).build().unwrap();
//!     let channel = ChannelPool::builder(Unit).build().unwrap();
//!     (stack.get_owned().unwrap(), channel.get_owned().unwrap())
//! };
//! assert_eq!((*stack, *channel), (7, 7));
//! ```
//!
//! # A guard cannot be used after `detach` or `discard`
//!
//! [`Pooled::detach`](crate::Pooled::detach) and
//! [`Pooled::discard`](crate::Pooled::discard) take the guard by value.
//!
//! ```compile_fail,E0382
//! # use zeropool::{Manager, Pool, Pooled, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let pool = StackPool::builder(Unit).build().unwrap();
//! let guard = pool.get().unwrap();
//! let resource = Pooled::detach(guard);
//! // must not compile: the StackGuard was moved into `detach`
//! assert_eq!(*guard, resource);
//! ```
//!
//! ```compile_fail,E0382
//! # use zeropool::{ChannelPool, Manager, Pool, Pooled};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let pool = ChannelPool::builder(Unit).build().unwrap();
//! let guard = pool.get().unwrap();
//! let resource = Pooled::detach(guard);
//! // must not compile: the ChannelGuard was moved into `detach`
//! assert_eq!(*guard, resource);
//! ```
//!
//! ```compile_fail,E0382
//! # use zeropool::{Manager, Pool, Pooled, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let pool = StackPool::builder(Unit).build().unwrap();
//! let guard = pool.get_owned().unwrap();
//! Pooled::discard(guard);
//! // must not compile: the StackOwned was moved into `discard`
//! assert_eq!(*guard, 7);
//! ```
//!
//! ```compile_fail,E0382
//! # use zeropool::{ChannelPool, Manager, Pool, Pooled};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let pool = ChannelPool::builder(Unit).build().unwrap();
//! let guard = pool.get_owned().unwrap();
//! Pooled::discard(guard);
//! // must not compile: the ChannelOwned was moved into `discard`
//! assert_eq!(*guard, 7);
//! ```
//!
//! # A borrowed guard cannot go to a `'static` thread
//!
//! `std::thread::spawn` needs a `'static` closure; a borrowed guard is not.
//!
//! ```compile_fail,E0597
//! # use zeropool::{Manager, Pool, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let pool = StackPool::builder(Unit).build().unwrap();
//! let guard = pool.get().unwrap();
//! // must not compile: the StackGuard borrows `pool`, which is not 'static
//! let seen = std::thread::spawn(move || *guard).join().unwrap();
//! assert_eq!(seen, 7);
//! ```
//!
//! ```compile_fail,E0597
//! # use zeropool::{ChannelPool, Manager, Pool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let pool = ChannelPool::builder(Unit).build().unwrap();
//! let guard = pool.get().unwrap();
//! // must not compile: the ChannelGuard borrows `pool`, which is not 'static
//! let seen = std::thread::spawn(move || *guard).join().unwrap();
//! assert_eq!(seen, 7);
//! ```
//!
//! A scoped thread may take it, since the scope ends before the pool does
//! (and an owned guard may go to any thread, as its type's example shows):
//!
//! ```
//! # use zeropool::{ChannelPool, Manager, Pool, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! let stack = StackPool::builder(Unit).build().unwrap();
//! let channel = ChannelPool::builder(Unit).build().unwrap();
//! let (stack_guard, channel_guard) = (stack.get().unwrap(), channel.get().unwrap());
//! let seen = std::thread::scope(|scope| {
//!     let stack_seen = scope.spawn(move || *stack_guard);
//!     let channel_seen = scope.spawn(move || *channel_guard);
//!     (stack_seen.join().unwrap(), channel_seen.join().unwrap())
//! });
//! assert_eq!(seen, (7, 7));
//! assert_eq!((stack.status().idle, channel.status().idle), (1, 1));
//! ```
//!
//! # No trait object
//!
//! [`Pool`](crate::Pool) has a generic associated guard type, which makes it
//! not object-safe (not dyn compatible): no `Box<dyn Pool>` can bring back
//! the allocation per acquire that a boxed guard costs.
//!
//! ```compile_fail,E0038
//! # use zeropool::{Manager, Pool, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! // must not compile: `Pool` cannot be made into a trait object
//! let pool: Box<dyn Pool<Manager = Unit>> = Box::new(StackPool::builder(Unit).build().unwrap());
//! ```
//!
//! Code written once for every backend is generic instead:
//!
//! ```
//! # use zeropool::{ChannelPool, Manager, Pool, StackPool};
//! # struct Unit;
//! # impl Manager for Unit {
//! #     type Resource = u64;
//! #     type Error = std::convert::Infallible;
//! #     fn create(&self) -> Result<u64, Self::Error> { Ok(7) }
//! # }
//! fn read<P: Pool<Manager = Unit>>(pool: &P) -> u64 {
//!     *pool.get().unwrap()
//! }
//! let stack = StackPool::builder(Unit).build().unwrap();
//! let channel = ChannelPool::builder(Unit).build().unwrap();
//! assert_eq!((read(&stack), read(&channel)), (7, 7));
//! ```
//!
//! # A `!Send` resource
//!
//! [`Manager::Resource`](crate::Manager::Resource) must be `Send + 'static`,
//! so no pool of `Rc`s can be declared, and every pool is `Send` and `Sync`.
//!
//! ```compile_fail,E0277
//! use std::rc::Rc;
//! use zeropool::Manager;
//!
//! struct Shared;
//!
//! // must not compile: `Rc<()>` is not `Send`
//! impl Manager for Shared {
//!     type Resource = Rc<()>;
//!     type Error = std::convert::Infallible;
//!     fn create(&self) -> Result<Rc<()>, Self::Error> { Ok(Rc::new(())) }
//! }
//! ```
//!
//! The same manager with `Arc` compiles:
//!
//! ```
//! use std::sync::Arc;
//! use zeropool::Manager;
//!
//! struct Shared;
//!
//! impl Manager for Shared {
//!     type Resource = Arc<()>;
//!     type Error = std::convert::Infallible;
//!     fn create(&self) -> Result<Arc<()>, Self::Error> { Ok(Arc::new(())) }
//! }
//! ```
