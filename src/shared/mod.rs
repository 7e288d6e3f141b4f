//! The engine both backends share: slot accounting, dispatching what frees up
//! to waiters, retiring resources, and the statistics.
//!
//! A backend differs only in its [`Store`] of idle resources (a LIFO `Vec`
//! inside the lock, or a lock-free FIFO channel beside it); every rule about
//! capacity, waiters, callbacks and lifetimes is written once, in this module
//! and its children: `checkout` (getting), `release` (giving back) and
//! `lifecycle` (close, reset, retain, fill, maintain).
//!
//! # Implementation notes
//!
//! - `state` (one mutex) protects `size`, `creating`, the wait queue, the
//!   `starving` and `closed` flags, the counters, and the stack backend's
//!   idle `Vec`. No manager callback and no resource drop ever runs while it
//!   is held: values to drop are carried out of the critical section first.
//! - A slot is taken (`size += 1`) before a create starts and freed
//!   (`size -= 1`) only after a resource's drop has returned, by
//!   [`Reservation`], whose `Drop` also runs during unwinding. So `size` never
//!   exceeds `max_size`, and a panicking callback never leaks a slot. Every
//!   freed slot passes through [`Shared::free_slot`], which counts why the
//!   resource left and wakes a waiter.
//! - Fairness: a get that finds a resource idle takes it even while others
//!   wait (barging), and a release pushes to idle and wakes one waiter, which
//!   competes for it. Barging keeps the hot path free of context switches.
//!   When a release or a freed slot finds that the oldest waiter has waited
//!   longer than [`STARVATION_BOUND`], the pool enters starvation mode: the
//!   resource or slot is granted to that waiter's queue entry directly, and
//!   new gets queue behind it. The mode ends when the queue has no unserved
//!   waiter, or the next one has waited less than the bound (as Go's
//!   `sync.Mutex` does). The oldest waiter also switches the mode on when
//!   it was woken for a resource or slot and found that a barging get took
//!   it first, so it loses at most one wake-up to barging: each lost wake-up
//!   costs a futex round trip on both sides, and with more threads than
//!   resources the lost ones made up the tail of the wait.
//! - `signal` mirrors, for the channel backend's lock-free paths, the waiter
//!   count and the `CLOSED` and `STARVING` flags. A lock-free release pushes,
//!   then reads `signal` with a `SeqCst` read-modify-write (`fetch_add(0)`);
//!   a waiter increments `signal` (`SeqCst`), then polls the store. The two
//!   RMWs on one word are totally ordered: if the release's comes later it
//!   sees the waiter, and if it comes first the waiter's RMW reads the value
//!   the release wrote, so the push happens before the waiter's poll. Either
//!   way a release never slips past a waiter going to sleep (an RMW costs
//!   less than a `SeqCst` fence on x86). `close` pairs with lock-free
//!   releases the same way (`fetch_or`).
//! - `gets` counts a get served from idle with a relaxed atomic increment
//!   once its checks and `recycle` passed (outside the lock), and a get
//!   served by a create under the lock `create` takes anyway; so it counts
//!   only gets that succeed, and never goes down.

mod checkout;
mod lifecycle;
mod release;

use std::time::Duration;

pub(crate) use checkout::Patience;

use crate::config::Config;
use crate::sync::{
    now, Arc, AtomicU64, AtomicUsize, Condvar, Instant, Mutex, MutexGuard, Ordering, ThreadId,
    Ticker,
};
use crate::waiters::{Grant, WaitQueue, Wake, STRIPES};
use crate::{BuildError, Manager, Status};

/// How long the oldest waiter may wait before released resources and freed
/// slots go to it directly instead of to whoever asks first.
pub(crate) const STARVATION_BOUND: Duration = Duration::from_millis(1);

/// `signal` bit: the pool is closed.
const CLOSED: usize = 1 << (usize::BITS - 1);
/// `signal` bit: the pool is in starvation mode.
const STARVING: usize = 1 << (usize::BITS - 2);

