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
//! reallocates. A sweep judges each resource where it lies, so the order
//! of the stack is kept, also for resources released meanwhile.

use crate::shared::Store;

/// The stack backend's store: a [`Stack`] kept inside the pool's lock.
#[derive(Debug)]
pub(crate) struct StackStore;

/// Idle resources, oldest at the bottom; gets and releases use the top.
///
/// A sweep walks up from the bottom with a cursor: it takes a resource out
/// for judging and leaves an empty slot (`None`) in its place, which the
/// resource fills again if kept, so the order never changes, whatever is
/// pushed or popped above meanwhile, unless gets pop the empty slot itself
/// (every resource above it was taken): then a kept one goes on top. A
/// dropped one leaves its slot empty. A pop skips empty slots; a push that
/// finds the `Vec` full removes them in one pass, keeping the slot of a
/// resource out for judging, which moves down with the others. The `Vec`
/// has room for a quarter more than `max_size` and idle resources never
/// exceed `max_size`, so that pass comes at most once every
/// `max_size / 4` drops and costs O(`max_size`).
#[derive(Debug)]
pub(crate) struct Stack<T> {
    slots: Vec<Option<T>>,
    /// How many slots are empty.
    empty: usize,
    /// Where the running sweep looks next.
    cursor: usize,
    /// The empty slot of the resource out for judging, if it can go back.
    out: Option<usize>,
}

impl<T> Stack<T> {
    /// Pops the top resource, skipping empty slots.
    #[inline]
    fn pop_top(&mut self) -> Option<T> {
        match self.slots.pop() {
            Some(Some(item)) => Some(item),
            Some(None) => self.pop_below_empty(),
            None => None,
        }
    }

    /// [`pop_top`](Self::pop_top) once an empty slot was popped: the empty
    /// slots below it go too. One popped that held the place of a resource
    /// out for judging sends that one to the top when kept (tracking how far
    /// the stack sinks afterwards would cost every pop).
    #[cold]
    #[inline(never)]
    fn pop_below_empty(&mut self) -> Option<T> {
        loop {
            self.empty -= 1;
            if self.out == Some(self.slots.len()) {
                self.out = None;
            }
            match self.slots.pop() {
                Some(Some(item)) => return Some(item),
                Some(None) => continue,
                None => return None,
            }
        }
    }

    /// Removes every empty slot but the one of a resource out for judging,
    /// which moves down with the others. False if none could go (never
    /// expected: with one out, at least two slots are empty when full).
    #[cold]
    fn compact(&mut self) -> bool {
        let reserved = usize::from(self.out.is_some());
        if self.empty == reserved {
            return false;
        }
        let (cursor, out) = (self.cursor.min(self.slots.len()), self.out);
        let (mut index, mut kept, mut below_cursor) = (0, 0, 0);
        self.slots.retain(|slot| {
            let keep = slot.is_some() || Some(index) == out;
            if keep {
                if Some(index) == out {
                    self.out = Some(kept);
                }
                below_cursor += usize::from(index < cursor);
                kept += 1;
            }
            index += 1;
            keep
        });
        self.cursor = below_cursor;
        self.empty = reserved;
        true
    }
}

impl<T: Send> Store<T> for StackStore {
    const UNLOCKED: bool = false;
    type Locked = Stack<T>;

