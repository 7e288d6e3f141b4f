//! The [`Pool`] trait every backend implements, the [`Pooled`] operations of
//! its guards, and the [`Status`] snapshot.
//!
//! `Pool` has a generic associated guard type, so code written once over
//! `P: Pool` is compiled for each backend: no trait object and no boxed
//! guard stands between the caller and the resource.

use std::ops::DerefMut;
use std::time::Duration;

use crate::sync::Instant;

use crate::{Error, Manager};

/// The result of acquiring from a pool whose manager is `M`.
pub type GetResult<T, M> = Result<T, Error<<M as Manager>::Error>>;

/// A pool of resources made by a [`Manager`].
///
/// Implemented by [`StackPool`](crate::StackPool) and
/// [`ChannelPool`](crate::ChannelPool). The trait is not object-safe on
/// purpose: write generic code over `P: Pool` instead of boxing.
///
/// # Examples
///
/// ```
/// use zeropool::{ChannelPool, Manager, Pool, StackPool};
/// # struct Counter;
/// # impl Manager for Counter {
/// #     type Resource = u64;
/// #     type Error = std::convert::Infallible;
/// #     fn create(&self) -> Result<u64, Self::Error> { Ok(0) }
/// # }
///
/// // Written once, compiled for each backend.
/// fn bump<P: Pool<Manager = Counter>>(pool: &P) -> u64 {
///     let mut counter = pool.get().expect("pool is open");
///     *counter += 1;
///     *counter
/// }
///
/// let stack = StackPool::builder(Counter).max_size(1).build()?;
/// let channel = ChannelPool::builder(Counter).max_size(1).build()?;
/// assert_eq!((bump(&stack), bump(&stack)), (1, 2));
/// assert_eq!((bump(&channel), bump(&channel)), (1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Pool: Send + Sync {
    /// The manager that creates and checks the resources.
    type Manager: Manager;

    /// A guard that borrows the pool; no reference count is touched.
    type Guard<'a>: Pooled + DerefMut<Target = <Self::Manager as Manager>::Resource>
    where
        Self: 'a;

    /// A guard that owns a handle to the pool (`'static`): it can be moved to
    /// another thread, and keeps the pool alive until it is released.
    type Owned: Pooled + DerefMut<Target = <Self::Manager as Manager>::Resource> + Send + 'static;

    /// Acquires a resource, waiting up to the configured `acquire_timeout`.
    ///
    /// Takes an idle resource (after [`Manager::recycle`]) or, when none is
    /// idle and fewer than `max_size` exist, creates one on this thread.
    /// Otherwise waits for a release.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Closed`], or [`Error::Create`] with the
    /// manager's error, returned at once.
    fn get(&self) -> GetResult<Self::Guard<'_>, Self::Manager>;

    /// Like [`get`](Pool::get), waiting at most `timeout`.
    ///
    /// The deadline is checked before every wait, recycle and create; a single
    /// manager call already running is not interrupted.
    ///
    /// # Errors
    ///
    /// As [`get`](Pool::get).
    fn get_timeout(&self, timeout: Duration) -> GetResult<Self::Guard<'_>, Self::Manager>;

    /// Takes an idle resource if there is one. Never waits for another thread
    /// and never creates: `Ok(None)` when nothing is idle.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] after [`close`](Pool::close).
    fn try_get(&self) -> GetResult<Option<Self::Guard<'_>>, Self::Manager>;

    /// Like [`get`](Pool::get), returning a guard that owns a pool handle.
    ///
    /// # Errors
    ///
    /// As [`get`](Pool::get).
    fn get_owned(&self) -> GetResult<Self::Owned, Self::Manager>;

    /// A snapshot of the pool's counts.
    fn status(&self) -> Status;

    /// Closes the pool: waiting threads wake with [`Error::Closed`], idle
    /// resources are dropped, and resources released later are dropped.
    /// Idempotent.
    fn close(&self);

    /// Whether [`close`](Pool::close) was called.
    fn is_closed(&self) -> bool;

    /// One maintenance pass, on this thread: drops idle resources past their
    /// lifetime or idle timeout, then creates until `min_idle` are idle.
    /// After a failed create, further passes wait before creating again
    /// (10 ms, doubling to 5 s, reset by a success); a create that panics
    /// counts as failed. The drops are skipped while a
    /// [`retain`](Pool::retain) runs. Resources lent out are never touched. The
    /// maintenance thread, if configured, calls this, and goes on to the
    /// next pass after one that panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    ///
    /// let pool = StackPool::builder(Unit).min_idle(3).maintenance_interval(None).build()?;
    /// pool.maintain();
    /// assert_eq!(pool.status().idle, 3);
    /// # Ok::<(), zeropool::BuildError>(())
    /// ```
    fn maintain(&self);

    /// Creates resources on this thread until at least `n` are idle (stopping
    /// at `max_size`, which is not an error): pre-warms a pool before serving.
    ///
    /// # Errors
    ///
    /// The first create error, as [`Error::Create`]; [`Error::Closed`] after
    /// [`close`](Pool::close).
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    ///
    /// let pool = StackPool::builder(Unit).max_size(4).build()?;
    /// pool.fill(10)?; // stops at max_size
    /// assert_eq!(pool.status().idle, 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn fill(&self, n: usize) -> GetResult<(), Self::Manager>;

    /// Drops the idle resources for which `keep` returns false. `keep` runs
    /// outside the pool's lock, once on each resource idle when the call
    /// starts that a get does not take meanwhile. Calls run one at a time
    /// (a second waits for the first; a maintenance pass skips its sweep
    /// meanwhile), and `keep` must not call `retain` on the same pool: that
    /// panics instead of waiting for itself. As with a lock, a `keep` that
    /// waits for another thread's `retain` of this pool, or for a `retain`
    /// of a pool whose `keep` waits for this one, never returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{Manager, Pool, StackPool};
    /// # struct Numbers(std::sync::atomic::AtomicU32);
    /// # impl Manager for Numbers {
    /// #     type Resource = u32;
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<u32, Self::Error> {
    /// #         Ok(self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    /// #     }
    /// # }
    ///
    /// let pool = StackPool::builder(Numbers(0.into())).build()?;
    /// pool.fill(4)?;
    /// pool.retain(|n| *n % 2 == 0);
    /// assert_eq!(pool.status().idle, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn retain(&self, keep: impl FnMut(&mut <Self::Manager as Manager>::Resource) -> bool);

    /// Drops every idle resource now; resources lent out, and those being
    /// created when it runs, are dropped when released (or, from `fill` and
    /// maintenance, when their create returns) instead of being kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    ///
    /// let pool = StackPool::builder(Unit).build()?;
    /// pool.fill(2)?;
    /// let lent = pool.get()?;
    /// pool.reset();
    /// drop(lent);
    /// assert_eq!(pool.status().size, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn reset(&self);

    /// Closes the pool, then waits until every lent resource came back and
    /// was dropped. False if `timeout` passed first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    ///
    /// let pool = StackPool::builder(Unit).build()?;
    /// let lent = pool.get_owned()?;
    /// let releaser = std::thread::spawn(move || drop(lent));
    /// assert!(pool.close_and_wait(Duration::from_secs(10)));
    /// releaser.join().unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn close_and_wait(&self, timeout: Duration) -> bool;
}

