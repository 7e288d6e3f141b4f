//! The engine both backends share: slot accounting, creating and recycling,
//! waiting and handing off, releasing, and closing.
//!
//! A backend differs only in its [`Store`] of idle resources (a LIFO `Vec`
//! inside the lock, or a lock-free FIFO channel beside it); every rule about
//! capacity, waiters and callbacks is written once, here.
//!
//! # Implementation notes
//!
//! - `state` (one mutex) protects `size`, `creating`, the wait queue, the
//!   `starving` and `closed` flags, and the stack backend's idle `Vec`.
//!   No manager callback and no resource drop ever runs while it is held:
//!   values to drop are carried out of the critical section first.
//! - A slot is taken (`size += 1`) before a create starts and freed
//!   (`size -= 1`) only after a resource's drop has returned, by
//!   [`Reservation`], whose `Drop` also runs during unwinding. So `size` never
//!   exceeds `max_size`, and a panicking callback never leaks a slot.
//! - Fairness: a get that finds a resource idle takes it even while others
//!   wait (barging), and a release pushes to idle and wakes one waiter, which
//!   competes for it. Barging keeps the hot path free of context switches.
//!   When a release or a freed slot finds that the oldest waiter has waited
//!   longer than [`STARVATION_BOUND`], the pool enters starvation mode: the
//!   resource or slot is granted to that waiter's queue entry directly, and
//!   new gets queue behind it. The mode ends when the queue has no unserved
//!   waiter, or the next one has waited less than the bound (as Go's
//!   `sync.Mutex` does).
//! - `signal` mirrors, for the channel backend's lock-free paths, the waiter
//!   count and the `CLOSED` and `STARVING` flags. A lock-free release pushes,
//!   then issues a `SeqCst` fence, then reads `signal`; a waiter increments
//!   `signal`, issues a `SeqCst` fence, then polls the store. At least one of
//!   the two sees the other, so a release never slips past a waiter going to
//!   sleep. `close` pairs with lock-free releases the same way.

use std::time::Duration;

use crate::config::Config;
use crate::pool::GetResult;
use crate::sync::{fence, now, AtomicUsize, Condvar, Instant, Mutex, MutexGuard, Ordering};
use crate::waiters::{stripe, Grant, WaitQueue, Wake, STRIPES};
use crate::{Error, Manager, Status};

/// How long the oldest waiter may wait before released resources and freed
/// slots go to it directly instead of to whoever asks first.
pub(crate) const STARVATION_BOUND: Duration = Duration::from_millis(1);

/// `signal` bit: the pool is closed.
const CLOSED: usize = 1 << (usize::BITS - 1);
/// `signal` bit: the pool is in starvation mode.
const STARVING: usize = 1 << (usize::BITS - 2);

/// A resource as the pool stores it.
#[derive(Debug)]
pub(crate) struct Item<R> {
    pub(crate) resource: R,
    /// How many times it was handed out.
    pub(crate) uses: u64,
}

/// Where a backend keeps its idle resources.
pub(crate) trait Store<T>: Send + Sync + Sized {
    /// Whether the store can be used without the pool's lock.
    const UNLOCKED: bool;
    /// The part of the store kept inside the pool's lock.
    type Locked: Send;

    /// A store for `capacity` idle resources.
    fn with_capacity(capacity: usize) -> (Self, Self::Locked);
    /// Takes an idle resource, under the lock.
    fn pop(&self, locked: &mut Self::Locked) -> Option<T>;
    /// Keeps an idle resource, under the lock. Err: no room (never expected:
    /// the store holds `max_size`, and idle never exceeds `size`).
    fn push(&self, locked: &mut Self::Locked, item: T) -> Result<(), T>;
    /// How many resources are idle, under the lock.
    fn len(&self, locked: &Self::Locked) -> usize;
    /// Takes an idle resource without the lock (only if `UNLOCKED`).
    fn try_pop_unlocked(&self) -> Option<T> {
        None
    }
    /// Keeps an idle resource without the lock (only if `UNLOCKED`).
    fn try_push_unlocked(&self, item: T) -> Result<(), T> {
        Err(item)
    }
}

