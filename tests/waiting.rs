//! Waiting: no starvation, no resource lost to a timeout racing a handoff,
//! timeouts honoured, and `try_get` never waits.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use common::{assert_consistent, eventually, pool, TestPool};
use zeropool::Error;

/// Two threads hammer a pool of one; a third must still be served every
/// time, long before its generous timeout.
fn a_waiter_is_not_starved_by_barging_threads<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let stop = AtomicBool::new(false);
    let hammered = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !stop.load(SeqCst) {
                    let guard = pool.get_timeout(Duration::from_secs(30)).unwrap();
                    std::hint::black_box(&*guard);
                    drop(guard);
                    hammered.fetch_add(1, SeqCst);
                }
            });
        }
        eventually("the hammering threads to start", || {
            hammered.load(SeqCst) > 100
        });
        for _ in 0..50 {
            let served = pool.get_timeout(Duration::from_secs(10));
            assert!(served.is_ok(), "the waiter starved behind barging threads");
        }
        stop.store(true, SeqCst);
    });
    assert_consistent(&pool, &manager);
}

/// Once the oldest waiter has waited past the bound, a released resource is
/// handed to it directly: the releasing thread cannot take it back.
fn an_overdue_waiter_gets_the_next_release<P: TestPool>() {
    let (pool, _manager) = pool::<P>(1);
    let held = pool.get().unwrap();
    let checked = Barrier::new(2);
    thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            let served = pool.get_timeout(Duration::from_secs(10));
            // Hold the resource until the main thread has looked.
            checked.wait();
            served.map(|guard| guard.id)
        });
        eventually("the waiter to block", || pool.status().waiting == 1);
        thread::sleep(Duration::from_millis(20));
        drop(held);
        let barged = pool.try_get().unwrap().is_some();
        checked.wait();
        assert!(
            !barged,
            "the release went to idle, not to the overdue waiter"
        );
        assert!(matches!(waiter.join().unwrap(), Ok(0)));
    });
}

/// Waiters with tiny timeouts race releases; no resource is ever lost.
fn timeouts_racing_handoffs_lose_nothing<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let served = AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..4u64 {
            let (pool, served) = (&pool, &served);
            scope.spawn(move || {
                for round in 0..400u64 {
                    let timeout = Duration::from_micros((worker * 37 + round * 13) % 200);
                    if let Ok(guard) = pool.get_timeout(timeout) {
                        served.fetch_add(1, SeqCst);
                        if round % 3 == 0 {
                            thread::yield_now();
                        }
                        drop(guard);
                    }
                }
            });
        }
    });
    assert!(served.load(SeqCst) > 0);
    let status = pool.status();
    assert_eq!((status.waiting, status.in_use), (0, 0), "{status:?}");
    assert_eq!(status.idle, status.size, "{status:?}");
    assert!(
        pool.get_timeout(Duration::from_secs(5)).is_ok(),
        "the resource survived"
    );
    assert_eq!(
        manager.counters.created.load(SeqCst),
        1,
        "never lost, so never re-created"
    );
    assert_consistent(&pool, &manager);
}

fn get_timeout_waits_about_its_timeout<P: TestPool>() {
    let (pool, _manager) = pool::<P>(1);
    let _held = pool.get().unwrap();
    for millis in [1u64, 20, 100] {
        let timeout = Duration::from_millis(millis);
        let started = Instant::now();
        assert!(matches!(pool.get_timeout(timeout), Err(Error::Timeout)));
        let waited = started.elapsed();
        assert!(
            waited >= timeout,
            "returned after {waited:?}, before {timeout:?}"
        );
        assert!(
            waited < timeout + Duration::from_secs(2),
            "returned after {waited:?}"
        );
    }
    assert_eq!(pool.status().waiting, 0);
}

fn get_uses_the_configured_timeout<P: TestPool>() {
    let manager = common::TestManager::default();
    let pool = P::with(manager, 1, Duration::from_millis(30));
    let _held = pool.get().unwrap();
    let started = Instant::now();
    assert!(matches!(pool.get(), Err(Error::Timeout)));
    assert!(matches!(pool.get_owned(), Err(Error::Timeout)));
    assert!(started.elapsed() >= Duration::from_millis(60));
}

fn try_get_never_waits_even_with_waiters<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let held = pool.get().unwrap();
    thread::scope(|scope| {
        let waiter = scope.spawn(|| pool.get_timeout(Duration::from_secs(10)).is_ok());
        eventually("the waiter to block", || pool.status().waiting == 1);
        for _ in 0..100 {
            assert!(pool.try_get().unwrap().is_none());
        }
        drop(held);
        assert!(waiter.join().unwrap());
    });
    assert_eq!(manager.counters.create_calls.load(SeqCst), 1);
}

/// The deadline is checked before each further recycle: a get facing many
/// idle resources that fail recycle gives up near its timeout instead of
/// recycling them all.
fn a_deadline_stops_further_recycles<P: TestPool>() {
    let (pool, manager) = pool::<P>(20);
    pool.fill(20).unwrap();
    manager.behaviour.fail_recycle.store(true, SeqCst);
    // Every recycle (and every drop) now takes at least 20 ms.
    *manager.behaviour.hook.lock().unwrap() = Some(std::sync::Arc::new(|| {
        thread::sleep(Duration::from_millis(20))
    }));
    assert!(matches!(
        pool.get_timeout(Duration::from_millis(100)),
        Err(Error::Timeout)
    ));
    // The deadline starts at the first failure; each further recycle and
    // drop takes 40 ms or more, so at most 1 + 100 / 40 + 1 run.
    let recycled = manager.counters.recycle_calls.load(SeqCst);
    assert!(
        (2..=4).contains(&recycled),
        "{recycled} recycles for a 100 ms deadline"
    );
    let status = pool.status();
    assert_eq!(status.idle, 20 - recycled, "{status:?}");
    assert_eq!(status.gets_timed_out, 1, "{status:?}");
}

both!(
    a_waiter_is_not_starved_by_barging_threads,
    an_overdue_waiter_gets_the_next_release,
    timeouts_racing_handoffs_lose_nothing,
    get_timeout_waits_about_its_timeout,
    get_uses_the_configured_timeout,
    try_get_never_waits_even_with_waiters,
    a_deadline_stops_further_recycles,
);