/// A resource as the pool stores it. It is moved on every get and release,
/// so its bookkeeping is kept small: the times checked against a lifetime
/// and the idle timeout are nanoseconds since the pool's `epoch`, worked out
/// only when the pool has one of them, and the creation time is the clock's
/// reading as it is, so a create on a pool with neither reads the clock once
/// and converts nothing.
///
/// It is aligned to 16 bytes because it is copied in 16-byte chunks: from
/// the store into a guard, and with the guard out of a `Result`. With the
/// guard's layout (see `Lease`) every chunk a copy reads is one an earlier
/// copy wrote whole, so the processor forwards it from its store buffer
/// instead of stalling until the stores reach the cache; at 8-byte alignment
/// a caller's copy straddled two of them and W1 ran 7 to 10 ns slower.
/// `repr(C)` keeps the bookkeeping's niches (`created`'s nanoseconds, and
/// `generation`) at the end: a copy that checks the niche is split around
/// it, and a split near the start would misalign every chunk after it. (A
/// resource with a larger niche of its own, such as a `String`, lends it
/// instead, inside the resource.)
#[derive(Debug)]
#[repr(C, align(16))]
pub(crate) struct Item<R> {
    pub(crate) resource: R,
    /// How many times it was handed out.
    pub(crate) uses: u64,
    /// When `max_lifetime` (less its jitter) runs out; `u64::MAX`: never.
    expires_at: u64,
    /// When it last became idle (kept only with lifetimes or an idle
    /// timeout, else zero).
    idle_since: u64,
    /// The pool's reset generation it was created in; see [`Generation`].
    generation: Generation,
    /// The number of the last sweep that judged it, 0 if none did; see the
    /// `lifecycle` module.
    swept: u32,
    /// When it was created.
    created: Instant,
}

// The bookkeeping adds 48 bytes to a 64-byte resource (other resources may
// add padding to reach the 16-byte alignment), and `Option<Item>` (a guard's
// slot) needs no tag of its own.
const _: () = {
    use std::mem::size_of;
    assert!(size_of::<Item<[u8; 64]>>() == 64 + 48);
    assert!(size_of::<Option<Item<[u8; 64]>>>() == size_of::<Item<[u8; 64]>>());
};

/// The low 31 bits of a reset generation, with the top bit set so the value
/// is never zero. It wraps after 2^31 resets: a resource lent out across
/// that many would be taken back as current.
type Generation = std::num::NonZeroU32;

/// A reset generation as items carry it.
fn generation_tag(generation: u64) -> Generation {
    const TOP_BIT: Generation = match Generation::new(1 << 31) {
        Some(bit) => bit,
        None => panic!("1 << 31 is not zero"),
    };
    TOP_BIT | (generation as u32)
}

/// Nanoseconds from `earlier` to `later`, saturating (in 64-bit steps:
/// `Duration::as_nanos` works in 128 bits).
fn nanos_between(earlier: Instant, later: Instant) -> u64 {
    let between = later.saturating_duration_since(earlier);
    between
        .as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(between.subsec_nanos()))
}

/// Why a slot was freed; each resource that leaves is counted in one class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retire {
    /// `has_broken`, or released while its thread panicked.
    Broken,
    /// `recycle` failed or panicked (counted as broken too).
    RecycleFailed,
    /// Past its lifetime.
    Expired,
    /// Idle longer than the idle timeout.
    IdleTimeout,
    /// `Pooled::discard`, `retain`, `reset` or `close`.
    Discarded,
    /// `Pooled::detach`: the resource lives on outside the pool.
    Detached,
    /// A create failed or panicked: the slot never held a resource.
    CreateFailed,
    /// A slot granted to a waiter that left without using it.
    Unused,
}

/// Where a backend keeps its idle resources.
pub(crate) trait Store<T>: Send + Sync + Sized {
    /// Whether the store can be used without the pool's lock.
    const UNLOCKED: bool;
    /// The part of the store kept inside the pool's lock.
    type Locked: Send;

