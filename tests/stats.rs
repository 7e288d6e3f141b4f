//! Statistics: every counter in `Status`, each dropped resource counted once
//! in the first class that fits, and the accounting identity when quiet.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{assert_identity, custom, eventually, expect_panic, pool, TestPool};
use zeropool::{Error, Pooled};

fn gets_and_waits_are_counted<P: TestPool>() {
    let (pool, _manager) = pool::<P>(1);
    for _ in 0..5 {
        drop(pool.get().unwrap());
    }
    drop(pool.try_get().unwrap());
    assert!(pool.try_get().unwrap().is_some());
    let status = pool.status();
    assert_eq!(
        (status.gets, status.gets_waited, status.created),
        (7, 0, 1),
        "{status:?}"
    );

    let held = pool.get().unwrap();
    assert!(matches!(
        pool.get_timeout(Duration::from_millis(20)),
        Err(Error::Timeout)
    ));
    thread::scope(|scope| {
        let waiter = scope.spawn(|| pool.get_timeout(Duration::from_secs(10)).is_ok());
        eventually("the waiter to block", || pool.status().waiting == 1);
        thread::sleep(Duration::from_millis(20));
        drop(held);
        assert!(waiter.join().unwrap());
    });
    let status = pool.status();
    assert_eq!(status.gets, 9, "{status:?}");
    assert_eq!(status.gets_waited, 2, "{status:?}");
    assert_eq!(status.gets_timed_out, 1, "{status:?}");
    assert!(status.wait_time >= Duration::from_millis(40), "{status:?}");
    assert_identity(&status);
}

fn a_get_counts_once_whatever_it_dropped_on_the_way<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    pool.fill(2).unwrap();
    // Both idle resources fail recycle; the get then creates a third.
    manager.behaviour.fail_recycle.store(true, SeqCst);
    drop(pool.get().unwrap());
    manager.behaviour.fail_recycle.store(false, SeqCst);
    let status = pool.status();
    assert_eq!((status.gets, status.recycle_failed), (1, 2), "{status:?}");
    // Idle resources made before a reset are dropped, not handed out.
    let held = pool.get().unwrap();
    pool.reset();
    drop(held);
    assert!(pool.try_get().unwrap().is_none());
    drop(pool.get().unwrap());
    let status = pool.status();
    assert_eq!((status.gets, status.created), (3, 4), "{status:?}");
    assert_identity(&status);
}

fn every_drop_class_is_counted_once<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(8).max_lifetime(Duration::from_millis(40)));
    // broken: has_broken, failed recycle, release during a panic
    let mut guard = pool.get().unwrap();
    guard.broken = true;
    drop(guard);
    drop(pool.get().unwrap());
    manager.behaviour.fail_recycle.store(true, SeqCst);
    drop(pool.get().unwrap()); // the idle one fails recycle; a new one is created
    manager.behaviour.fail_recycle.store(false, SeqCst);
    expect_panic(|| {
        let _guard = pool.get().unwrap();
        panic!("user code panicked");
    });
    // detached, discarded
    drop(Pooled::detach(pool.get().unwrap()));
    Pooled::discard(pool.get().unwrap());
    // create failure
    manager.behaviour.fail_creates.store(1, SeqCst);
    assert!(matches!(pool.get(), Err(Error::Create(_))));
    // expired
    let idle = pool.get().unwrap();
    drop(idle);
    thread::sleep(Duration::from_millis(80));
    pool.maintain();
    let status = pool.status();
    assert_eq!(status.closed_broken, 3, "{status:?}");
    assert_eq!(status.recycle_failed, 1, "{status:?}");
    assert_eq!(status.detached, 1, "{status:?}");
    assert_eq!(status.discarded, 1, "{status:?}");
    assert_eq!(status.create_failed, 1, "{status:?}");
    assert_eq!(status.closed_expired, 1, "{status:?}");
    assert_identity(&status);
    pool.close();
    assert_identity(&pool.status());
}

fn idle_timeout_and_close_are_counted<P: TestPool>() {
    let (pool, _manager) = custom::<P>(|b| b.max_size(4).idle_timeout(Duration::from_millis(20)));
    pool.fill(3).unwrap();
    thread::sleep(Duration::from_millis(50));
    pool.maintain();
    assert_eq!(pool.status().closed_idle, 3);
    pool.fill(2).unwrap();
    pool.retain(|_| false);
    pool.fill(1).unwrap();
    pool.reset();
    pool.fill(1).unwrap();
    pool.close();
    let status = pool.status();
    assert_eq!(
        status.discarded, 4,
        "retain 2, reset 1, close 1: {status:?}"
    );
    assert_eq!(status.size, 0);
    assert_identity(&status);
}