/// Everything behind the pool's lock.
#[derive(Debug)]
struct State<L, T> {
    /// The backend's locked part of the idle store.
    idle: L,
    /// Slots taken: resources alive, being created, or being dropped.
    size: usize,
    /// Slots reserved for a create that has not finished.
    creating: usize,
    waiters: WaitQueue<T>,
    starving: bool,
    closed: bool,
}

/// How long a checkout may wait.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Patience {
    /// Wait up to this long once waiting or retrying is needed.
    Wait(Duration),
    /// Take an idle resource or nothing; never wait, never create.
    Never,
}

/// A checkout's deadline, started only when first needed, so that an idle
/// hit reads no clock.
#[derive(Debug)]
struct Deadline {
    patience: Patience,
    /// `Some(None)`: started, no limit (the timeout overflowed the clock).
    at: Option<Option<Instant>>,
}

impl Deadline {
    fn new(patience: Patience) -> Self {
        Self { patience, at: None }
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
    fn passed(&self) -> bool {
        matches!(self.at, Some(Some(at)) if now() >= at)
    }
}

/// What one locked step of a checkout found.
enum Taken<'a, M: Manager, S: Store<Item<M::Resource>>> {
    Idle(Item<M::Resource>),
    Create(Reservation<'a, M, S>),
    Nothing,
}

/// The engine behind a pool handle.
pub(crate) struct Shared<M: Manager, S: Store<Item<M::Resource>>> {
    pub(crate) manager: M,
    pub(crate) config: Config,
    store: S,
    state: Mutex<State<S::Locked, Item<M::Resource>>>,
    wakers: [Condvar; STRIPES],
    /// Waiter count plus `CLOSED` and `STARVING`; see the module notes.
    signal: AtomicUsize,
}

type Locked<'a, M, S> = MutexGuard<
    'a,
    State<<S as Store<Item<<M as Manager>::Resource>>>::Locked, Item<<M as Manager>::Resource>>,
>;

impl<M: Manager, S: Store<Item<M::Resource>>> Shared<M, S> {
    pub(crate) fn new(manager: M, config: Config) -> Self {
        let (store, idle) = S::with_capacity(config.max_size);
        Self {
            manager,
            config,
            store,
            state: Mutex::new(State {
                idle,
                size: 0,
                creating: 0,
                waiters: WaitQueue::new(),
                starving: false,
                closed: false,
            }),
            wakers: std::array::from_fn(|_| Condvar::new()),
            signal: AtomicUsize::new(0),
        }
    }

    /// Hands out a resource: idle and recycled, or newly created.
    /// `Ok(None)` only with [`Patience::Never`] when nothing is idle.
    pub(crate) fn checkout(&self, patience: Patience) -> GetResult<Option<Item<M::Resource>>, M> {
        let mut deadline = Deadline::new(patience);
        loop {
            let item = match self.take(&mut deadline)? {
                Taken::Idle(item) => item,
                Taken::Create(reservation) => return self.create(reservation),
                Taken::Nothing => return Ok(None),
            };
            // A panicking recycle drops the resource and frees its slot.
            let mut doomed = Doomed::new(self, item);
            if self.manager.recycle(doomed.resource_mut()).is_ok() {
                let mut item = doomed.keep();
                item.uses += 1;
                return Ok(Some(item));
            }
            drop(doomed);
            deadline.start(now());
        }
    }

