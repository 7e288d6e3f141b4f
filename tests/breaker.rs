//! Adversarial tests: panicking resource drops during close and reset, reset
//! racing a sweep, extreme builder settings, the maintenance thread after the
//! last handle is dropped, callbacks that close or re-enter the pool, and
//! stress with many threads and tiny timeouts.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::{assert_consistent, custom, eventually, expect_panic, pool, TestPool};
use zeropool::{Error, Pooled};

const MS: Duration = Duration::from_millis(1);

/// Installs a hook that panics in the next `n` callbacks or drops. Only use
/// it around code that runs resource drops alone.
fn panic_in_next_drops(manager: &common::TestManager, n: usize) {
    let left = Arc::new(AtomicUsize::new(n));
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        if left
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            panic!("resource drop panicked on purpose");
        }
    }));
}

// ---------------------------------------------------------------------------
// Bugs
// ---------------------------------------------------------------------------

/// Guarantee 9 says `close()` drops the idle resources. If one idle
/// resource's drop panics, `close` stops draining: the other idle resources
/// stay alive (and keep their slots) until the last handle is dropped, so
/// `close_and_wait` can never succeed.
fn a_panicking_drop_during_close_leaves_the_other_idle_resources_alive<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(3).unwrap();
    panic_in_next_drops(&manager, 1);
    let message = expect_panic(|| pool.close());
    assert!(message.contains("on purpose"), "{message}");
    manager.behaviour.hook.lock().unwrap().take();
    assert!(pool.is_closed());
    assert_eq!(
        manager.counters.alive(),
        0,
        "close left idle resources alive: {:?}",
        pool.status()
    );
    assert!(
        pool.close_and_wait(MS * 100),
        "nothing is lent, yet close_and_wait times out: {:?}",
        pool.status()
    );
}

/// `reset()` promises to drop every idle resource now. If one idle
/// resource's drop panics, the rest stay idle from the old generation, and
/// checkout never looks at the generation, so the next get hands a
/// pre-reset resource out.
fn a_panicking_drop_during_reset_leaves_stale_resources_to_hand_out<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(3).unwrap();
    panic_in_next_drops(&manager, 1);
    let message = expect_panic(|| pool.reset());
    assert!(message.contains("on purpose"), "{message}");
    manager.behaviour.hook.lock().unwrap().take();
    let got = pool.get().unwrap();
    assert!(
        got.id >= 3,
        "got resource {} created before reset(): {:?}",
        got.id,
        pool.status()
    );
}

/// A resource out for judging in `retain` (or in a maintenance sweep) when
/// `reset()` runs is not in the store, so reset misses it; the sweep then
/// puts it back without checking the generation, and checkout does not
/// check it either: after `reset()` returned, `get` hands out a resource
/// created before the reset.
fn reset_during_retain_keeps_a_stale_resource<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    pool.fill(1).unwrap();
    let judging = Arc::new(Barrier::new(2));
    let reset_done = Arc::new(Barrier::new(2));
    let sweeper = {
        let (pool, judging, reset_done) = (pool.clone(), judging.clone(), reset_done.clone());
        thread::spawn(move || {
            pool.retain(|_| {
                judging.wait();
                reset_done.wait();
                true
            });
        })
    };
    judging.wait();
    pool.reset();
    reset_done.wait();
    sweeper.join().unwrap();
    let got = pool.get().unwrap();
    assert_eq!(
        got.id,
        1,
        "resource {} survived reset() and was handed out (created {}, dropped {})",
        got.id,
        manager.counters.created.load(SeqCst),
        manager.counters.dropped.load(SeqCst)
    );
}

/// `lifetime_jitter(Duration::from_nanos(u64::MAX))` with a longer
/// `max_lifetime` passes validation, but drawing the jitter computes
/// `jitter + 1` in u64 and overflows: every create panics and the pool can
/// never hand anything out.
fn the_largest_jitter_breaks_every_create<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| {
        b.max_size(1)
            .max_lifetime(Duration::MAX)
            .lifetime_jitter(Duration::from_nanos(u64::MAX))
    });
    let result = catch_unwind(AssertUnwindSafe(|| pool.get().map(|guard| guard.id)));
    assert!(
        matches!(result, Ok(Ok(0))),
        "a valid configuration cannot create: {}",
        match result {
            Ok(Ok(_)) => "ok".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(panic) => panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        }
    );
    assert_consistent(&pool, &manager);
}