    fn with_capacity(capacity: usize) -> Option<(Self, Stack<T>)> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(capacity.checked_add(capacity.div_ceil(4))?)
            .ok()?;
        let stack = Stack {
            slots,
            empty: 0,
            cursor: 0,
            out: None,
        };
        Some((StackStore, stack))
    }

    #[inline]
    fn pop(&self, idle: &mut Stack<T>) -> Option<T> {
        idle.pop_top()
    }

    /// Not through `pop_top`: written straight into the slot, the item is
    /// copied once (through `pop_top`, callgrind counts more per get).
    #[inline]
    fn pop_into(&self, idle: &mut Stack<T>, slot: &mut Option<T>) -> bool {
        match idle.slots.pop() {
            Some(Some(item)) => {
                *slot = Some(item);
                true
            }
            Some(None) => {
                *slot = idle.pop_below_empty();
                slot.is_some()
            }
            None => false,
        }
    }

    fn start_sweep(&self, idle: &mut Stack<T>) {
        idle.cursor = 0;
        idle.out = None;
    }

    fn take_swept(&self, idle: &mut Stack<T>) -> Option<T> {
        while let Some(slot) = idle.slots.get_mut(idle.cursor) {
            idle.cursor += 1;
            if let Some(item) = slot.take() {
                idle.empty += 1;
                idle.out = Some(idle.cursor - 1);
                return Some(item);
            }
        }
        None
    }

    fn return_swept(&self, idle: &mut Stack<T>, item: T) -> Result<(), T> {
        match idle.out.take() {
            Some(index) => {
                idle.slots[index] = Some(item);
                idle.empty -= 1;
                Ok(())
            }
            None => self.push(idle, item),
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
        idle.slots.len() - idle.empty
    }

    #[inline]
    fn push_from(&self, idle: &mut Stack<T>, slot: &mut Option<T>) -> bool {
        if idle.slots.len() == idle.slots.capacity() && !idle.compact() {
            return false;
        }
        if let Some(item) = slot.take() {
            idle.slots.push(Some(item));
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
    fn a_sweep_keeps_the_order_and_never_reallocates() {
        let mut stack = filled(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let capacity = stack.slots.capacity();
        for _ in 0..3 {
            StackStore.start_sweep(&mut stack);
            for expected in 1..=8 {
                let item = StackStore.take_swept(&mut stack).unwrap();
                assert_eq!(item, expected, "oldest first");
                assert_eq!(StackStore.len(&stack), 7);
                StackStore.return_swept(&mut stack, item).unwrap();
            }
            assert_eq!(StackStore.take_swept(&mut stack), None);
        }
        assert_eq!(stack.slots.capacity(), capacity);
        assert_eq!(drained(&mut stack), [8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn a_release_during_a_sweep_stays_on_top() {
        let mut stack = filled(&[1, 2, 3]);
        StackStore.start_sweep(&mut stack);
        let item = StackStore.take_swept(&mut stack).unwrap();
        StackStore.push(&mut stack, 4).unwrap();
        StackStore.return_swept(&mut stack, item).unwrap();
        assert_eq!(drained(&mut stack), [4, 3, 2, 1]);
    }

    #[test]
    fn dropped_ones_leave_empty_slots_that_are_not_resources() {
        let mut stack = filled(&[1, 2, 3]);
        StackStore.start_sweep(&mut stack);
        assert_eq!(StackStore.take_swept(&mut stack), Some(1));
        assert_eq!(StackStore.take_swept(&mut stack), Some(2));
        assert_eq!(StackStore.len(&stack), 1);
        assert_eq!(StackStore.pop(&mut stack), Some(3));
        assert_eq!(StackStore.pop(&mut stack), None);
        assert_eq!(StackStore.take_swept(&mut stack), None);
        assert_eq!(StackStore.len(&stack), 0);
    }

    #[test]
    fn a_full_stack_drops_its_empty_slots_mid_sweep() {
        // Room for 5: 1 and 2 are taken (1 dropped, 2 out), two releases
        // fill the Vec, a third makes room by removing the empty slots.
        let mut stack = filled(&[1, 2, 3, 4]);
        assert_eq!(stack.slots.capacity(), 5);
        StackStore.start_sweep(&mut stack);
        assert_eq!(StackStore.take_swept(&mut stack), Some(1));
        let out = StackStore.take_swept(&mut stack).unwrap();
        StackStore.push(&mut stack, 10).unwrap();
        StackStore.push(&mut stack, 11).unwrap();
        assert_eq!(StackStore.len(&stack), 4);
        // Its slot moved down with the others, and it goes back there.
        StackStore.return_swept(&mut stack, out).unwrap();
        assert_eq!(StackStore.take_swept(&mut stack), Some(3));
        StackStore.return_swept(&mut stack, 3).unwrap();
        assert_eq!(drained(&mut stack), [11, 10, 4, 3, 2]);
    }

    #[test]
    fn a_popped_empty_slot_sends_its_resource_to_the_top() {
        let mut stack = filled(&[1, 2]);
        StackStore.start_sweep(&mut stack);
        let out = StackStore.take_swept(&mut stack).unwrap();
        assert_eq!(StackStore.pop(&mut stack), Some(2));
        assert_eq!(StackStore.pop(&mut stack), None, "only the empty slot left");
        StackStore.push(&mut stack, 3).unwrap();
        StackStore.return_swept(&mut stack, out).unwrap();
        assert_eq!(drained(&mut stack), [1, 3]);
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
