//! Getting a resource: an idle one (checked for expiry, then recycled), a new
//! one created into a free slot, or one handed over after a wait.
//!
//! # Implementation notes
//!
//! The deadline starts only when a checkout first has to wait, retry or
//! create, so an idle hit reads no clock unless the pool tracks lifetimes
//! (then it reads it once, to check expiry). A waiter's queue entry is
//! removed only by the waiter itself, under the lock, so a grant written into
//! it is taken or, on close, given back: never lost.

use std::time::Duration;

use super::{Doomed, Item, Locked, Reservation, Retire, Shared, Store, CLOSED, STARVING};
use crate::pool::GetResult;
use crate::sync::{fence, now, Instant, Ordering};
use crate::waiters::{stripe, Grant};
use crate::{Error, Manager};

/// How long a checkout may wait.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Patience {
    /// Wait up to this long once waiting or retrying is needed.
    Wait(Duration),
    /// Take an idle resource or nothing; never wait, never create.
    Never,
}

/// A checkout's deadline, started only when first needed.
#[derive(Debug)]
struct Deadline {
    patience: Patience,
    /// This checkout has blocked at least once (counted once per get).
    waited: bool,
    /// `Some(None)`: started, no limit (never waits, or the timeout
    /// overflowed the clock).
    at: Option<Option<Instant>>,
}

impl Deadline {
    fn new(patience: Patience) -> Self {
        Self {
            patience,
            waited: false,
            at: None,
        }
    }

    /// Starts the clock if it has not started; returns the deadline.
    fn start(&mut self, now: Instant) -> Option<Instant> {
        let patience = self.patience;
        *self.at.get_or_insert_with(|| match patience {
            Patience::Wait(timeout) => now.checked_add(timeout),
            Patience::Never => None,
        })
    }

    /// Whether a started deadline has passed. Reads the clock only then.
    #[inline]
    fn passed(&self) -> bool {
        matches!(self.at, Some(Some(at)) if now() >= at)
    }
}

/// How the next step of a checkout starts.
enum Next<'a, M: Manager, S: Store<Item<M::Resource>>> {
    /// With an attempt to take an idle resource (after one was dropped).
    TakeIdle,
    /// With the locked part: the attempt just made took nothing (nothing
    /// idle, or the pool closed or starving). Holds the lock if the backend
    /// took it for the attempt; a lock-free backend locks now.
    Lock(Option<Locked<'a, M, S>>),
}

/// What one locked step of a checkout found. An idle resource is written
/// straight into the caller's slot, so it is not moved through each layer.
enum Taken<'a, M: Manager, S: Store<Item<M::Resource>>> {
    Idle,
    Create(Reservation<'a, M, S>),
    Nothing,
}

impl<M: Manager, S: Store<Item<M::Resource>>> Shared<M, S> {
    /// Hands out a resource, idle and recycled or newly created, into
    /// `slot` (a guard's, so the resource is placed once). `Ok(false)` only
    /// with [`Patience::Never`] when nothing is idle.
    #[inline]
    pub(crate) fn checkout(
        &self,
        patience: Patience,
        slot: &mut Option<Item<M::Resource>>,
    ) -> GetResult<bool, M> {
        let mut deadline = Deadline::new(patience);
        // The common case in one pass: the pool open, nobody starving, a
        // resource idle. Anything else goes on through `take`, in the same
        // critical section if the stack backend already holds the lock.
        let next = match self.take_idle(slot) {
            Ok(()) if self.serve(slot, &mut deadline) => return Ok(true),
            Ok(()) => Next::TakeIdle,
            Err(held) => Next::Lock(held),
        };
        self.checkout_rest(deadline, next, slot)
    }

