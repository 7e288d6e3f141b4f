//! Model 5: a release while one thread waits and a third arrives: nothing is
//! lost and both are served. With the manual clock moved past the starvation
//! bound, the overdue waiter is served before the newcomer.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use super::support::{assert_quiet, both, model, pool, ModelPool};
use crate::shared::STARVATION_BOUND;
use crate::sync::{advance_clock, Arc};

fn a_release_serves_a_waiter_and_a_newcomer<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(1);
        let held = pool.get().unwrap();
        let waiter = pool.clone();
        let waiting = loom::thread::spawn(move || drop(waiter.get().unwrap()));
        let newcomer = pool.clone();
        let arriving = loom::thread::spawn(move || drop(newcomer.get().unwrap()));
        drop(held);
        waiting.join().unwrap();
        arriving.join().unwrap();
        assert_quiet(&pool);
        assert_eq!(pool.status().size, 1, "nothing was lost or re-created");
    });
}

/// The waiter is queued and overdue before the release; a newcomer racing the
/// release must not be served first.
fn an_overdue_waiter_goes_first<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(1);
        let order = Arc::new(AtomicUsize::new(0));
        let held = pool.get().unwrap();
        let (waiter, waiter_order) = (pool.clone(), order.clone());
        let waiting = loom::thread::spawn(move || {
            let guard = waiter.get().unwrap();
            let turn = waiter_order.fetch_add(1, SeqCst);
            drop(guard);
            turn
        });
        // Wait until the waiter is queued, then let it become overdue.
        while pool.status().waiting == 0 {
            loom::thread::yield_now();
        }
        advance_clock(STARVATION_BOUND + Duration::from_millis(1));
        let (newcomer, newcomer_order) = (pool.clone(), order.clone());
        let arriving = loom::thread::spawn(move || {
            let guard = newcomer.get().unwrap();
            let turn = newcomer_order.fetch_add(1, SeqCst);
            drop(guard);
            turn
        });
        drop(held);
        assert_eq!(
            waiting.join().unwrap(),
            0,
            "the overdue waiter was served first"
        );
        assert_eq!(arriving.join().unwrap(), 1);
        assert_quiet(&pool);
    });
}

both!(
    a_release_serves_a_waiter_and_a_newcomer,
    an_overdue_waiter_goes_first
);
