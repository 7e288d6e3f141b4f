//! Giving a resource back: broken, expired or stale ones are dropped; a
//! healthy one goes to an overdue waiter, or to the idle store.
//!
//! # Implementation notes
//!
//! The channel backend's release is a lock-free `try_send` while nobody
//! waits; it then re-reads `signal` with a `SeqCst` read-modify-write, so a
//! waiter that registered meanwhile, or a close, is still served (see the
//! engine's notes). With waiters present, the resource is offered to an
//! overdue waiter under the lock before it ever reaches the store, where a
//! lock-free get could take it.

use super::{Doomed, Item, Retire, Shared, Store};
use crate::sync::{now, Ordering};
use crate::Manager;

impl<M: Manager, S: Store<Item<M::Resource>>> Shared<M, S> {
    /// Takes back the resource a guard held in `slot`. The resource stays
    /// in the slot until it is stored, so it is moved once.
    #[inline]
    pub(crate) fn release(&self, slot: &mut Option<Item<M::Resource>>) {
        if slot.is_none() {
            return;
        }
        if std::thread::panicking() {
            self.release_panicking(slot);
            return;
        }
        // A panicking has_broken, or a broken resource, is dropped and its
        // slot freed.
        let mut doomed = Doomed::new(self, slot, Retire::Broken);
        if self.manager.has_broken(&mut doomed.item_mut().resource) {
            return;
        }
        let item = doomed.item_mut();
        if self.tracks_time() {
            let now = now();
            if self.expired(item, now) {
                doomed.why = Retire::Expired;
                return;
            }
            item.idle_since = self.nanos(now);
        }
        if self.stale(item) {
            // Made before a `reset`.
            doomed.why = Retire::Discarded;
            return;
        }
        doomed.keep();
        self.put_back_from(slot);
    }

    /// A guard dropped while its thread panics: the resource may be left
    /// half used, so it is dropped and its slot freed.
    #[cold]
    #[inline(never)]
    fn release_panicking(&self, slot: &mut Option<Item<M::Resource>>) {
        if let Some(item) = slot.take() {
            self.destroy(item, Retire::Broken);
        }
    }

    /// Keeps a healthy resource: to an overdue waiter, or to idle. One made
    /// before a `reset` is dropped instead.
    pub(super) fn put_back(&self, item: Item<M::Resource>) {
        if self.stale(&item) {
            self.destroy(item, Retire::Discarded);
            return;
        }
        self.put_back_from(&mut Some(item));
    }

    /// Puts back a resource a sweep judged and kept: where it was if the
    /// store can and nobody waits, else as [`put_back`](Self::put_back).
    pub(super) fn return_swept(&self, item: Item<M::Resource>) {
        if self.stale(&item) {
            self.destroy(item, Retire::Discarded);
            return;
        }
        let mut state = self.state.lock();
        let item = if state.closed || state.waiters.len() > 0 {
            item
        } else {
            match self.store.return_swept(&mut state.idle, item) {
                Ok(()) => return,
                Err(item) => item,
            }
        };
        self.put_back_slow(state, &mut Some(item));
    }

    /// [`put_back`](Self::put_back) of a current resource, moved straight
    /// from `slot` to where it goes.
    #[inline]
    fn put_back_from(&self, slot: &mut Option<Item<M::Resource>>) {
        if S::UNLOCKED && self.signal.load(Ordering::Relaxed) == 0 {
            let Some(item) = slot.take() else { return };
            match self.store.try_push_unlocked(item) {
                Ok(()) => {
                    // An RMW, not a plain load: see the engine's notes.
                    if self.signal.fetch_add(0, Ordering::SeqCst) != 0 {
                        self.after_unlocked_push();
                    }
                    return;
                }
                Err(item) => *slot = Some(item),
            }
        }
        let mut state = self.state.lock();
        if !state.closed && state.waiters.len() == 0 {
            // The common case: nobody to serve, straight to idle.
            if self.store.push_from(&mut state.idle, slot) {
                return;
            }
        }
        self.put_back_slow(state, slot);
    }

    /// The rest of [`put_back_from`](Self::put_back_from), under the lock:
    /// the pool is closed, someone waits, or the store is full (never
    /// expected). Out of line, like the waiting it serves.
    #[inline(never)]
    fn put_back_slow(
        &self,
        mut state: super::Locked<'_, M, S>,
        slot: &mut Option<Item<M::Resource>>,
    ) {
        let Some(item) = slot.take() else { return };
        if state.closed {
            drop(state);
            self.destroy(item, Retire::Discarded);
            return;
        }
        // Offered to an overdue waiter before it reaches the store.
        let (wake, unplaced) = self.dispatch_with(&mut state, Some(item));
        drop(state);
        wake.notify(&self.wakers);
        if let Some(item) = unplaced {
            self.destroy(item, Retire::Discarded);
        }
    }

    /// A lock-free release saw waiters or a close: serve them.
    #[cold]
    fn after_unlocked_push(&self) {
        let mut state = self.state.lock();
        if state.closed {
            drop(state);
            self.drain_idle();
            return;
        }
        let wake = self.dispatch(&mut state);
        drop(state);
        wake.notify(&self.wakers);
    }
}
