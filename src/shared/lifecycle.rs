//! The pool's life beyond get and release: closing (and waiting for the
//! lent resources), resetting, retaining, pre-filling, and the maintenance
//! pass that retires expired and long-idle resources and keeps `min_idle`.
//!
//! # Implementation notes
//!
//! A sweep visits each idle resource once, oldest first, taking it out under
//! the lock and judging it outside the lock; no list is allocated. One sweep
//! runs at a time: `retain` waits for a running one, a maintenance pass
//! skips its sweep. The stack puts a resource it keeps back where it was
//! (see `Stack`), so its order holds. The channel can only put it at the
//! young end: after one round its order is as before, except that what was
//! released meanwhile is now ahead of what the sweep judged. A sweep has a
//! number and marks what it judged with it: when gets take some of the
//! channel's resources meanwhile, a judged one comes round again before
//! the sweep's rounds are up, and the mark ends the sweep there instead of
//! judging it twice. A resource out for judging still holds its slot, so
//! capacity is never exceeded; concurrent gets simply do not see it
//! meanwhile. Resources lent out are never touched: they are judged when
//! released.

use std::time::Duration;

use super::{Doomed, Item, Retire, Shared, Store, CLOSED};
use crate::pool::GetResult;
use crate::sync::{current_thread, fence, now, Ordering};
use crate::{Error, Manager};

/// The first back-off after a failed create in the maintenance pass.
const BACKOFF_START: Duration = Duration::from_millis(10);
/// The longest back-off.
const BACKOFF_CAP: Duration = Duration::from_secs(5);

impl<M: Manager, S: Store<Item<M::Resource>>> Shared<M, S> {
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
        self.ticker.stop();
        self.drain_idle();
    }

    /// Closes, then waits until every lent resource came back and was
    /// dropped. False if `timeout` passed first.
    pub(crate) fn close_and_wait(&self, timeout: Duration) -> bool {
        self.close();
        let deadline = now().checked_add(timeout);
        let mut state = self.state.lock();
        while state.size > 0 {
            let remaining = match deadline {
                None => None,
                Some(deadline) => {
                    let current = now();
                    if current >= deadline {
                        return false;
                    }
                    Some(deadline.saturating_duration_since(current))
                }
            };
            state = self.drained.wait(state, remaining);
        }
        true
    }

    /// Drops the resources idle now, one at a time, outside the lock. A
    /// resource whose drop panics does not stop the others from being
    /// dropped; the first panic is raised again once all are gone.
    pub(super) fn drain_idle(&self) {
        let mut first_panic = None;
        for _ in 0..self.config.max_size {
            let item = {
                let mut state = self.state.lock();
                self.store.pop(&mut state.idle)
            };
            let Some(item) = item else { break };
            let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.destroy(item, Retire::Discarded)
            }));
            if let Err(panic) = dropped {
                first_panic.get_or_insert(panic);
            }
        }
        if let Some(panic) = first_panic {
            std::panic::resume_unwind(panic);
        }
    }

    /// Drops every idle resource now; lent ones are dropped when released.
    pub(crate) fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.drain_idle();
    }

    /// Drops the idle resources for which `keep` is false.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&mut M::Resource) -> bool) {
        if let Some(turn) = self.sweep_turn(true) {
            turn.sweep(|item, _| (!keep(&mut item.resource)).then_some(Retire::Discarded));
        }
    }

    /// Makes the calling thread the pool's one sweeper, waiting for a sweep
    /// already running if `wait` (else `None`). A `retain` called from
    /// inside a sweep on the same thread would wait for itself: it panics.
    fn sweep_turn(&self, wait: bool) -> Option<SweepTurn<'_, M, S>> {
        let me = current_thread();
        let mut state = self.state.lock();
        loop {
            match state.sweeper {
                None => {
                    state.sweeper = Some(me);
                    // Numbered from 1: 0 marks a resource no sweep judged.
                    state.sweeps = state.sweeps.checked_add(1).unwrap_or(1);
                    let pass = state.sweeps;
                    return Some(SweepTurn { shared: self, pass });
                }
                Some(_) if !wait => return None,
                Some(sweeper) if sweeper == me => {
                    drop(state);
                    panic!("zeropool: `retain` called from inside a sweep (`retain`'s `keep`, or a drop during one) of the same pool");
                }
                Some(_) => state = self.sweep_ended.wait(state, None),
            }
        }
    }

    /// Ends a sweep: the next may start.
    fn end_sweep(&self) {
        self.state.lock().sweeper = None;
        self.sweep_ended.notify_all();
    }

    /// One maintenance pass: drops idle resources past their lifetime or idle
    /// timeout (never taking idle below `min_idle` for the idle timeout),
    /// then creates until `min_idle` are idle, backing off after failures.
    /// The sweep is skipped while another runs (a `retain`).
    pub(crate) fn maintain(&self) {
        self.maintain_while(|| true);
    }

    /// [`maintain`](Self::maintain), creating only while `wanted` holds (the
    /// maintenance thread stops creating once no handle but its own is left).
    pub(crate) fn maintain_while(&self, wanted: impl Fn() -> bool) {
        if self.is_closed() {
            return;
        }
        if let Some(turn) = self.tracks_time().then(|| self.sweep_turn(false)).flatten() {
            let current = now();
            let (min_idle, idle_timeout) = (self.config.min_idle, self.config.idle_timeout);
            turn.sweep(|item, idle_left| {
                if self.expired(item, current) {
                    return Some(Retire::Expired);
                }
                let idle_for = self.idle_for(item, current);
                match idle_timeout {
                    Some(timeout) if idle_left >= min_idle && idle_for >= timeout => {
                        Some(Retire::IdleTimeout)
                    }
                    _ => None,
                }
            });
        }
        self.replenish(wanted);
    }

    /// Creates until `min_idle` resources are idle (or `max_size` is
    /// reached), unless a failed create's back-off has not passed.
    fn replenish(&self, wanted: impl Fn() -> bool) {
        while wanted() {
            let reservation = {
                let mut state = self.state.lock();
                if state.closed || state.retry_at.is_some_and(|at| now() < at) {
                    return;
                }
                let idle = self.store.len(&state.idle);
                if idle + state.creating >= self.config.min_idle
                    || state.size >= self.config.max_size
                {
                    return;
                }
                self.reserve(&mut state)
            };
            // A panicking create backs off like a failed one, then unwinds.
            let created = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.create(reservation, false)
            }));
            match created {
                Ok(Ok(item)) => {
                    let mut state = self.state.lock();
                    state.backoff = Duration::ZERO;
                    state.retry_at = None;
                    drop(state);
                    self.put_back(item);
                }
                Ok(Err(Error::Create(_))) => return self.back_off(),
                Ok(Err(_)) => return,
                Err(panic) => {
                    self.back_off();
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }

    /// After a failed create: doubles the maintenance pass's back-off and
    /// starts it.
    fn back_off(&self) {
        let mut state = self.state.lock();
        state.backoff = (state.backoff * 2).clamp(BACKOFF_START, BACKOFF_CAP);
        state.retry_at = now().checked_add(state.backoff);
    }

    /// Creates on this thread until at least `n` resources are idle, or the
    /// pool is full.
    pub(crate) fn fill(&self, n: usize) -> GetResult<(), M> {
        let target = n.min(self.config.max_size);
        loop {
            let reservation = {
                let mut state = self.state.lock();
                if state.closed {
                    return Err(Error::Closed);
                }
                if self.store.len(&state.idle) >= target || state.size >= self.config.max_size {
                    return Ok(());
                }
                self.reserve(&mut state)
            };
            let item = self.create(reservation, false)?;
            self.put_back(item);
        }
    }
}

