//! [`Builder`]: the settings of a pool, checked once by `build`.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use crate::BuildError;

/// Settings shared by every backend, validated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub(crate) max_size: usize,
    pub(crate) acquire_timeout: Duration,
}

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
    pool: PhantomData<fn() -> P>,
}

impl<M, P> Builder<M, P> {
    pub(crate) fn new(manager: M) -> Self {
        Self {
            manager,
            max_size: 10,
            acquire_timeout: Duration::from_secs(30),
            pool: PhantomData,
        }
    }

    /// The most resources alive at once, counting ones being created or
    /// dropped. Must be at least 1. Defaults to 10.
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

    /// Checks the settings and splits the builder into manager and config.
    pub(crate) fn into_parts(self) -> Result<(M, Config), BuildError> {
        if self.max_size == 0 {
            return Err(BuildError::new("max_size", "must be at least 1"));
        }
        if self.acquire_timeout.is_zero() {
            return Err(BuildError::new(
                "acquire_timeout",
                "must be longer than zero",
            ));
        }
        let config = Config {
            max_size: self.max_size,
            acquire_timeout: self.acquire_timeout,
        };
        Ok((self.manager, config))
    }
}

impl<M, P> fmt::Debug for Builder<M, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_size", &self.max_size)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish_non_exhaustive()
    }
}