    /// A store for `capacity` idle resources, allocated now; `None` if
    /// that much memory cannot be allocated.
    fn with_capacity(capacity: usize) -> Option<(Self, Self::Locked)>;
    /// Takes the idle resource next in the backend's order, under the lock.
    fn pop(&self, locked: &mut Self::Locked) -> Option<T>;
    /// A sweep starts (one runs at a time), under the lock.
    fn start_sweep(&self, _locked: &mut Self::Locked) {}
    /// Takes out the next idle resource for the running sweep to judge,
    /// oldest first, under the lock.
    fn take_swept(&self, locked: &mut Self::Locked) -> Option<T>;
    /// Puts back a resource the sweep kept, under the lock, with nobody
    /// waiting and the pool open: where it was if the store can, else at
    /// the young end. Err: no room (never expected).
    fn return_swept(&self, locked: &mut Self::Locked, item: T) -> Result<(), T> {
        self.push(locked, item)
    }
    /// Keeps an idle resource, under the lock. Err: no room (never expected:
    /// the store holds `max_size`, and idle never exceeds `size`).
    fn push(&self, locked: &mut Self::Locked, item: T) -> Result<(), T>;
    /// How many resources are idle, under the lock.
    fn len(&self, locked: &Self::Locked) -> usize;
    /// [`pop`](Self::pop) straight into a guard's slot, so the resource is
    /// moved once. Returns whether one was there.
    #[inline]
    fn pop_into(&self, locked: &mut Self::Locked, slot: &mut Option<T>) -> bool {
        *slot = self.pop(locked);
        slot.is_some()
    }
    /// [`push`](Self::push) straight from a guard's slot. Returns false, the
    /// resource left in the slot, if there is no room.
    #[inline]
    fn push_from(&self, locked: &mut Self::Locked, slot: &mut Option<T>) -> bool {
        match slot.take().map(|item| self.push(locked, item)) {
            Some(Err(item)) => {
                *slot = Some(item);
                false
            }
            _ => true,
        }
    }
    /// Takes an idle resource without the lock (only if `UNLOCKED`).
    fn try_pop_unlocked(&self) -> Option<T> {
        None
    }
    /// Keeps an idle resource without the lock (only if `UNLOCKED`).
    fn try_push_unlocked(&self, item: T) -> Result<(), T> {
        Err(item)
    }
}

/// Cumulative counters kept under the lock.
#[derive(Debug, Default)]
struct Counters {
    /// Gets served by a create.
    create_gets: u64,
    gets_waited: u64,
    gets_timed_out: u64,
    wait_time: Duration,
    created: u64,
    create_failed: u64,
    recycle_failed: u64,
    closed_broken: u64,
    closed_expired: u64,
    closed_idle: u64,
    discarded: u64,
    detached: u64,
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
    counters: Counters,
    /// The maintenance pass's create back-off, and when it may try again.
    backoff: Duration,
    retry_at: Option<Instant>,
    /// The thread running a sweep (`retain`, maintenance), if one runs.
    sweeper: Option<ThreadId>,
    /// The number of the last sweep started (never 0 once one has).
    sweeps: u32,
}

/// The engine behind a pool handle.
pub(crate) struct Shared<M: Manager, S: Store<Item<M::Resource>>> {
    pub(crate) manager: M,
    pub(crate) config: Config,
    store: S,
    state: Mutex<State<S::Locked, Item<M::Resource>>>,
    wakers: [Condvar; STRIPES],
    /// Notified when the pool is closed and its last slot frees.
    drained: Condvar,
    /// Notified when a sweep ends.
    sweep_ended: Condvar,
    /// Waiter count plus `CLOSED` and `STARVING`; see the module notes.
    signal: AtomicUsize,
    /// Gets served with an idle resource.
    idle_gets: AtomicU64,
    /// Bumped by `reset`: older resources are dropped when released.
    generation: AtomicU64,
    /// Seed and draw count for lifetime jitter.
    jitter_seed: std::collections::hash_map::RandomState,
    jitter_draws: AtomicU64,
    /// Wakes the maintenance thread early when the pool closes or drops.
    pub(crate) ticker: Arc<Ticker>,
    /// What items' expiry and idle times count from.
    epoch: Instant,
}

type Locked<'a, M, S> = MutexGuard<
    'a,
    State<<S as Store<Item<<M as Manager>::Resource>>>::Locked, Item<<M as Manager>::Resource>>,
>;

