//! [`Builder`]: the settings of a pool, checked once by `build`.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use crate::BuildError;

/// Settings shared by every backend, validated, defaults resolved.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub(crate) max_size: usize,
    pub(crate) acquire_timeout: Duration,
    pub(crate) min_idle: usize,
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) lifetime_jitter: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) maintenance_interval: Option<Duration>,
}

/// The largest `max_size`: the idle store is allocated up front, at build.
pub(crate) const MAX_SIZE_LIMIT: usize = 1 << 20;

/// The maintenance interval when a lifecycle option is set and no interval is.
const DEFAULT_MAINTENANCE_INTERVAL: Duration = Duration::from_secs(30);

/// Builds a pool of type `P` around a manager `M`.
///
/// Setters take and return the builder by value, so their order never
/// matters; `build` checks the settings and never creates a resource.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use zeropool::{ChannelPool, Manager, Pool};
/// # struct Unit;
/// # impl Manager for Unit {
/// #     type Resource = ();
/// #     type Error = std::convert::Infallible;
/// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
/// # }
///
/// let pool = ChannelPool::builder(Unit)
///     .max_size(16)
///     .acquire_timeout(Duration::from_secs(2))
///     .build()?;
/// assert_eq!(pool.status().max_size, 16);
/// # Ok::<(), zeropool::BuildError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<M, P> {
    pub(crate) manager: M,
    max_size: usize,
    acquire_timeout: Duration,
    min_idle: usize,
    max_lifetime: Option<Duration>,
    lifetime_jitter: Duration,
    idle_timeout: Option<Duration>,
    /// `None`: not set (resolved in `build`); `Some(None)`: no thread.
    maintenance_interval: Option<Option<Duration>>,
    pool: PhantomData<fn() -> P>,
}

impl<M, P> Builder<M, P> {
    pub(crate) fn new(manager: M) -> Self {
        Self {
            manager,
            max_size: 10,
            acquire_timeout: Duration::from_secs(30),
            min_idle: 0,
            max_lifetime: None,
            lifetime_jitter: Duration::ZERO,
            idle_timeout: None,
            maintenance_interval: None,
            pool: PhantomData,
        }
    }

    /// The most resources alive at once, counting ones being created or
    /// dropped. Must be at least 1 and at most 1,048,576: the idle store is
    /// allocated for `max_size` resources (a quarter more for
    /// [`StackPool`](crate::StackPool)) when the pool is built, so that
    /// nothing allocates later (a store too large for memory is a
    /// [`BuildError`]). Defaults to 10.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// let pool = StackPool::builder(Unit).max_size(2).build()?;
    /// assert_eq!(pool.status().max_size, 2);
    /// # Ok::<(), zeropool::BuildError>(())
    /// ```
    pub fn max_size(mut self, max_size: usize) -> Self {
        self.max_size = max_size;
        self
    }

    /// How long [`Pool::get`](crate::Pool::get) and
    /// [`Pool::get_owned`](crate::Pool::get_owned) wait. Must not be zero.
    /// Defaults to 30 seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use zeropool::{Error, Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// let pool = StackPool::builder(Unit)
    ///     .max_size(1)
    ///     .acquire_timeout(Duration::from_millis(5))
    ///     .build()?;
    /// let _held = pool.get()?;
    /// assert!(matches!(pool.get(), Err(Error::Timeout)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// The maintenance pass creates resources until this many are idle (never
    /// beyond `max_size`); `build` itself creates none. Must not exceed
    /// `max_size`. Defaults to 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// let pool = StackPool::builder(Unit)
    ///     .min_idle(2)
    ///     .maintenance_interval(None)
    ///     .build()?;
    /// pool.maintain();
    /// assert_eq!(pool.status().idle, 2);
    /// # Ok::<(), zeropool::BuildError>(())
    /// ```
    pub fn min_idle(mut self, min_idle: usize) -> Self {
        self.min_idle = min_idle;
        self
    }