/// The pool's one sweep running, on this thread; ended when dropped (also
/// by a panic).
struct SweepTurn<'a, M: Manager, S: Store<Item<M::Resource>>> {
    shared: &'a Shared<M, S>,
    /// This sweep's number, which marks what it judged.
    pass: u32,
}

impl<M: Manager, S: Store<Item<M::Resource>>> Drop for SweepTurn<'_, M, S> {
    fn drop(&mut self) {
        self.shared.end_sweep();
    }
}

impl<M: Manager, S: Store<Item<M::Resource>>> SweepTurn<'_, M, S> {
    /// Visits each idle resource once; `verdict` (run outside the lock, given
    /// how many others stay idle) says why to drop it, or `None` to keep it.
    fn sweep(self, mut verdict: impl FnMut(&mut Item<M::Resource>, usize) -> Option<Retire>) {
        let (shared, pass) = (self.shared, self.pass);
        let rounds = {
            let mut state = shared.state.lock();
            shared.store.start_sweep(&mut state.idle);
            shared.store.len(&state.idle)
        };
        for _ in 0..rounds {
            let (mut item, idle_left) = {
                let mut state = shared.state.lock();
                if state.closed {
                    return;
                }
                let Some(item) = shared.store.take_swept(&mut state.idle) else {
                    return;
                };
                (item, shared.store.len(&state.idle))
            };
            if item.swept == pass {
                // Kept by this sweep and come round again (the channel puts
                // what it keeps at the young end): gets took some of the
                // others meanwhile, and every one idle at the start has been
                // judged.
                shared.return_swept(item);
                return;
            }
            item.swept = pass;
            // A panicking verdict drops the resource and frees its slot.
            let mut slot = Some(item);
            let mut doomed = Doomed::new(shared, &mut slot, Retire::Discarded);
            match verdict(doomed.item_mut(), idle_left) {
                Some(why) => {
                    doomed.why = why;
                    drop(doomed);
                }
                None => {
                    doomed.keep();
                    if let Some(item) = slot {
                        shared.return_swept(item);
                    }
                }
            }
        }
    }
}