/// What can be done with a guard besides using it: associated functions, so
/// they never shadow a method of the resource.
///
/// # Examples
///
/// ```
/// use zeropool::{Manager, Pool, Pooled, StackPool};
/// # struct Unit;
/// # impl Manager for Unit {
/// #     type Resource = String;
/// #     type Error = std::convert::Infallible;
/// #     fn create(&self) -> Result<String, Self::Error> { Ok("fresh".into()) }
/// # }
///
/// let pool = StackPool::builder(Unit).max_size(1).build()?;
/// let owned: String = Pooled::detach(pool.get()?);
/// assert_eq!(owned, "fresh");
/// assert_eq!(pool.status().size, 0); // its slot is free again
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Pooled: DerefMut + Sized {
    /// Drops the resource now instead of returning it, and frees its slot.
    fn discard(this: Self);

    /// Takes the resource out of the pool for good and frees its slot.
    fn detach(this: Self) -> Self::Target
    where
        Self::Target: Sized;

    /// How many times this resource was handed out, this time included: the
    /// first get of a new resource sees 1.
    fn uses(this: &Self) -> u64;

    /// When the resource was created.
    fn created_at(this: &Self) -> Instant;
}

/// A snapshot of a pool's counts and cumulative statistics.
///
/// `size` counts slots taken: resources alive, being created, or being
/// dropped. `idle + in_use <= size <= max_size` at every moment. The
/// cumulative counters never go down; when the pool is quiet,
/// `created == size + closed_broken + closed_expired + closed_idle +
/// discarded + detached`. Each dropped resource is counted once, in the first
/// class that fits.
///
/// # Examples
///
/// ```
/// use zeropool::{Manager, Pool, StackPool};
/// # struct Unit;
/// # impl Manager for Unit {
/// #     type Resource = ();
/// #     type Error = std::convert::Infallible;
/// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
/// # }
///
/// let pool = StackPool::builder(Unit).max_size(3).build()?;
/// let held = pool.get()?;
/// drop(pool.get()?);
/// let status = pool.status();
/// assert_eq!((status.max_size, status.size, status.idle, status.in_use), (3, 2, 1, 1));
/// # drop(held);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// The most resources the pool ever holds at once.
    pub max_size: usize,
    /// Slots taken: resources alive, being created, or being dropped.
    pub size: usize,
    /// Resources waiting in the pool to be handed out.
    pub idle: usize,
    /// Resources alive and out of the idle store: lent out through guards,
    /// and for a moment also those being checked (`recycle`, `retain`, a
    /// maintenance pass), being dropped, or handed to a waiter that has not
    /// picked them up yet.
    pub in_use: usize,
    /// Threads blocked in a get.
    pub waiting: usize,
    /// Gets served.
    pub gets: u64,
    /// Gets that blocked for another thread, whatever their outcome
    /// (creating into a free slot is not waiting).
    pub gets_waited: u64,
    /// Gets that timed out.
    pub gets_timed_out: u64,
    /// Total time gets spent blocked, timed-out waits included.
    pub wait_time: Duration,
    /// Resources created.
    pub created: u64,
    /// Creates that failed or panicked.
    pub create_failed: u64,
    /// Recycles that failed or panicked (their resources count in
    /// `closed_broken`).
    pub recycle_failed: u64,
    /// Resources dropped because `has_broken` said so, `recycle` failed, or
    /// they were released during a panic.
    pub closed_broken: u64,
    /// Resources dropped past their lifetime.
    pub closed_expired: u64,
    /// Resources dropped after the idle timeout.
    pub closed_idle: u64,
    /// Resources dropped by `Pooled::discard`, `retain`, `reset` or `close`.
    pub discarded: u64,
    /// Resources taken out by `Pooled::detach`.
    pub detached: u64,
}