    /// A resource older than this is never handed out again: it is dropped at
    /// checkout, at release, or by the maintenance pass. Must not be zero.
    /// Defaults to none.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// let pool = StackPool::builder(Unit)
    ///     .max_lifetime(Duration::from_millis(1))
    ///     .build()?;
    /// drop(pool.get()?);
    /// std::thread::sleep(Duration::from_millis(5));
    /// drop(pool.get()?); // the old one expired: a new one was created
    /// assert_eq!(pool.status().closed_expired, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = Some(lifetime);
        self
    }

    /// Each resource expires at `created + max_lifetime - r`, with `r` drawn
    /// once at creation, uniformly in `[0, jitter]`, so resources created
    /// together do not expire together. Needs `max_lifetime`, and must be
    /// shorter; zero means no jitter. Defaults to zero.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// let pool = StackPool::builder(Unit)
    ///     .max_lifetime(Duration::from_secs(1800))
    ///     .lifetime_jitter(Duration::from_secs(60))
    ///     .build()?;
    /// assert!(StackPool::builder(Unit).lifetime_jitter(Duration::from_secs(1)).build().is_err());
    /// # Ok::<(), zeropool::BuildError>(())
    /// ```
    pub fn lifetime_jitter(mut self, jitter: Duration) -> Self {
        self.lifetime_jitter = jitter;
        self
    }

    /// The maintenance pass drops a resource idle this long, but never takes
    /// idle below `min_idle`. Must not be zero. Defaults to none.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// let pool = StackPool::builder(Unit)
    ///     .idle_timeout(Duration::from_millis(1))
    ///     .maintenance_interval(None)
    ///     .build()?;
    /// drop(pool.get()?);
    /// std::thread::sleep(Duration::from_millis(5));
    /// pool.maintain();
    /// assert_eq!((pool.status().idle, pool.status().closed_idle), (0, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// How often a background thread runs [`Pool::maintain`](crate::Pool::maintain);
    /// `None`: no thread, call `maintain` yourself. The thread holds only a
    /// weak handle and ends when the pool is closed or dropped. Must not be
    /// zero. Defaults to 30 seconds when `min_idle`, `max_lifetime` or
    /// `idle_timeout` is set, else none.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// let pool = StackPool::builder(Unit)
    ///     .min_idle(1)
    ///     .maintenance_interval(Some(Duration::from_millis(5)))
    ///     .build()?;
    /// while pool.status().idle < 1 {
    ///     std::thread::sleep(Duration::from_millis(1));
    /// }
    /// # Ok::<(), zeropool::BuildError>(())
    /// ```
    pub fn maintenance_interval(mut self, interval: Option<Duration>) -> Self {
        self.maintenance_interval = Some(interval);
        self
    }

    /// Checks the settings and splits the builder into manager and config.
    pub(crate) fn into_parts(self) -> Result<(M, Config), BuildError> {
        let zero = |value: Option<Duration>| value.is_some_and(|value| value.is_zero());
        if self.max_size == 0 {
            return Err(BuildError::new("max_size", "must be at least 1"));
        }
        if self.max_size > MAX_SIZE_LIMIT {
            return Err(BuildError::new(
                "max_size",
                "must be at most 1048576 (the idle store is allocated up front)",
            ));
        }
        if self.acquire_timeout.is_zero() {
            return Err(BuildError::new(
                "acquire_timeout",
                "must be longer than zero",
            ));
        }
        if self.min_idle > self.max_size {
            return Err(BuildError::new("min_idle", "must not exceed max_size"));
        }
        if zero(self.max_lifetime) {
            return Err(BuildError::new("max_lifetime", "must be longer than zero"));
        }
        if zero(self.idle_timeout) {
            return Err(BuildError::new("idle_timeout", "must be longer than zero"));
        }
        if zero(self.maintenance_interval.flatten()) {
            return Err(BuildError::new(
                "maintenance_interval",
                "must be longer than zero (None turns the maintenance thread off)",
            ));
        }
        if !self.lifetime_jitter.is_zero() {
            match self.max_lifetime {
                None => return Err(BuildError::new("lifetime_jitter", "needs max_lifetime")),
                Some(lifetime) if self.lifetime_jitter >= lifetime => {
                    return Err(BuildError::new(
                        "lifetime_jitter",
                        "must be shorter than max_lifetime",
                    ))
                }
                Some(_) => {}
            }
        }
        let lifecycle =
            self.min_idle > 0 || self.max_lifetime.is_some() || self.idle_timeout.is_some();
        let maintenance_interval = self
            .maintenance_interval
            .unwrap_or(lifecycle.then_some(DEFAULT_MAINTENANCE_INTERVAL));
        let config = Config {
            max_size: self.max_size,
            acquire_timeout: self.acquire_timeout,
            min_idle: self.min_idle,
            max_lifetime: self.max_lifetime,
            lifetime_jitter: self.lifetime_jitter,
            idle_timeout: self.idle_timeout,
            maintenance_interval,
        };
        Ok((self.manager, config))
    }
}

impl<M, P> fmt::Debug for Builder<M, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_size", &self.max_size)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("min_idle", &self.min_idle)
            .field("max_lifetime", &self.max_lifetime)
            .field("lifetime_jitter", &self.lifetime_jitter)
            .field("idle_timeout", &self.idle_timeout)
            .field("maintenance_interval", &self.maintenance_interval)
            .finish_non_exhaustive()
    }
}
