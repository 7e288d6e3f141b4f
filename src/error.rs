//! The errors a pool returns: [`Error`] from acquiring, [`BuildError`] from
//! building with settings that cannot work.

use std::fmt;

/// Why a pool could not hand out a resource.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use zeropool::{Error, Manager, Pool, StackPool};
/// # struct Unit;
/// # impl Manager for Unit {
/// #     type Resource = ();
/// #     type Error = std::convert::Infallible;
/// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
/// # }
///
/// let pool = StackPool::builder(Unit).max_size(1).build()?;
/// let held = pool.get()?;
/// let second = pool.get_timeout(Duration::from_millis(1));
/// assert!(matches!(second, Err(Error::Timeout)));
/// drop(held);
/// pool.close();
/// assert!(matches!(pool.get(), Err(Error::Closed)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
// An 8-byte tag: in a `Result` with a guard it lies over the guard's pool
// handle or fills the padding after it, never over the resource, so moving
// the result copies the resource in aligned chunks (see `Lease` in
// src/lease.rs). The cost: an `Error` is at least 8 bytes.
#[non_exhaustive]
#[derive(Debug)]
#[repr(u64)]
pub enum Error<E> {
    /// No resource became available before the timeout passed.
    Timeout,
    /// The pool was closed.
    Closed,
    /// The manager failed to create a resource; this is its error.
    Create(E),
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout => f.write_str("timed out waiting for a pooled resource"),
            Error::Closed => f.write_str("the pool is closed"),
            Error::Create(error) => write!(f, "failed to create a pooled resource: {error}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Create(error) => Some(error),
            Error::Timeout | Error::Closed => None,
        }
    }
}

/// A pool setting that cannot work, named with the reason.
///
/// # Examples
///
/// ```
/// use zeropool::{Manager, StackPool};
/// # struct Unit;
/// # impl Manager for Unit {
/// #     type Resource = ();
/// #     type Error = std::convert::Infallible;
/// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
/// # }
///
/// let error = StackPool::builder(Unit).max_size(0).build().unwrap_err();
/// assert_eq!(error.option(), "max_size");
/// assert_eq!(error.to_string(), "invalid pool setting `max_size`: must be at least 1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    option: &'static str,
    reason: &'static str,
}

impl BuildError {
    pub(crate) fn new(option: &'static str, reason: &'static str) -> Self {
        Self { option, reason }
    }

    /// The builder option at fault, as its setter is named.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zeropool::{Manager, ChannelPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = ();
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// let error = ChannelPool::builder(Unit)
    ///     .acquire_timeout(std::time::Duration::ZERO)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(error.option(), "acquire_timeout");
    /// ```
    pub fn option(&self) -> &'static str {
        self.option
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid pool setting `{}`: {}", self.option, self.reason)
    }
}

impl std::error::Error for BuildError {}
