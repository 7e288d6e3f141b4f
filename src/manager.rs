//! The [`Manager`] trait: how a pool creates, checks and retires its resources.
//!
//! A pool owns one manager and calls it outside its lock, so a callback may be
//! slow, may block, and may even call back into the pool.

/// Creates and checks the resources a pool holds.
///
/// Only [`create`](Manager::create) is required. The pool calls every method
/// outside its lock; a method that panics frees the resource's slot, leaves
/// the pool usable, and the panic reaches the caller of the pool method.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use zeropool::{Manager, Pool, StackPool};
///
/// /// Hands out numbered buffers.
/// struct Buffers {
///     made: AtomicUsize,
/// }
///
/// impl Manager for Buffers {
///     type Resource = Vec<u8>;
///     type Error = std::convert::Infallible;
///
///     fn create(&self) -> Result<Vec<u8>, Self::Error> {
///         self.made.fetch_add(1, Ordering::Relaxed);
///         Ok(Vec::with_capacity(4096))
///     }
///
///     fn recycle(&self, buffer: &mut Vec<u8>) -> Result<(), Self::Error> {
///         buffer.clear();
///         Ok(())
///     }
/// }
///
/// let pool = StackPool::builder(Buffers { made: AtomicUsize::new(0) })
///     .max_size(4)
///     .build()?;
/// pool.get()?.extend_from_slice(b"hello");
/// assert!(pool.get()?.is_empty()); // recycled on the way out
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Manager: Send + Sync + 'static {
    /// The pooled resource: a connection, a socket, a buffer.
    type Resource: Send + 'static;
    /// The error `create` and `recycle` report.
    type Error: Send + 'static;

    /// Creates a new resource. Runs on the thread that asked the pool for one.
    ///
    /// # Errors
    ///
    /// The error is returned to that caller at once as
    /// [`Error::Create`](crate::Error::Create); the pool does not retry.
    fn create(&self) -> Result<Self::Resource, Self::Error>;

    /// Runs on an idle resource before it is handed out. Err: the resource is
    /// dropped and the get goes on. Defaults to accepting every resource.
    ///
    /// # Errors
    ///
    /// An error means the resource is unusable; the caller never sees it.
    fn recycle(&self, resource: &mut Self::Resource) -> Result<(), Self::Error> {
        let _ = resource;
        Ok(())
    }

    /// Runs when a guard is released. true: the resource is dropped instead
    /// of kept. Defaults to false.
    fn has_broken(&self, resource: &mut Self::Resource) -> bool {
        let _ = resource;
        false
    }
}
