//! [`StackPool`]: the puddle-style backend, a mutex-guarded LIFO stack of
//! idle resources with a queue of waiters.
//!
//! LIFO hands out the most recently used resource first, so a few hot
//! resources stay hot (warm caches, live TCP windows) and surplus ones sit
//! idle long enough for an idle timeout to retire them.
//!
//! # Implementation notes
//!
//! The idle `Vec` lives inside the engine's lock, preallocated to a quarter
//! more than `max_size` (see [`Stack`]), so a get is one lock, one pop, one
//! unlock, and a release one lock, one push, one unlock; neither ever
//! reallocates, and a sweep takes each resource out in constant time.

use crate::shared::Store;

/// The stack backend's store: a [`Stack`] kept inside the pool's lock.
#[derive(Debug)]
pub(crate) struct StackStore;

/// Idle resources, oldest at the bottom. Gets and releases use the top; a
/// sweep takes the oldest from the bottom, leaving an empty slot there
/// instead of moving the others down. Empty slots exist only below every
/// resource, and are dropped in one move when a release finds the `Vec`
/// full; it has room for a quarter more than `max_size`, so that happens
/// at most once every `max_size / 4` sweep steps.
#[derive(Debug)]
pub(crate) struct Stack<T> {
    slots: Vec<Option<T>>,
    /// How many slots at the bottom are empty.
    taken: usize,
}

impl<T: Send> Store<T> for StackStore {
    const UNLOCKED: bool = false;
    type Locked = Stack<T>;

    fn with_capacity(capacity: usize) -> Option<(Self, Stack<T>)> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(capacity.checked_add(capacity.div_ceil(4))?)
            .ok()?;
        Some((StackStore, Stack { slots, taken: 0 }))
    }

    #[inline]
    fn pop(&self, idle: &mut Stack<T>) -> Option<T> {
        match idle.slots.pop() {
            Some(Some(item)) => Some(item),
            Some(None) => {
                // Only empty slots were left.
                idle.slots.clear();
                idle.taken = 0;
                None
            }
            None => None,
        }
    }

    #[inline]
    fn pop_into(&self, idle: &mut Stack<T>, slot: &mut Option<T>) -> bool {
        match idle.slots.pop() {
            Some(Some(item)) => {
                *slot = Some(item);
                true
            }
            Some(None) => {
                idle.slots.clear();
                idle.taken = 0;
                false
            }
            None => false,
        }
    }

    fn pop_oldest(&self, idle: &mut Stack<T>) -> Option<T> {
        let item = idle.slots.get_mut(idle.taken)?.take();
        idle.taken += 1;
        item
    }

    fn unpop_oldest(&self, idle: &mut Stack<T>, item: T) -> Result<(), T> {
        match idle.taken.checked_sub(1) {
            Some(below) => {
                idle.slots[below] = Some(item);
                idle.taken = below;
                Ok(())
            }
            None => Err(item),
        }
    }

    fn push(&self, idle: &mut Stack<T>, item: T) -> Result<(), T> {
        let mut slot = Some(item);
        match self.push_from(idle, &mut slot) {
            true => Ok(()),
            false => Err(slot.take().expect("left in the slot")),
        }
    }

    fn len(&self, idle: &Stack<T>) -> usize {
        idle.slots.len() - idle.taken
    }

    #[inline]
    fn push_from(&self, idle: &mut Stack<T>, slot: &mut Option<T>) -> bool {
        if idle.slots.len() == idle.slots.capacity() && !make_room(idle) {
            return false;
        }
        if let Some(item) = slot.take() {
            idle.slots.push(Some(item));
        }
        true
    }
}

/// Drops the empty slots at the bottom of a full stack. False if it had
/// none (never expected: idle resources never exceed `max_size`).
#[cold]
fn make_room<T>(idle: &mut Stack<T>) -> bool {
    if idle.taken == 0 {
        return false;
    }
    idle.slots.drain(..idle.taken);
    idle.taken = 0;
    true
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

#[cfg(test)]
mod tests {
    use super::{Stack, StackStore};
    use crate::shared::Store;

    fn filled(items: &[u32]) -> Stack<u32> {
        let (_, mut stack) = StackStore::with_capacity(items.len()).expect("small");
        for &item in items {
            StackStore.push(&mut stack, item).unwrap();
        }
        stack
    }

    /// Pops everything, top first.
    fn drained(stack: &mut Stack<u32>) -> Vec<u32> {
        std::iter::from_fn(|| StackStore.pop(stack)).collect()
    }

    #[test]
    fn a_sweep_round_keeps_the_order_and_never_reallocates() {
        let mut stack = filled(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let capacity = stack.slots.capacity();
        for _ in 0..3 {
            for _ in 0..8 {
                let oldest = StackStore.pop_oldest(&mut stack).unwrap();
                assert_eq!(StackStore.len(&stack), 7);
                StackStore.push(&mut stack, oldest).unwrap();
            }
        }
        assert_eq!(stack.slots.capacity(), capacity);
        assert_eq!(drained(&mut stack), [8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn empty_slots_at_the_bottom_are_not_resources() {
        let mut stack = filled(&[1, 2, 3]);
        assert_eq!(StackStore.pop_oldest(&mut stack), Some(1));
        assert_eq!(StackStore.pop_oldest(&mut stack), Some(2));
        assert_eq!(StackStore.len(&stack), 1);
        assert_eq!(StackStore.pop(&mut stack), Some(3));
        assert_eq!(StackStore.pop(&mut stack), None);
        assert_eq!(StackStore.pop_oldest(&mut stack), None);
        assert_eq!(StackStore.len(&stack), 0);
        // Full of resources again, with room made as needed.
        for item in 4..7 {
            StackStore.push(&mut stack, item).unwrap();
        }
        assert_eq!(StackStore.pop_oldest(&mut stack), Some(4));
        StackStore.push(&mut stack, 7).unwrap();
        assert_eq!(drained(&mut stack), [7, 6, 5]);
    }

    #[test]
    fn a_full_stack_refuses_a_push() {
        let mut stack = filled(&[1, 2, 3, 4]);
        let extra = stack.slots.capacity() - 4;
        for item in 0..extra {
            StackStore.push(&mut stack, 10 + item as u32).unwrap();
        }
        assert_eq!(StackStore.push(&mut stack, 99), Err(99));
    }
}