impl<M: Manager, S: Store<Item<M::Resource>>> Shared<M, S> {
    /// The engine for a checked config; a `BuildError` if the idle store
    /// for `max_size` resources cannot be allocated (rather than an abort).
    pub(crate) fn new(manager: M, config: Config) -> Result<Self, BuildError> {
        let (store, idle) = S::with_capacity(config.max_size).ok_or_else(|| {
            BuildError::new(
                "max_size",
                "the idle store for this many resources could not be allocated",
            )
        })?;
        Ok(Self {
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
                counters: Counters::default(),
                backoff: Duration::ZERO,
                retry_at: None,
                sweeper: None,
                sweeps: 0,
            }),
            wakers: std::array::from_fn(|_| Condvar::new()),
            drained: Condvar::new(),
            sweep_ended: Condvar::new(),
            signal: AtomicUsize::new(0),
            idle_gets: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            jitter_seed: Default::default(),
            jitter_draws: AtomicU64::new(0),
            ticker: Arc::new(Ticker::new()),
            epoch: now(),
        })
    }

    /// Nanoseconds from the pool's epoch to `at`, as items keep their expiry
    /// and idle times.
    #[inline]
    fn nanos(&self, at: Instant) -> u64 {
        nanos_between(self.epoch, at)
    }

    /// When an item was created.
    pub(crate) fn created_at(&self, item: &Item<M::Resource>) -> Instant {
        item.created
    }

    /// Wraps a newly created resource: its creation time, the reset
    /// generation read before its create started, and, if the pool tracks
    /// time, its expiry drawn once now (uniformly
    /// `max_lifetime - [0, jitter]`) and the start of its idle time.
    fn new_item(&self, resource: M::Resource, generation: u64) -> Item<M::Resource> {
        use std::hash::BuildHasher;
        let created_at = now();
        if !self.tracks_time() {
            return Item {
                resource,
                uses: 0,
                created: created_at,
                expires_at: u64::MAX,
                idle_since: 0,
                generation: generation_tag(generation),
                swept: 0,
            };
        }
        let created_nanos = self.nanos(created_at);
        let expires_at = self.config.max_lifetime.map_or(u64::MAX, |lifetime| {
            let lifetime = u64::try_from(lifetime.as_nanos()).unwrap_or(u64::MAX);
            // At most u64::MAX - 1 nanoseconds (about 584 years), so the
            // draw's range below cannot overflow.
            let jitter = self
                .config
                .lifetime_jitter
                .as_nanos()
                .min(u128::from(u64::MAX - 1)) as u64;
            let drawn = if jitter == 0 {
                0
            } else {
                let draw = self.jitter_draws.fetch_add(1, Ordering::Relaxed);
                self.jitter_seed.hash_one(draw) % (jitter + 1)
            };
            created_nanos.saturating_add(lifetime.saturating_sub(drawn))
        });
        Item {
            resource,
            uses: 0,
            created: created_at,
            expires_at,
            idle_since: created_nanos,
            generation: generation_tag(generation),
            swept: 0,
        }
    }

    /// The current reset generation.
    #[inline]
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Whether an item was created before the last `reset`.
    #[inline]
    fn stale(&self, item: &Item<M::Resource>) -> bool {
        item.generation != generation_tag(self.generation())
    }

    /// Whether the pool tracks time per resource at all (lifetime or idle
    /// timeout set); without, no path reads the clock for it.
    fn tracks_time(&self) -> bool {
        self.config.max_lifetime.is_some() || self.config.idle_timeout.is_some()
    }

    /// Whether an item is past its lifetime at `now`.
    fn expired(&self, item: &Item<M::Resource>, now: Instant) -> bool {
        item.expires_at != u64::MAX && self.nanos(now) >= item.expires_at
    }

    /// How long an item has been idle at `now`.
    fn idle_for(&self, item: &Item<M::Resource>, now: Instant) -> Duration {
        Duration::from_nanos(self.nanos(now).saturating_sub(item.idle_since))
    }

    /// Drops a resource, then frees its slot (also if the drop panics).
    pub(crate) fn destroy(&self, item: Item<M::Resource>, why: Retire) {
        let _slot = Reservation {
            shared: self,
            creating: false,
            why,
        };
        drop(item);
    }

    /// Frees a slot, counts why, and wakes a waiter for it.
    pub(crate) fn free_slot(&self, creating: bool, why: Retire) {
        let mut state = self.state.lock();
        state.size -= 1;
        if creating {
            state.creating -= 1;
        }
        let counters = &mut state.counters;
        match why {
            Retire::Broken => counters.closed_broken += 1,
            Retire::RecycleFailed => {
                counters.recycle_failed += 1;
                counters.closed_broken += 1;
            }
            Retire::Expired => counters.closed_expired += 1,
            Retire::IdleTimeout => counters.closed_idle += 1,
            Retire::Discarded => counters.discarded += 1,
            Retire::Detached => counters.detached += 1,
            Retire::CreateFailed => counters.create_failed += 1,
            Retire::Unused => {}
        }
        if state.closed && state.size == 0 {
            self.drained.notify_all();
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
            // The last waiter may have left by timing out: no one starves.
            self.set_starving(state, false);
            let unplaced = incoming.and_then(|item| self.store.push(&mut state.idle, item).err());
            return (wake, unplaced);
        }
        let current = now();
        // Starvation mode: grant straight to the oldest unserved waiter.
        while let Some(oldest) = state.waiters.first_unserved() {
            let overdue = current.saturating_duration_since(oldest.since) >= STARVATION_BOUND;
            if !state.starving && !overdue {
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
            if let Some(oldest) = state.waiters.first_unserved() {
                oldest.grant = Some(grant);
                wake.add(oldest.ticket);
            }
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

    pub(crate) fn is_closed(&self) -> bool {
        self.signal.load(Ordering::Acquire) & CLOSED != 0
    }

    pub(crate) fn status(&self) -> Status {
        let state = self.state.lock();
        let idle = self.store.len(&state.idle);
        let counters = &state.counters;
        Status {
            max_size: self.config.max_size,
            size: state.size,
            idle,
            in_use: state.size.saturating_sub(idle + state.creating),
            waiting: state.waiters.len(),
            gets: counters.create_gets + self.idle_gets.load(Ordering::Relaxed),
            gets_waited: counters.gets_waited,
            gets_timed_out: counters.gets_timed_out,
            wait_time: counters.wait_time,
            created: counters.created,
            create_failed: counters.create_failed,
            recycle_failed: counters.recycle_failed,
            closed_broken: counters.closed_broken,
            closed_expired: counters.closed_expired,
            closed_idle: counters.closed_idle,
            discarded: counters.discarded,
            detached: counters.detached,
        }
    }
}

impl<M: Manager, S: Store<Item<M::Resource>>> Drop for Shared<M, S> {
    fn drop(&mut self) {
        // Idle resources drop with the store; nothing else is alive: guards
        // and waiters hold a handle. Stop the maintenance thread promptly.
        self.ticker.stop();
    }
}

/// A taken slot. Dropping it frees the slot, so a create or a resource drop
/// that panics still gives its slot back.
#[must_use]
pub(crate) struct Reservation<'a, M: Manager, S: Store<Item<M::Resource>>> {
    shared: &'a Shared<M, S>,
    /// The slot has no resource yet (a create is under way).
    creating: bool,
    /// Counted when the slot frees.
    why: Retire,
}

impl<M: Manager, S: Store<Item<M::Resource>>> Reservation<'_, M, S> {
    /// The slot now belongs to a resource handed out.
    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl<M: Manager, S: Store<Item<M::Resource>>> Drop for Reservation<'_, M, S> {
    fn drop(&mut self) {
        self.shared.free_slot(self.creating, self.why);
    }
}

/// A resource on its way through a manager callback, left where it lies (in
/// a guard's slot): if the callback panics or the resource is not kept, it is
/// taken out and destroyed (counted as `why`), and its slot freed.
struct Doomed<'a, 'b, M: Manager, S: Store<Item<M::Resource>>> {
    shared: &'a Shared<M, S>,
    slot: &'b mut Option<Item<M::Resource>>,
    why: Retire,
}

impl<'a, 'b, M: Manager, S: Store<Item<M::Resource>>> Doomed<'a, 'b, M, S> {
    fn new(shared: &'a Shared<M, S>, slot: &'b mut Option<Item<M::Resource>>, why: Retire) -> Self {
        Self { shared, slot, why }
    }

    fn item_mut(&mut self) -> &mut Item<M::Resource> {
        match self.slot {
            Some(item) => item,
            None => unreachable!("a doomed slot holds its item until kept"),
        }
    }

    /// Keeps the resource where it is.
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl<M: Manager, S: Store<Item<M::Resource>>> Drop for Doomed<'_, '_, M, S> {
    fn drop(&mut self) {
        if let Some(item) = self.slot.take() {
            self.shared.destroy(item, self.why);
        }
    }
}