/// `max_size(usize::MAX)` (a natural way to say "unbounded") is accepted by
/// validation, then `build()` panics allocating the idle store instead of
/// returning a `BuildError`.
fn an_unbounded_max_size_is_a_build_error_not_a_panic<P: TestPool>() {
    let manager = common::TestManager::default();
    let built = catch_unwind(AssertUnwindSafe(|| {
        P::build(P::builder_for(manager).max_size(usize::MAX)).map(|_| ())
    }));
    match built {
        Ok(Ok(())) | Ok(Err(_)) => {}
        Err(_) => {
            panic!("build() panicked on max_size(usize::MAX) instead of returning a BuildError")
        }
    }
}

/// Guarantee 16: the maintenance thread "exits promptly when the pool is
/// closed or dropped". A pass holds a strong handle, and `replenish` never
/// looks at whether any user handle is left: after the last handle is
/// dropped mid-pass, it goes on creating up to `min_idle` resources nobody
/// can reach, one slow create after another.
fn maintenance_stops_creating_once_the_last_handle_is_dropped<P: TestPool>() {
    let (pool, manager) =
        custom::<P>(|b| b.max_size(4).min_idle(4).maintenance_interval(Some(MS * 5)));
    manager.behaviour.create_delay_ms.store(100, SeqCst);
    eventually("the maintenance pass started creating", || {
        manager.counters.create_calls.load(SeqCst) >= 1
    });
    drop(pool);
    let dropped_at = Instant::now();
    eventually("everything the pool made is dropped", || {
        manager.counters.alive() == 0 && manager.counters.in_flight.load(SeqCst) == 0
    });
    let calls = manager.counters.create_calls.load(SeqCst);
    assert!(
        calls <= 2,
        "{calls} creates for a pool with no handle left; its resources lived {:?} after the drop",
        dropped_at.elapsed()
    );
}

// ---------------------------------------------------------------------------
// Coverage: these pass
// ---------------------------------------------------------------------------

/// A resource whose drop panics, dropped by `discard`, by a broken release
/// and by expiry at checkout: each time the slot frees, the waiter is
/// served, and the counts stay consistent.
fn a_panicking_resource_drop_frees_its_slot_everywhere<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(1).max_lifetime(MS * 20));
    // discard
    let guard = pool.get().unwrap();
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || pool.get().map(|g| g.id).map_err(|e| e.to_string()))
    };
    eventually("the waiter queues", || pool.status().waiting == 1);
    panic_in_next_drops(&manager, 1);
    expect_panic(|| Pooled::discard(guard));
    manager.behaviour.hook.lock().unwrap().take();
    assert_eq!(
        waiter.join().unwrap(),
        Ok(1),
        "the freed slot went to the waiter"
    );
    // broken release
    let mut guard = pool.get().unwrap();
    guard.broken = true;
    // has_broken runs the hook first: let it pass, then panic in the drop.
    let calls = Arc::new(AtomicUsize::new(0));
    let hook_calls = calls.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        if hook_calls.fetch_add(1, SeqCst) == 1 {
            panic!("resource drop panicked on purpose");
        }
    }));
    expect_panic(|| drop(guard));
    manager.behaviour.hook.lock().unwrap().take();
    assert_eq!(pool.status().size, 0);
    // expiry at checkout
    drop(pool.get().unwrap());
    thread::sleep(MS * 30);
    panic_in_next_drops(&manager, 1);
    expect_panic(|| pool.get().map(|g| g.id));
    manager.behaviour.hook.lock().unwrap().take();
    let last = pool.get().unwrap();
    assert_eq!(last.id, 3);
    drop(last);
    // The test manager counts a drop only when it returns, so compare the
    // pool with itself: one resource left, every other one counted once.
    let status = pool.status();
    assert_eq!((status.size, status.idle), (1, 1), "{status:?}");
    assert_eq!(
        status.created,
        status.size as u64
            + status.closed_broken
            + status.closed_expired
            + status.closed_idle
            + status.discarded
            + status.detached,
        "{status:?}"
    );
}

/// `retain` whose `keep` panics: the resource being judged is dropped
/// (counted as discarded), the others are untouched, the pool stays usable.
fn retain_whose_keep_panics_drops_only_the_judged_resource<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(3).unwrap();
    let seen = AtomicUsize::new(0);
    expect_panic(|| {
        pool.retain(|_| {
            if seen.fetch_add(1, SeqCst) == 1 {
                panic!("keep panicked on purpose");
            }
            true
        })
    });
    let status = pool.status();
    assert_eq!(
        (status.size, status.idle, status.discarded),
        (2, 2, 1),
        "{status:?}"
    );
    assert_consistent(&pool, &manager);
    let (a, b, c) = (
        pool.get().unwrap(),
        pool.get().unwrap(),
        pool.get().unwrap(),
    );
    let mut ids = [a.id, b.id, c.id];
    ids.sort();
    assert_eq!(ids, [0, 2, 3], "the two kept, one new");
}

