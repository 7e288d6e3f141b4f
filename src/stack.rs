//! [`StackPool`]: the puddle-style backend, a mutex-guarded LIFO stack of
//! idle resources with a queue of waiters.
//!
//! LIFO hands out the most recently used resource first, so a few hot
//! resources stay hot (warm caches, live TCP windows) and surplus ones sit
//! idle long enough for an idle timeout to retire them.
//!
//! # Implementation notes
//!
//! The idle `Vec` lives inside the engine's lock, preallocated to `max_size`,
//! so a get is one lock, one pop, one unlock, and a release one lock, one push,
//! one unlock; neither ever reallocates.

use crate::shared::Store;

/// The stack backend's store: a `Vec` kept inside the pool's lock.
#[derive(Debug)]
pub(crate) struct StackStore;

impl<T: Send> Store<T> for StackStore {
    const UNLOCKED: bool = false;
    type Locked = Vec<T>;

    fn with_capacity(capacity: usize) -> (Self, Vec<T>) {
        (StackStore, Vec::with_capacity(capacity))
    }

    fn pop(&self, idle: &mut Vec<T>) -> Option<T> {
        idle.pop()
    }

    fn pop_oldest(&self, idle: &mut Vec<T>) -> Option<T> {
        (!idle.is_empty()).then(|| idle.remove(0))
    }

    fn push(&self, idle: &mut Vec<T>, item: T) -> Result<(), T> {
        if idle.len() == idle.capacity() {
            return Err(item);
        }
        idle.push(item);
        Ok(())
    }

    fn len(&self, idle: &Vec<T>) -> usize {
        idle.len()
    }

    #[inline]
    fn push_from(&self, idle: &mut Vec<T>, slot: &mut Option<T>) -> bool {
        if idle.len() == idle.capacity() {
            return false;
        }
        if let Some(item) = slot.take() {
            idle.push(item);
        }
        true
    }
}

crate::backend::backend! {
    store: StackStore,
    /// A pool that keeps idle resources on a LIFO stack behind a mutex.
    ///
    /// Cloning gives another handle to the same pool. Dropping the last
    /// handle drops the idle resources; an [`StackOwned`] guard keeps the pool
    /// alive until it is released.
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
    /// let pool = StackPool::builder(Numbers(0.into())).max_size(2).build()?;
    /// let (a, b) = (pool.get()?, pool.get()?);
    /// assert_eq!((*a, *b), (0, 1));
    /// drop(a);
    /// drop(b);
    /// assert_eq!(*pool.get()?, 1); // last in, first out
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pool: StackPool,
    /// A resource borrowed from a [`StackPool`]; returned when dropped.
    ///
    /// Dereferences to the resource. Dropped while its thread panics, it
    /// drops the resource instead of returning it.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{Manager, Pool, StackPool};
    /// # struct Text;
    /// # impl Manager for Text {
    /// #     type Resource = String;
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<String, Self::Error> { Ok(String::new()) }
    /// # }
    ///
    /// let pool = StackPool::builder(Text).build()?;
    /// let mut text = pool.get()?;
    /// text.push_str("kept");
    /// drop(text);
    /// assert_eq!(*pool.get()?, "kept");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    guard: StackGuard,
    /// A resource from a [`StackPool`] that owns a pool handle, so it can be
    /// sent to another thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{Manager, Pool, StackPool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = u8;
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<u8, Self::Error> { Ok(7) }
    /// # }
    ///
    /// let pool = StackPool::builder(Unit).build()?;
    /// let owned = pool.get_owned()?;
    /// let seen = std::thread::spawn(move || *owned).join().unwrap();
    /// assert_eq!(seen, 7);
    /// assert_eq!(pool.status().idle, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    owned: StackOwned,
}
