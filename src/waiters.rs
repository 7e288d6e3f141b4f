//! The queue of threads blocked in a get, oldest first, and the set of
//! condition variables that wakes them.
//!
//! The queue lives inside the pool's lock and only grows to the peak number of
//! simultaneous waiters, so waiting allocates nothing once that peak was seen.
//!
//! # Implementation notes
//!
//! A waiter sleeps on one of a fixed set of condition variables ("stripes"),
//! chosen by its ticket. Waking a waiter means `notify_all` on its stripe, done
//! after the lock is released; a waiter that shares the stripe wakes too,
//! re-checks its own entry under the lock and sleeps again. Entries are
//! removed only by their own waiter, so a grant placed in an entry is never
//! lost: its waiter either takes it or, on close, gives it back.

use std::collections::VecDeque;

use crate::sync::{Condvar, Instant};

/// How many condition variables waiters are spread over.
#[cfg(not(all(test, feature = "loom")))]
pub(crate) const STRIPES: usize = 16;
#[cfg(all(test, feature = "loom"))]
pub(crate) const STRIPES: usize = 2;

/// What a waiter is handed directly, bypassing the idle store.
#[derive(Debug)]
pub(crate) enum Grant<T> {
    /// A released resource.
    Idle(T),
    /// A free slot, already counted in `size`: the waiter creates into it.
    Create,
}

/// One blocked get.
#[derive(Debug)]
pub(crate) struct Waiter<T> {
    pub(crate) ticket: u64,
    /// When it started waiting.
    pub(crate) since: Instant,
    /// A wake-up was sent and the waiter has not looked yet.
    pub(crate) notified: bool,
    /// Handed to this waiter; it takes it when it wakes.
    pub(crate) grant: Option<Grant<T>>,
}

/// Blocked gets, oldest first.
#[derive(Debug)]
pub(crate) struct WaitQueue<T> {
    entries: VecDeque<Waiter<T>>,
    next_ticket: u64,
}

impl<T> WaitQueue<T> {
    pub(crate) fn new() -> Self {
        Self {
            entries: VecDeque::new(),
            next_ticket: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a waiter at the back and returns its ticket.
    pub(crate) fn push(&mut self, since: Instant) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket = self.next_ticket.wrapping_add(1);
        self.entries.push_back(Waiter {
            ticket,
            since,
            notified: false,
            grant: None,
        });
        ticket
    }

    fn position(&self, ticket: u64) -> usize {
        self.entries
            .iter()
            .position(|waiter| waiter.ticket == ticket)
            .expect("a waiter's entry stays queued until the waiter removes it")
    }

    /// The entry of a queued waiter.
    pub(crate) fn entry(&mut self, ticket: u64) -> &mut Waiter<T> {
        let index = self.position(ticket);
        &mut self.entries[index]
    }

    /// Removes a queued waiter's entry.
    pub(crate) fn remove(&mut self, ticket: u64) -> Waiter<T> {
        let index = self.position(ticket);
        self.entries
            .remove(index)
            .expect("position returned an index in range")
    }

    /// The oldest waiter that has not been handed anything yet.
    pub(crate) fn first_unserved(&mut self) -> Option<&mut Waiter<T>> {
        self.entries
            .iter_mut()
            .find(|waiter| waiter.grant.is_none())
    }

    /// Whether `ticket` is the oldest waiter not yet handed anything.
    pub(crate) fn is_first_unserved(&self, ticket: u64) -> bool {
        self.entries
            .iter()
            .find(|waiter| waiter.grant.is_none())
            .is_some_and(|waiter| waiter.ticket == ticket)
    }

    /// Unserved waiters, oldest first.
    pub(crate) fn unserved(&mut self) -> impl Iterator<Item = &mut Waiter<T>> {
        self.entries
            .iter_mut()
            .filter(|waiter| waiter.grant.is_none())
    }

    /// Every queued waiter's stripe.
    pub(crate) fn all_stripes(&self) -> Wake {
        let mut wake = Wake::none();
        for waiter in &self.entries {
            wake.add(waiter.ticket);
        }
        wake
    }
}

/// The stripes to notify once the lock is released.
#[derive(Clone, Copy, Debug)]
#[must_use = "waiters only wake when `notify` is called"]
pub(crate) struct Wake(u32);

impl Wake {
    pub(crate) fn none() -> Self {
        Self(0)
    }

    pub(crate) fn add(&mut self, ticket: u64) {
        self.0 |= 1 << stripe(ticket);
    }

    /// Notifies every marked stripe. Call after releasing the lock.
    pub(crate) fn notify(self, wakers: &[Condvar]) {
        let mut stripes = self.0;
        while stripes != 0 {
            let index = stripes.trailing_zeros() as usize;
            wakers[index].notify_all();
            stripes &= stripes - 1;
        }
    }
}

/// The condition variable a ticket's waiter sleeps on.
pub(crate) fn stripe(ticket: u64) -> usize {
    (ticket % STRIPES as u64) as usize
}
