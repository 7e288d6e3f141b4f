//! Capacity: never more than `max_size` resources alive (counting ones being
//! created and dropped), and every freed slot wakes a waiter that may create.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::Duration;

use common::{assert_consistent, eventually, pool, TestPool};
use zeropool::{Error, Pooled};

/// Many threads mixing every way a resource leaves the pool, with slow creates
/// and slow drops, never exceed `max_size` (checked by the manager itself).
fn never_more_than_max_size_alive<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    manager.behaviour.create_delay_ms.store(1, SeqCst);
    manager.behaviour.drop_delay_ms.store(1, SeqCst);
    thread::scope(|scope| {
        for worker in 0..6usize {
            let pool = &pool;
            scope.spawn(move || {
                for round in 0..60usize {
                    let mut guard = match pool.get_timeout(Duration::from_secs(10)) {
                        Ok(guard) => guard,
                        Err(_) => panic!("no resource within 10 s"),
                    };
                    match (worker + round) % 5 {
                        0 => Pooled::discard(guard),
                        1 | 2 => guard.broken = true,
                        _ => drop(guard),
                    }
                }
            });
        }
    });
    assert!(manager.counters.peak_in_flight.load(SeqCst) <= 3);
    assert_consistent(&pool, &manager);
}

/// Holds the only slot on this thread while another thread waits, then frees
/// the slot with `free`; the waiter must be served.
/// `check_counts`: whether every resource is still the pool's afterwards.
fn waiter_is_served_after<P: TestPool>(
    check_counts: bool,
    free: impl FnOnce(&P, P::Guard<'_>),
) -> usize {
    let (pool, manager) = pool::<P>(1);
    let held = pool.get().unwrap();
    let created = thread::scope(|scope| {
        let waiter = scope.spawn(|| pool.get_timeout(Duration::from_secs(10)).map(|g| g.id));
        eventually("the waiter to block", || pool.status().waiting == 1);
        free(&pool, held);
        match waiter.join().unwrap() {
            Ok(id) => id,
            Err(Error::Timeout) => panic!("the waiter was never woken"),
            Err(_) => panic!("unexpected error"),
        }
    });
    if check_counts {
        assert_consistent(&pool, &manager);
    }
    created
}

fn discard_wakes_a_waiter<P: TestPool>() {
    assert_eq!(
        waiter_is_served_after::<P>(true, |_, guard| Pooled::discard(guard)),
        1
    );
}

fn detach_wakes_a_waiter<P: TestPool>() {
    assert_eq!(
        waiter_is_served_after::<P>(false, |_, guard| drop(Pooled::detach(guard))),
        1
    );
}

fn broken_release_wakes_a_waiter<P: TestPool>() {
    assert_eq!(
        waiter_is_served_after::<P>(true, |_, mut guard| {
            guard.broken = true;
            drop(guard);
        }),
        1
    );
}

fn release_wakes_a_waiter<P: TestPool>() {
    assert_eq!(waiter_is_served_after::<P>(true, |_, guard| drop(guard)), 0);
}

fn failed_recycle_wakes_a_waiter<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let held = pool.get().unwrap();
    manager.behaviour.fail_recycle.store(true, SeqCst);
    let id = thread::scope(|scope| {
        let waiter = scope.spawn(|| pool.get_timeout(Duration::from_secs(10)).map(|g| g.id));
        eventually("the waiter to block", || pool.status().waiting == 1);
        drop(held);
        waiter.join().unwrap().map_err(|_| "waiter failed")
    });
    assert_eq!(
        id,
        Ok(1),
        "recycle failed; the waiter created a new resource"
    );
    assert_consistent(&pool, &manager);
}

fn failed_create_wakes_a_waiter<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    manager.behaviour.create_delay_ms.store(200, SeqCst);
    manager.behaviour.fail_creates.store(1, SeqCst);
    thread::scope(|scope| {
        let creator = scope.spawn(|| pool.get().map(|g| g.id));
        eventually("the create to start", || pool.status().size == 1);
        let waiter = scope.spawn(|| pool.get_timeout(Duration::from_secs(10)).map(|g| g.id));
        eventually("the waiter to block", || pool.status().waiting == 1);
        assert!(matches!(creator.join().unwrap(), Err(Error::Create(_))));
        assert!(
            matches!(waiter.join().unwrap(), Ok(0)),
            "the waiter created after the failure"
        );
    });
    assert_consistent(&pool, &manager);
}

fn slot_is_free_only_after_drop_returns<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    manager.behaviour.drop_delay_ms.store(100, SeqCst);
    let guard = pool.get_owned().unwrap();
    thread::scope(|scope| {
        scope.spawn(|| Pooled::discard(guard));
        eventually("the drop to start", || pool.status().in_use == 1);
        // While the resource is being dropped its slot is still taken.
        let second = pool.get_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(manager.counters.dropped.load(SeqCst), 1);
        drop(second);
    });
    assert!(manager.counters.peak_in_flight.load(SeqCst) <= 1);
}

both!(
    never_more_than_max_size_alive,
    discard_wakes_a_waiter,
    detach_wakes_a_waiter,
    broken_release_wakes_a_waiter,
    release_wakes_a_waiter,
    failed_recycle_wakes_a_waiter,
    failed_create_wakes_a_waiter,
    slot_is_free_only_after_drop_returns,
);