    /// [`checkout`](Self::checkout) once the common case did not serve.
    fn checkout_rest<'a>(
        &'a self,
        mut deadline: Deadline,
        mut next: Next<'a, M, S>,
        slot: &mut Option<Item<M::Resource>>,
    ) -> GetResult<bool, M> {
        loop {
            let taken = self.take(&mut deadline, next, slot)?;
            next = Next::TakeIdle;
            match taken {
                Taken::Idle => {}
                Taken::Create(reservation) => {
                    let mut item = self.create(reservation, true)?;
                    item.uses = 1;
                    *slot = Some(item);
                    return Ok(true);
                }
                Taken::Nothing => return Ok(false),
            }
            if self.serve(slot, &mut deadline) {
                return Ok(true);
            }
        }
    }

    /// Takes an idle resource into `slot` if the pool is open and nobody
    /// starves. Err: nothing taken, with the lock if this backend took it.
    #[inline]
    fn take_idle<'a>(
        &'a self,
        slot: &mut Option<Item<M::Resource>>,
    ) -> Result<(), Option<Locked<'a, M, S>>> {
        if S::UNLOCKED {
            if self.signal.load(Ordering::Relaxed) & (CLOSED | STARVING) != 0 {
                return Err(None);
            }
            // Not `ok_or(None)?`: a `Result<Item, Option<Locked>>` would put
            // the `MutexGuard`'s poison flag inside the item's first 16
            // bytes, and the copy out of it would split them (see `Item`).
            return match self.store.try_pop_unlocked() {
                Some(item) => {
                    *slot = Some(item);
                    Ok(())
                }
                None => Err(None),
            };
        }
        let mut state = self.state.lock();
        if state.closed || state.starving || !self.store.pop_into(&mut state.idle, slot) {
            return Err(Some(state));
        }
        Ok(())
    }

    /// Checks and recycles the resource just taken into `slot`, and counts
    /// the get if it is served. false: it was expired, stale or failed
    /// recycle, and was dropped (its slot freed).
    #[inline]
    fn serve(&self, slot: &mut Option<Item<M::Resource>>, deadline: &mut Deadline) -> bool {
        let mut doomed = Doomed::new(self, slot, Retire::Discarded);
        let item = doomed.item_mut();
        if self.config.max_lifetime.is_some() {
            // Read now, not earlier: a recycle or a wait before may have
            // taken long.
            let now = now();
            if self.expired(item, now) {
                doomed.why = Retire::Expired;
                drop(doomed);
                deadline.start(now);
                return false;
            }
        }
        if self.stale(item) {
            // Created before a reset, and out of the store while it ran.
            return false;
        }
        // A panicking or failing recycle drops the resource, frees its slot.
        doomed.why = Retire::RecycleFailed;
        if self
            .manager
            .recycle(&mut doomed.item_mut().resource)
            .is_ok()
        {
            doomed.item_mut().uses += 1;
            doomed.keep();
            self.idle_gets.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        drop(doomed);
        deadline.start(now());
        false
    }

    /// One step of a checkout: an idle resource, a reserved slot, or a wait,
    /// starting as `next` says.
    #[inline]
    fn take<'a>(
        &'a self,
        deadline: &mut Deadline,
        next: Next<'a, M, S>,
        slot: &mut Option<Item<M::Resource>>,
    ) -> Result<Taken<'a, M, S>, Error<M::Error>> {
        let held = match next {
            Next::Lock(held) => held,
            // Checked before another idle resource is recycled: the lock
            // below counts the timeout.
            Next::TakeIdle if deadline.passed() => None,
            Next::TakeIdle => match self.take_idle(slot) {
                Ok(()) => return Ok(Taken::Idle),
                Err(held) => held,
            },
        };
        let mut state = match held {
            Some(state) => state,
            None => self.state.lock(),
        };
        if state.closed {
            return Err(Error::Closed);
        }
        if deadline.passed() {
            // Passed while a failed recycle or an expired resource was
            // dropped, outside the queue.
            state.counters.gets_timed_out += 1;
            return Err(Error::Timeout);
        }
        let never_wait = matches!(deadline.patience, Patience::Never);
        let queue_first = state.starving && !never_wait && state.waiters.first_unserved().is_some();
        if !queue_first && self.store.pop_into(&mut state.idle, slot) {
            return Ok(Taken::Idle);
        }
        if never_wait {
            return Ok(Taken::Nothing);
        }
        if !queue_first && state.size < self.config.max_size {
            return Ok(Taken::Create(self.reserve(&mut state)));
        }
        self.wait(state, deadline, slot)
    }

    /// Takes a free slot for a create.
    pub(super) fn reserve(&self, state: &mut Locked<'_, M, S>) -> Reservation<'_, M, S> {
        state.size += 1;
        state.creating += 1;
        Reservation {
            shared: self,
            creating: true,
            why: Retire::CreateFailed,
        }
    }

    /// Blocks in the wait queue until something is idle, a slot frees, a grant
    /// arrives, the pool closes, or the deadline passes.
    #[cold]
    #[inline(never)]
    fn wait<'a>(
        &'a self,
        mut state: Locked<'a, M, S>,
        deadline: &mut Deadline,
        slot: &mut Option<Item<M::Resource>>,
    ) -> Result<Taken<'a, M, S>, Error<M::Error>> {
        let started = now();
        let until = deadline.start(started);
        let ticket = state.waiters.push(started);
        if !deadline.waited {
            deadline.waited = true;
            state.counters.gets_waited += 1;
        }
        self.signal.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        loop {
            let waiter = state.waiters.entry(ticket);
            // Woken by a wake-up meant for it (not a timeout, and not one
            // for another waiter on its stripe).
            let woken = std::mem::replace(&mut waiter.notified, false);
            if let Some(grant) = waiter.grant.take() {
                self.leave(&mut state, ticket, started);
                let closed = state.closed;
                drop(state);
                return match grant {
                    Grant::Idle(item) if closed => {
                        self.destroy(item, Retire::Discarded);
                        Err(Error::Closed)
                    }
                    Grant::Create if closed => {
                        self.free_slot(true, Retire::Unused);
                        Err(Error::Closed)
                    }
                    Grant::Idle(item) => {
                        *slot = Some(item);
                        Ok(Taken::Idle)
                    }
                    Grant::Create => Ok(Taken::Create(Reservation {
                        shared: self,
                        creating: true,
                        why: Retire::CreateFailed,
                    })),
                };
            }
            if state.closed {
                self.leave(&mut state, ticket, started);
                return Err(Error::Closed);
            }
            if !state.starving || state.waiters.is_first_unserved(ticket) {
                if self.store.pop_into(&mut state.idle, slot) {
                    self.leave(&mut state, ticket, started);
                    return Ok(Taken::Idle);
                }
                if state.size < self.config.max_size {
                    self.leave(&mut state, ticket, started);
                    return Ok(Taken::Create(self.reserve(&mut state)));
                }
            }
            if woken && state.waiters.is_first_unserved(ticket) {
                // Woken for something a barging get took first: what frees
                // up next is handed to this waiter, not raced for again.
                self.set_starving(&mut state, true);
            }
            let remaining = match until {
                None => None,
                Some(until) => {
                    let current = now();
                    if current >= until {
                        self.leave(&mut state, ticket, started);
                        state.counters.gets_timed_out += 1;
                        // A wake-up this waiter received passes on.
                        let wake = self.dispatch(&mut state);
                        drop(state);
                        wake.notify(&self.wakers);
                        return Err(Error::Timeout);
                    }
                    Some(until.saturating_duration_since(current))
                }
            };
            state = self.wakers[stripe(ticket)].wait(state, remaining);
        }
    }

    /// Removes a waiter's entry and counts its wait.
    fn leave(&self, state: &mut Locked<'_, M, S>, ticket: u64, started: Instant) {
        state.waiters.remove(ticket);
        if state.waiters.len() == 0 {
            self.set_starving(state, false);
        }
        state.counters.wait_time += now().saturating_duration_since(started);
        self.signal.fetch_sub(1, Ordering::SeqCst);
    }

    /// Creates into a reserved slot. Used by gets (`for_get`: counted as
    /// one), `fill` and maintenance.
    pub(super) fn create(
        &self,
        mut reservation: Reservation<'_, M, S>,
        for_get: bool,
    ) -> GetResult<Item<M::Resource>, M> {
        // Read before the create starts: a resource whose create was under
        // way when `reset` ran is one from before it.
        let generation = self.generation();
        // A panicking create unwinds through `reservation`, which frees the slot.
        let resource = self.manager.create().map_err(Error::Create)?;
        let item = self.new_item(resource, generation);
        let mut state = self.state.lock();
        state.creating -= 1;
        state.counters.created += 1;
        state.counters.create_gets += u64::from(for_get && !state.closed);
        reservation.creating = false;
        reservation.why = Retire::Discarded;
        if state.closed {
            drop(state);
            drop(item);
            return Err(Error::Closed);
        }
        drop(state);
        reservation.disarm();
        Ok(item)
    }
}
