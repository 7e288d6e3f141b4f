//! [`ChannelPool`]: the channel backend, idle resources in a bounded
//! crossbeam channel (FIFO), waiters in the engine's queue.
//!
//! FIFO hands out the resource idle longest, so use spreads evenly over all
//! resources: no connection sits unused long enough for a load balancer or a
//! server to drop it, and load spreads across the servers behind a pool.
//!
//! # Implementation notes
//!
//! The channel's capacity is `max_size`, so a push never fails. A get with no
//! one waiting and no close or starvation flag set is a lock-free `try_recv`;
//! a release with no one waiting is a lock-free `try_send`, then a `SeqCst`
//! read-modify-write of the engine's `signal`, which pairs with the one a
//! waiter makes to register (see the engine's notes). Only when
//! someone waits do gets and releases take the engine's lock.

use crate::shared::Store;
use crate::sync::Channel;

/// The channel backend's store: a bounded channel beside the pool's lock.
#[derive(Debug)]
pub(crate) struct ChannelStore<T>(Channel<T>);

impl<T: Send> Store<T> for ChannelStore<T> {
    const UNLOCKED: bool = true;
    type Locked = ();

    fn with_capacity(capacity: usize) -> Option<(Self, ())> {
        // The channel aborts if it cannot allocate its slots (each a stamp
        // beside the item): the same amount is tried, and freed, first.
        let mut probe: Vec<(usize, std::mem::MaybeUninit<T>)> = Vec::new();
        probe.try_reserve_exact(capacity).ok()?;
        drop(probe);
        Some((ChannelStore(Channel::bounded(capacity)), ()))
    }

    fn pop(&self, _: &mut ()) -> Option<T> {
        self.0.try_recv()
    }

    fn take_swept(&self, _: &mut ()) -> Option<T> {
        self.0.try_recv()
    }

    fn push(&self, _: &mut (), item: T) -> Result<(), T> {
        self.0.try_send(item)
    }

    fn len(&self, _: &()) -> usize {
        self.0.len()
    }

    fn try_pop_unlocked(&self) -> Option<T> {
        self.0.try_recv()
    }

    fn try_push_unlocked(&self, item: T) -> Result<(), T> {
        self.0.try_send(item)
    }
}

crate::backend::backend! {
    store: ChannelStore<crate::shared::Item<<M as crate::Manager>::Resource>>,
    /// A pool that keeps idle resources in a bounded crossbeam channel, first
    /// in, first out.
    ///
    /// Cloning gives another handle to the same pool. Dropping the last
    /// handle drops the idle resources; a [`ChannelOwned`] guard keeps the
    /// pool alive until it is released.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{ChannelPool, Manager, Pool};
    /// # struct Numbers(std::sync::atomic::AtomicU32);
    /// # impl Manager for Numbers {
    /// #     type Resource = u32;
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<u32, Self::Error> {
    /// #         Ok(self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    /// #     }
    /// # }
    ///
    /// let pool = ChannelPool::builder(Numbers(0.into())).max_size(2).build()?;
    /// let (a, b) = (pool.get()?, pool.get()?);
    /// assert_eq!((*a, *b), (0, 1));
    /// drop(a);
    /// drop(b);
    /// assert_eq!(*pool.get()?, 0); // first in, first out
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pool: ChannelPool,
    /// A resource borrowed from a [`ChannelPool`]; returned when dropped.
    ///
    /// Dereferences to the resource. Dropped while its thread panics, it
    /// drops the resource instead of returning it.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{ChannelPool, Manager, Pool};
    /// # struct Text;
    /// # impl Manager for Text {
    /// #     type Resource = String;
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<String, Self::Error> { Ok(String::new()) }
    /// # }
    ///
    /// let pool = ChannelPool::builder(Text).build()?;
    /// let mut text = pool.get()?;
    /// text.push_str("kept");
    /// drop(text);
    /// assert_eq!(*pool.get()?, "kept");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    guard: ChannelGuard,
    /// A resource from a [`ChannelPool`] that owns a pool handle, so it can
    /// be sent to another thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool::{ChannelPool, Manager, Pool};
    /// # struct Unit;
    /// # impl Manager for Unit {
    /// #     type Resource = u8;
    /// #     type Error = std::convert::Infallible;
    /// #     fn create(&self) -> Result<u8, Self::Error> { Ok(7) }
    /// # }
    ///
    /// let pool = ChannelPool::builder(Unit).build()?;
    /// let owned = pool.get_owned()?;
    /// let seen = std::thread::spawn(move || *owned).join().unwrap();
    /// assert_eq!(seen, 7);
    /// assert_eq!(pool.status().idle, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    owned: ChannelOwned,
}