/// `close()` from inside `create`: the get that created gets `Closed`, the
/// new resource is dropped, nothing is left alive.
fn close_from_inside_create<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let hook_pool = pool.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || hook_pool.close()));
    assert!(matches!(pool.get(), Err(Error::Closed)));
    manager.behaviour.hook.lock().unwrap().take();
    assert_eq!(manager.counters.alive(), 0);
    assert!(pool.close_and_wait(MS * 100));
    assert_eq!(pool.status().size, 0);
}

/// `close()` from inside `has_broken` and from inside a resource drop run
/// by `close` itself (re-entrant close): no deadlock, nothing left alive.
fn close_from_inside_release_and_drop<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(2).unwrap();
    let guard = pool.get().unwrap();
    let hook_pool = pool.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || hook_pool.close()));
    drop(guard);
    manager.behaviour.hook.lock().unwrap().take();
    assert_eq!(manager.counters.alive(), 0, "{:?}", pool.status());
    assert!(pool.close_and_wait(MS * 100));
}

/// `recycle` that itself gets from the pool (pool of 2): the inner get
/// creates, the outer get gets the recycled resource.
fn recycle_may_get_from_the_pool<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    drop(pool.get().unwrap());
    let armed = Arc::new(AtomicBool::new(true));
    let (hook_pool, hook_armed) = (pool.clone(), armed.clone());
    let inner = Arc::new(AtomicUsize::new(usize::MAX));
    let hook_inner = inner.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        if hook_armed.swap(false, SeqCst) {
            let got = hook_pool.get_timeout(Duration::from_secs(5)).unwrap();
            hook_inner.store(got.id, SeqCst);
        }
    }));
    let outer = pool.get().unwrap();
    manager.behaviour.hook.lock().unwrap().take();
    assert_eq!((outer.id, inner.load(SeqCst)), (0, 1));
    drop(outer);
    assert_consistent(&pool, &manager);
    assert_eq!(pool.status().idle, 2);
}

/// Many threads, a pool of 2, timeouts of 0 to 3 ms racing releases and
/// handoffs, with broken releases and discards mixed in: nothing is lost,
/// the pool is never over capacity, and afterwards it is quiet and whole.
fn many_threads_with_tiny_timeouts_lose_nothing<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let pool = pool.clone();
            thread::spawn(move || {
                let mut served = 0;
                for i in 0..400usize {
                    let timeout = Duration::from_micros(((i * 7 + t * 13) % 4) as u64 * 1000);
                    match pool.get_timeout(timeout) {
                        Ok(mut guard) => {
                            served += 1;
                            match (i + t) % 23 {
                                0 => guard.broken = true,
                                1 => {
                                    Pooled::discard(guard);
                                    continue;
                                }
                                2 => thread::sleep(Duration::from_micros(300)),
                                _ => {}
                            }
                        }
                        Err(Error::Timeout) => {}
                        Err(e) => panic!("unexpected {e}"),
                    }
                }
                served
            })
        })
        .collect();
    let served: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(served > 0);
    let status = pool.status();
    assert_eq!(status.waiting, 0, "{status:?}");
    assert_eq!(status.in_use, 0, "{status:?}");
    assert_eq!(status.idle, status.size, "{status:?}");
    assert_consistent(&pool, &manager);
    assert_eq!(
        status.created,
        status.size as u64
            + status.closed_broken
            + status.closed_expired
            + status.closed_idle
            + status.discarded
            + status.detached,
        "{status:?}"
    );
    // And the pool still serves at once, up to max_size.
    let a = pool.try_get().unwrap();
    let b = pool.get_timeout(MS * 100).unwrap();
    assert!(a.is_some() || status.idle < 2);
    drop((a, b));
}

/// No lost wake-up under contention: with long timeouts, every get in a
/// hot loop on a pool of 1 is served (a timeout would mean a waiter slept
/// while the resource was idle or the slot free).
fn contended_gets_are_always_served<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let pool = pool.clone();
            thread::spawn(move || {
                for i in 0..1500usize {
                    let guard = pool
                        .get_timeout(Duration::from_secs(5))
                        .unwrap_or_else(|e| panic!("thread {t} get {i}: {e}"));
                    if (i + t) % 97 == 0 {
                        Pooled::discard(guard);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_consistent(&pool, &manager);
    assert_eq!(pool.status().waiting, 0);
}

/// `reset()` racing releases and gets from several threads: capacity holds
/// and the counts add up afterwards.
fn reset_retain_and_fill_racing_gets<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (pool, stop) = (pool.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(SeqCst) {
                    if let Ok(g) = pool.get_timeout(MS * 2) {
                        drop(g);
                    }
                }
            })
        })
        .collect();
    let lifecycle = {
        let pool = pool.clone();
        thread::spawn(move || {
            for i in 0..300 {
                match i % 3 {
                    0 => pool.reset(),
                    1 => pool.retain(|r| r.id % 2 == 0),
                    _ => pool.fill(2).unwrap(),
                }
            }
        })
    };
    lifecycle.join().unwrap();
    stop.store(true, SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    assert_consistent(&pool, &manager);
    let status = pool.status();
    assert_eq!((status.in_use, status.waiting), (0, 0), "{status:?}");
}