/// Counters never go down, and the identity holds once quiet, under load.
fn counters_are_monotonic_under_load<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    manager.behaviour.create_delay_ms.store(1, SeqCst);
    thread::scope(|scope| {
        let pool = &pool;
        for worker in 0..4 {
            scope.spawn(move || {
                for round in 0..100 {
                    if let Ok(guard) = pool.get_timeout(Duration::from_millis(5)) {
                        if (worker + round) % 7 == 0 {
                            Pooled::discard(guard);
                        }
                    }
                }
            });
        }
        let mut last = pool.status();
        for _ in 0..200 {
            let now = pool.status();
            assert!(now.gets >= last.gets && now.created >= last.created);
            assert!(now.gets_waited >= last.gets_waited && now.discarded >= last.discarded);
            assert!(now.wait_time >= last.wait_time);
            assert!(
                now.idle + now.in_use <= now.size && now.size <= now.max_size,
                "{now:?}"
            );
            last = now;
        }
    });
    assert_identity(&pool.status());
}

/// Runs `hook` in the manager only on the thread that calls `mark`.
fn on_one_thread(
    manager: &common::TestManager,
    hook: impl Fn() + Send + Sync + 'static,
) -> impl Fn() + Send + Sync {
    let chosen = Arc::new(Mutex::new(None));
    let armed = chosen.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        if *chosen.lock().unwrap() == Some(thread::current().id()) {
            hook();
        }
    }));
    move || *armed.lock().unwrap() = Some(thread::current().id())
}

fn a_wait_ended_by_close_counts_the_wait_not_the_drop<P: TestPool>() {
    // The waiter is granted the released resource (it is overdue), then
    // finds the pool closed and drops it: the drop is slow, then panics.
    // The wait is counted, the drop is not, and the panic loses neither.
    // Whether close lands before the waiter takes its grant is up to the
    // scheduler, so the test tries until it does (almost always at once).
    for _ in 0..20 {
        let (pool, manager) = pool::<P>(1);
        // The waiter's first callback: the drop if the close came first,
        // else the recycle (then the drop it leads to must not panic again).
        let first = AtomicBool::new(true);
        let mark = on_one_thread(&manager, move || {
            if first.swap(false, SeqCst) {
                thread::sleep(Duration::from_millis(400));
                panic!("the granted resource's drop panics");
            }
        });
        let held = pool.get().unwrap();
        let outcome = thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                mark();
                catch_unwind(AssertUnwindSafe(|| pool.get().map(drop)))
            });
            eventually("the waiter to block", || pool.status().waiting == 1);
            thread::sleep(Duration::from_millis(60));
            drop(held);
            pool.close();
            waiter.join().unwrap()
        });
        if outcome.is_ok() || manager.counters.recycle_calls.load(SeqCst) > 0 {
            // The waiter took its grant before the close.
            continue;
        }
        let status = pool.status();
        assert_eq!(
            (status.size, manager.counters.alive()),
            (0, 0),
            "{status:?}"
        );
        assert_eq!(status.discarded, 1, "{status:?}");
        assert!(status.wait_time >= Duration::from_millis(50), "{status:?}");
        assert!(status.wait_time < Duration::from_millis(350), "{status:?}");
        return;
    }
    panic!("the close never came before the waiter took its grant");
}

fn a_timeout_after_a_failed_recycle_is_counted<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    // The waiter's recycle takes longer than its timeout, then fails.
    let mark = on_one_thread(&manager, || thread::sleep(Duration::from_millis(300)));
    let held = pool.get().unwrap();
    thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            mark();
            pool.get_timeout(Duration::from_millis(200)).map(drop)
        });
        eventually("the waiter to block", || pool.status().waiting == 1);
        manager.behaviour.fail_recycle.store(true, SeqCst);
        drop(held);
        assert!(matches!(waiter.join().unwrap(), Err(Error::Timeout)));
    });
    let status = pool.status();
    assert_eq!(status.recycle_failed, 1, "{status:?}");
    assert_eq!(status.gets_timed_out, 1, "{status:?}");
    assert_identity(&status);
}

both!(
    gets_and_waits_are_counted,
    a_get_counts_once_whatever_it_dropped_on_the_way,
    every_drop_class_is_counted_once,
    idle_timeout_and_close_are_counted,
    counters_are_monotonic_under_load,
    a_wait_ended_by_close_counts_the_wait_not_the_drop,
    a_timeout_after_a_failed_recycle_is_counted,
);
