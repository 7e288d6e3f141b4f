//! Model 2: a get blocked on an exhausted pool is woken by every way a
//! resource or slot comes back: a release, a discard (the waiter creates), a
//! detach, a release reported broken, and another thread's failed create.

use std::sync::atomic::Ordering::SeqCst;

use super::support::{assert_quiet, both, model, pool, pool_with_limit, ModelPool};
use crate::{Error, Pooled};

/// The main thread frees its resource with `free` while another waits; the
/// manager accepts `limit` live tokens.
fn woken_by<P: ModelPool>(limit: usize, free: fn(&P, P::Guard<'_>)) {
    model(move || {
        let pool = pool_with_limit::<P>(1, limit);
        let held = pool.get().unwrap();
        let waiter = pool.clone();
        let thread = loom::thread::spawn(move || drop(waiter.get().unwrap()));
        free(&pool, held);
        thread.join().unwrap();
        assert_quiet(&pool);
    });
}

fn woken_by_release<P: ModelPool>() {
    woken_by::<P>(1, |_, guard| drop(guard));
}

fn woken_by_discard<P: ModelPool>() {
    woken_by::<P>(1, |_, guard| Pooled::discard(guard));
}

fn woken_by_detach<P: ModelPool>() {
    // The detached token is outside the pool from the moment detach frees
    // its slot, so two may be alive until it is counted out.
    woken_by::<P>(2, |_, guard| Pooled::detach(guard).disown());
}

fn woken_by_broken_release<P: ModelPool>() {
    woken_by::<P>(1, |pool, guard| {
        pool.manager().all_broken.store(true, SeqCst);
        drop(guard);
    });
}

/// One thread's create fails while another waits for its slot.
fn woken_by_failed_create<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(1);
        pool.manager().fail_next.store(true, SeqCst);
        let other = pool.clone();
        let thread = loom::thread::spawn(move || other.get().map(drop));
        let mine = pool.get().map(drop);
        let theirs = thread.join().unwrap();
        // Exactly one create failed; the other get was served.
        match (mine, theirs) {
            (Ok(()), Err(Error::Create(()))) | (Err(Error::Create(())), Ok(())) => {}
            _ => panic!("expected one failed create and one served get"),
        }
        assert_quiet(&pool);
    });
}

both!(
    woken_by_release,
    woken_by_discard,
    woken_by_detach,
    woken_by_broken_release,
    woken_by_failed_create,
);