/// `maintain()` from several threads at once with a slow create: never
/// beyond `max_size`, and the pass stops at `min_idle`... or a little over
/// when a sweep holds one out, but never over `max_size`.
fn concurrent_maintain_respects_max_size<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| {
        b.max_size(3)
            .min_idle(3)
            .idle_timeout(MS * 5)
            .maintenance_interval(None)
    });
    manager.behaviour.create_delay_ms.store(2, SeqCst);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || {
                for _ in 0..30 {
                    pool.maintain();
                    if let Ok(g) = pool.get_timeout(MS) {
                        drop(g);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    pool.maintain();
    assert_consistent(&pool, &manager);
    assert_eq!(pool.status().idle, 3);
}

/// An `Owned` guard outliving every pool handle, released on another
/// thread while a maintenance thread runs: the pool's last reference goes
/// with the guard, and everything is dropped.
fn an_owned_guard_outliving_every_handle<P: TestPool>() {
    let (pool, manager) =
        custom::<P>(|b| b.max_size(2).min_idle(1).maintenance_interval(Some(MS * 2)));
    pool.fill(2).unwrap();
    let owned = pool.get_owned().unwrap();
    drop(pool);
    thread::sleep(MS * 10);
    thread::spawn(move || drop(owned)).join().unwrap();
    eventually("everything is dropped with the last guard", || {
        manager.counters.alive() == 0
    });
}

/// `close_and_wait` in one thread while guards come back from others, one
/// of them while its thread panics: returns true once all are dropped.
fn close_and_wait_with_releases_from_many_threads<P: TestPool>() {
    let (pool, manager) = pool::<P>(4);
    let guards: Vec<_> = (0..4).map(|_| pool.get_owned().unwrap()).collect();
    let releasers: Vec<_> = guards
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            thread::spawn(move || {
                thread::sleep(MS * (5 * i as u32 + 5));
                if i == 2 {
                    let _g = g;
                    panic!("released while panicking");
                }
                drop(g);
            })
        })
        .collect();
    assert!(pool.close_and_wait(Duration::from_secs(10)));
    assert_eq!(manager.counters.alive(), 0);
    for (i, r) in releasers.into_iter().enumerate() {
        assert_eq!(r.join().is_err(), i == 2);
    }
    assert_eq!(pool.status().closed_broken, 1);
}

/// `try_get` during starvation mode and while others wait: never blocks
/// for another thread, never creates.
fn try_get_never_blocks_while_others_wait<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let held = pool.get().unwrap();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || drop(pool.get_timeout(Duration::from_secs(5)).unwrap()))
        })
        .collect();
    eventually("three waiters, overdue", || pool.status().waiting == 3);
    thread::sleep(MS * 5);
    let started = Instant::now();
    for _ in 0..100 {
        assert!(pool.try_get().unwrap().is_none());
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(manager.counters.create_calls.load(SeqCst), 1);
    drop(held);
    for w in waiters {
        w.join().unwrap();
    }
    assert_consistent(&pool, &manager);
}

both!(
    a_panicking_resource_drop_frees_its_slot_everywhere,
    retain_whose_keep_panics_drops_only_the_judged_resource,
    close_from_inside_create,
    close_from_inside_release_and_drop,
    recycle_may_get_from_the_pool,
    many_threads_with_tiny_timeouts_lose_nothing,
    contended_gets_are_always_served,
    reset_retain_and_fill_racing_gets,
    concurrent_maintain_respects_max_size,
    an_owned_guard_outliving_every_handle,
    close_and_wait_with_releases_from_many_threads,
    try_get_never_blocks_while_others_wait,
    a_panicking_drop_during_close_leaves_the_other_idle_resources_alive,
    a_panicking_drop_during_reset_leaves_stale_resources_to_hand_out,
    reset_during_retain_keeps_a_stale_resource,
    the_largest_jitter_breaks_every_create,
    an_unbounded_max_size_is_a_build_error_not_a_panic,
    maintenance_stops_creating_once_the_last_handle_is_dropped,
);