    /// One step of a checkout: an idle resource, a reserved slot, or a wait.
    fn take(&self, deadline: &mut Deadline) -> Result<Taken<'_, M, S>, Error<M::Error>> {
        if S::UNLOCKED && self.signal.load(Ordering::Relaxed) & (CLOSED | STARVING) == 0 {
            if let Some(item) = self.store.try_pop_unlocked() {
                return Ok(Taken::Idle(item));
            }
        }
        let mut state = self.state.lock();
        if state.closed {
            return Err(Error::Closed);
        }
        if deadline.passed() {
            return Err(Error::Timeout);
        }
        let never_wait = matches!(deadline.patience, Patience::Never);
        let queue_first = state.starving && !never_wait && state.waiters.first_unserved().is_some();
        if !queue_first {
            if let Some(item) = self.store.pop(&mut state.idle) {
                return Ok(Taken::Idle(item));
            }
        }
        if never_wait {
            return Ok(Taken::Nothing);
        }
        if !queue_first && state.size < self.config.max_size {
            return Ok(Taken::Create(self.reserve(&mut state)));
        }
        self.wait(state, deadline)
    }

    /// Takes a free slot for a create.
    fn reserve(&self, state: &mut Locked<'_, M, S>) -> Reservation<'_, M, S> {
        state.size += 1;
        state.creating += 1;
        Reservation {
            shared: self,
            creating: true,
        }
    }

    /// Blocks in the wait queue until something is idle, a slot frees, a grant
    /// arrives, the pool closes, or the deadline passes.
    fn wait<'a>(
        &'a self,
        mut state: Locked<'a, M, S>,
        deadline: &mut Deadline,
    ) -> Result<Taken<'a, M, S>, Error<M::Error>> {
        let started = now();
        let until = deadline.start(started);
        let ticket = state.waiters.push(started);
        self.signal.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        loop {
            let waiter = state.waiters.entry(ticket);
            waiter.notified = false;
            if let Some(grant) = waiter.grant.take() {
                self.leave(&mut state, ticket);
                let closed = state.closed;
                drop(state);
                let reservation = Reservation {
                    shared: self,
                    creating: matches!(grant, Grant::Create),
                };
                return match grant {
                    Grant::Idle(item) if closed => {
                        drop(item);
                        drop(reservation);
                        Err(Error::Closed)
                    }
                    Grant::Create if closed => Err(Error::Closed),
                    Grant::Idle(item) => {
                        reservation.disarm();
                        Ok(Taken::Idle(item))
                    }
                    Grant::Create => Ok(Taken::Create(reservation)),
                };
            }
            if state.closed {
                self.leave(&mut state, ticket);
                return Err(Error::Closed);
            }
            if !state.starving || state.waiters.is_first_unserved(ticket) {
                if let Some(item) = self.store.pop(&mut state.idle) {
                    self.leave(&mut state, ticket);
                    return Ok(Taken::Idle(item));
                }
                if state.size < self.config.max_size {
                    self.leave(&mut state, ticket);
                    return Ok(Taken::Create(self.reserve(&mut state)));
                }
            }
            let remaining = match until {
                None => None,
                Some(until) => {
                    let current = now();
                    if current >= until {
                        self.leave(&mut state, ticket);
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

    /// Removes a waiter's entry.
    fn leave(&self, state: &mut Locked<'_, M, S>, ticket: u64) {
        state.waiters.remove(ticket);
        self.signal.fetch_sub(1, Ordering::SeqCst);
    }

    /// Creates into a reserved slot.
    fn create(
        &self,
        mut reservation: Reservation<'_, M, S>,
    ) -> GetResult<Option<Item<M::Resource>>, M> {
        // A panicking create unwinds through `reservation`, which frees the slot.
        let resource = self.manager.create().map_err(Error::Create)?;
        let item = Item { resource, uses: 1 };
        let mut state = self.state.lock();
        state.creating -= 1;
        reservation.creating = false;
        if state.closed {
            drop(state);
            drop(item);
            return Err(Error::Closed);
        }
        drop(state);
        reservation.disarm();
        Ok(Some(item))
    }

    /// Takes back a released resource.
    pub(crate) fn release(&self, item: Item<M::Resource>) {
        if std::thread::panicking() {
            self.destroy(item);
            return;
        }
        // A panicking has_broken drops the resource and frees its slot.
        let mut doomed = Doomed::new(self, item);
        if self.manager.has_broken(doomed.resource_mut()) {
            return;
        }
        self.put_back(doomed.keep());
    }

    /// Returns a healthy resource to idle, or to a waiter.
    fn put_back(&self, item: Item<M::Resource>) {
        let item = if S::UNLOCKED && self.signal.load(Ordering::Relaxed) == 0 {
            match self.store.try_push_unlocked(item) {
                Ok(()) => {
                    fence(Ordering::SeqCst);
                    if self.signal.load(Ordering::Relaxed) != 0 {
                        self.after_unlocked_push();
                    }
                    return;
                }
                Err(item) => item,
            }
        } else {
            item
        };
        let mut state = self.state.lock();
        if state.closed {
            drop(state);
            self.destroy(item);
            return;
        }
        // Offered to an overdue waiter before it reaches the store, where a
        // lock-free get could take it first.
        let (wake, unplaced) = self.dispatch_with(&mut state, Some(item));
        drop(state);
        wake.notify(&self.wakers);
        if let Some(item) = unplaced {
            self.destroy(item);
        }
    }

    /// A lock-free release saw waiters or a close: serve them.
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

    /// Drops a resource, then frees its slot (also if the drop panics).
    pub(crate) fn destroy(&self, item: Item<M::Resource>) {
        let _slot = Reservation {
            shared: self,
            creating: false,
        };
        drop(item);
    }

    /// Frees the slot of a resource that was dropped or detached, or of a
    /// create that did not finish.
    pub(crate) fn free_slot(&self, creating: bool) {
        let mut state = self.state.lock();
        state.size -= 1;
        if creating {
            state.creating -= 1;
        }
        let wake = self.dispatch(&mut state);
        drop(state);
        wake.notify(&self.wakers);
    }

    /// Matches what is available (idle resources, free slots) with waiters.
    /// Returns the stripes to wake once the lock is released.
    fn dispatch(&self, state: &mut Locked<'_, M, S>) -> Wake {
        let (wake, unplaced) = self.dispatch_with(state, None);
        debug_assert!(unplaced.is_none(), "nothing was offered");
        wake
    }

    /// [`dispatch`](Self::dispatch), with a released resource offered first
    /// to an overdue waiter, else kept in the store. Returns the resource if
    /// the store had no room for it (never expected), to be destroyed.
    fn dispatch_with(
        &self,
        state: &mut Locked<'_, M, S>,
        mut incoming: Option<Item<M::Resource>>,
    ) -> (Wake, Option<Item<M::Resource>>) {
        let mut wake = Wake::none();
        let state = &mut **state;
        if state.waiters.len() == 0 || state.closed {
            let unplaced = incoming.and_then(|item| self.store.push(&mut state.idle, item).err());
            return (wake, unplaced);
        }
        let current = now();
        // Starvation mode: grant straight to the oldest unserved waiter.
        while let Some(oldest) = state.waiters.first_unserved() {
            if !state.starving && current.saturating_duration_since(oldest.since) < STARVATION_BOUND
            {
                break;
            }
            let grant = if let Some(item) = incoming.take() {
                Grant::Idle(item)
            } else if let Some(item) = self.store.pop(&mut state.idle) {
                Grant::Idle(item)
            } else if state.size < self.config.max_size {
                state.size += 1;
                state.creating += 1;
                Grant::Create
            } else {
                self.set_starving(state, true);
                break;
            };
            let oldest = state.waiters.first_unserved().expect("checked above");
            oldest.grant = Some(grant);
            wake.add(oldest.ticket);
            let next_overdue = state.waiters.first_unserved().is_some_and(|next| {
                current.saturating_duration_since(next.since) >= STARVATION_BOUND
            });
            self.set_starving(state, next_overdue);
        }
        if state.waiters.first_unserved().is_none() {
            self.set_starving(state, false);
        }
        let unplaced = incoming.and_then(|item| self.store.push(&mut state.idle, item).err());
        if state.starving {
            return (wake, unplaced);
        }
        // Normal mode: make sure each available thing has a waiter awake for it.
        let available = self.store.len(&state.idle) + (self.config.max_size - state.size);
        let mut awake = state
            .waiters
            .unserved()
            .filter(|waiter| waiter.notified)
            .count();
        for waiter in state.waiters.unserved() {
            if awake >= available {
                break;
            }
            if !waiter.notified {
                waiter.notified = true;
                wake.add(waiter.ticket);
                awake += 1;
            }
        }
        (wake, unplaced)
    }

    fn set_starving(&self, state: &mut State<S::Locked, Item<M::Resource>>, starving: bool) {
        if state.starving != starving {
            state.starving = starving;
            if starving {
                self.signal.fetch_or(STARVING, Ordering::SeqCst);
            } else {
                self.signal.fetch_and(!STARVING, Ordering::SeqCst);
            }
        }
    }

    /// Closes the pool; see [`Pool::close`](crate::Pool::close).
    pub(crate) fn close(&self) {
        let mut state = self.state.lock();
        if state.closed {
            return;
        }
        state.closed = true;
        self.signal.fetch_or(CLOSED, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let wake = state.waiters.all_stripes();
        drop(state);
        wake.notify(&self.wakers);
        self.drain_idle();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.signal.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Drops every idle resource, one at a time, outside the lock.
    fn drain_idle(&self) {
        loop {
            let item = {
                let mut state = self.state.lock();
                self.store.pop(&mut state.idle)
            };
            match item {
                Some(item) => self.destroy(item),
                None => return,
            }
        }
    }

    pub(crate) fn status(&self) -> Status {
        let state = self.state.lock();
        let idle = self.store.len(&state.idle);
        Status {
            max_size: self.config.max_size,
            size: state.size,
            idle,
            in_use: state.size.saturating_sub(idle + state.creating),
            waiting: state.waiters.len(),
        }
    }
}

/// A taken slot. Dropping it frees the slot, so a create or a resource drop
/// that panics still gives its slot back.
#[must_use]
pub(crate) struct Reservation<'a, M: Manager, S: Store<Item<M::Resource>>> {
    shared: &'a Shared<M, S>,
    /// The slot has no resource yet (a create is under way).
    creating: bool,
}

impl<M: Manager, S: Store<Item<M::Resource>>> Reservation<'_, M, S> {
    /// The slot now belongs to a resource handed out.
    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl<M: Manager, S: Store<Item<M::Resource>>> Drop for Reservation<'_, M, S> {
    fn drop(&mut self) {
        self.shared.free_slot(self.creating);
    }
}

/// A resource on its way through a manager callback: if the callback panics
/// or the resource is not kept, it is destroyed and its slot freed.
struct Doomed<'a, M: Manager, S: Store<Item<M::Resource>>> {
    shared: &'a Shared<M, S>,
    item: Option<Item<M::Resource>>,
}

impl<'a, M: Manager, S: Store<Item<M::Resource>>> Doomed<'a, M, S> {
    fn new(shared: &'a Shared<M, S>, item: Item<M::Resource>) -> Self {
        Self {
            shared,
            item: Some(item),
        }
    }

    fn resource_mut(&mut self) -> &mut M::Resource {
        match &mut self.item {
            Some(item) => &mut item.resource,
            None => unreachable!("a doomed item is present until kept"),
        }
    }

    fn keep(mut self) -> Item<M::Resource> {
        match self.item.take() {
            Some(item) => item,
            None => unreachable!("a doomed item is present until kept"),
        }
    }
}

impl<M: Manager, S: Store<Item<M::Resource>>> Drop for Doomed<'_, M, S> {
    fn drop(&mut self) {
        if let Some(item) = self.item.take() {
            self.shared.destroy(item);
        }
    }
}
