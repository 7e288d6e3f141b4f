//! Closing and dropping: waiters wake with `Closed`, idle resources are
//! dropped, guards released later drop their resource, nothing is created
//! after close, and a guard dropped during a panic drops its resource.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::{Duration, Instant};

use common::{eventually, expect_panic, pool, TestPool};
use zeropool::Error;

fn close_drops_idle_and_later_releases<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    let guards: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    let mut guards = guards.into_iter();
    drop(guards.next());
    drop(guards.next());
    pool.close();
    assert!(pool.is_closed());
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        2,
        "idle resources dropped"
    );
    drop(guards);
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        3,
        "the late release dropped"
    );
    assert_eq!(pool.status().size, 0);
    pool.close(); // idempotent
    assert!(pool.is_closed());
}

fn nothing_is_created_after_close<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.close();
    assert!(matches!(pool.get(), Err(Error::Closed)));
    assert!(matches!(pool.try_get(), Err(Error::Closed)));
    assert!(matches!(pool.get_owned(), Err(Error::Closed)));
    assert!(matches!(
        pool.get_timeout(Duration::from_secs(1)),
        Err(Error::Closed)
    ));
    assert_eq!(manager.counters.create_calls.load(SeqCst), 0);
}

fn close_wakes_waiters_at_once<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let held = pool.get().unwrap();
    thread::scope(|scope| {
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let started = Instant::now();
                    let outcome = pool.get_timeout(Duration::from_secs(30)).map(|_| ());
                    (outcome, started.elapsed())
                })
            })
            .collect();
        eventually("three waiters", || pool.status().waiting == 3);
        pool.close();
        for waiter in waiters {
            let (outcome, waited) = waiter.join().unwrap();
            assert!(matches!(outcome, Err(Error::Closed)));
            assert!(
                waited < Duration::from_secs(10),
                "woken by close, not by the timeout"
            );
        }
    });
    drop(held);
    assert_eq!(manager.counters.alive(), 0);
}

fn a_create_finishing_after_close_is_dropped<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    manager.behaviour.create_delay_ms.store(100, SeqCst);
    thread::scope(|scope| {
        let creator = scope.spawn(|| pool.get().map(|_| ()));
        eventually("the create to start", || pool.status().size == 1);
        pool.close();
        assert!(matches!(creator.join().unwrap(), Err(Error::Closed)));
    });
    assert_eq!(manager.counters.alive(), 0);
    assert_eq!(pool.status().size, 0);
}

fn a_guard_dropped_while_panicking_drops_its_resource<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let message = expect_panic(|| {
        let _guard = pool.get().unwrap();
        panic!("user code panicked");
    });
    assert_eq!(message, "user code panicked");
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        1,
        "not returned to the pool"
    );
    assert_eq!(pool.status().size, 0);
    assert_eq!(manager.counters.broken_calls.load(SeqCst), 0);
    assert_eq!(pool.get().unwrap().id, 1);
}

both!(
    close_drops_idle_and_later_releases,
    nothing_is_created_after_close,
    close_wakes_waiters_at_once,
    a_create_finishing_after_close_is_dropped,
    a_guard_dropped_while_panicking_drops_its_resource,
);
