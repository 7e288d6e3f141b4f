//! The engine's fast paths: the one-pass idle checkout (`take_idle`, then
//! `serve`), the release that moves a resource from the guard's slot straight
//! into the store, the `gets` count (a get counts once it is served), and the
//! expiry and idle times items keep as nanoseconds since the pool's epoch.
//!
//! Each scenario ends by checking `status()` against what the test manager
//! saw: the accounting identity, `gets` equal to the successful gets, never
//! more than `max_size` resources alive, and no resource lost.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{assert_identity, custom, eventually, expect_panic, pool, TestManager, TestPool};
use zeropool::{Error, Pooled};

/// Everything that must hold once the pool is quiet: the identity, `gets`
/// equal to the successful gets, the pool's counts equal to what the manager
/// saw, and never more than `max_size` alive at once.
fn assert_quiet<P: TestPool>(pool: &P, manager: &TestManager, served: u64) {
    assert_quiet_counts(pool, manager, served);
    let status = pool.status();
    assert!(
        manager.counters.peak_in_flight.load(SeqCst) <= status.max_size,
        "more than max_size resources existed at once: peak {}, {status:?}",
        manager.counters.peak_in_flight.load(SeqCst)
    );
}

/// [`assert_quiet`] without the peak check, for tests that detach: a
/// detached resource lives on outside the pool, so the manager may see more
/// than `max_size` alive while the pool holds at most that many.
fn assert_quiet_counts<P: TestPool>(pool: &P, manager: &TestManager, served: u64) {
    let status = pool.status();
    assert_identity(&status);
    assert_eq!(status.gets, served, "gets vs successful gets: {status:?}");
    let counters = &manager.counters;
    assert_eq!(
        status.created,
        counters.created.load(SeqCst) as u64,
        "created vs the manager's creates: {status:?}"
    );
    // Detached resources are dropped by the test itself, and counted by the
    // manager as dropped then: alive is what the pool still holds.
    assert_eq!(
        status.size,
        counters.alive(),
        "size vs resources alive: {status:?}"
    );
    assert_eq!(
        status.waiting, 0,
        "nobody waits in a quiet pool: {status:?}"
    );
}

/// Sets the manager's hook (runs in create, recycle, has_broken, drop).
fn set_hook(manager: &TestManager, hook: impl Fn() + Send + Sync + 'static) {
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(hook));
}

fn clear_hook(manager: &TestManager) {
    *manager.behaviour.hook.lock().unwrap() = None;
}

/// Every kind of successful get, mixed with gets whose idle resource fails
/// recycle: `gets` counts the successes exactly, not what was dropped.
fn gets_exact_after_failing_recycle_mix<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    let mut served = 0;
    pool.fill(3).unwrap();
    for round in 0..12 {
        let failing = round % 3 == 1;
        manager.behaviour.fail_recycle.store(failing, SeqCst);
        match round % 4 {
            0 => {
                drop(pool.get().unwrap());
                served += 1;
            }
            1 => {
                drop(pool.get_timeout(Duration::from_secs(5)).unwrap());
                served += 1;
            }
            2 => {
                if let Some(guard) = pool.try_get().unwrap() {
                    drop(guard);
                    served += 1;
                }
            }
            _ => {
                let owned = pool.get_owned().unwrap();
                thread::spawn(move || drop(owned)).join().unwrap();
                served += 1;
            }
        }
        manager.behaviour.fail_recycle.store(false, SeqCst);
        assert_quiet(&pool, &manager, served);
    }
    // A try_get that finds only resources failing recycle serves nothing.
    pool.fill(3).unwrap();
    manager.behaviour.fail_recycle.store(true, SeqCst);
    assert!(pool.try_get().unwrap().is_none());
    manager.behaviour.fail_recycle.store(false, SeqCst);
    let status = pool.status();
    assert_eq!(status.idle, 0, "all three failed recycle: {status:?}");
    assert!(status.recycle_failed >= 3, "{status:?}");
    assert_quiet(&pool, &manager, served);
}

/// `gets` is documented as a cumulative counter that never goes down. A get
/// that takes an idle resource and then drops it (failed recycle) must not
/// make `gets` rise and then fall again.
fn gets_never_go_down_while_a_get_drops_what_it_took<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    pool.fill(1).unwrap();
    let before = pool.status().gets;
    let seen = Arc::new(AtomicU64::new(u64::MAX));
    {
        let (pool, seen) = (pool.clone(), seen.clone());
        // Reads the counters from inside recycle, outside the pool's lock, as
        // any monitoring thread may do at that moment.
        set_hook(&manager, move || seen.store(pool.status().gets, SeqCst));
    }
    manager.behaviour.fail_recycle.store(true, SeqCst);
    let found = pool.try_get().unwrap().is_some();
    manager.behaviour.fail_recycle.store(false, SeqCst);
    clear_hook(&manager);
    assert!(!found, "the only resource failed recycle");
    let during = seen.load(SeqCst);
    let after = pool.status().gets;
    assert_eq!(before, 0);
    assert!(
        during <= after,
        "gets went down: {during} while a try_get recycled its resource, {after} after it served nothing"
    );
    assert_quiet(&pool, &manager, 0);
}

/// The same with a monitoring thread instead of a hook: a get whose first
/// idle resource fails a slow recycle, watched by another thread.
fn gets_seen_by_a_monitor_never_go_down<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    pool.fill(1).unwrap();
    let in_recycle = Arc::new(Barrier::new(2));
    let observed = Arc::new(Barrier::new(2));
    {
        let (in_recycle, observed) = (in_recycle.clone(), observed.clone());
        let armed = AtomicBool::new(true);
        set_hook(&manager, move || {
            if armed.swap(false, SeqCst) {
                in_recycle.wait();
                observed.wait();
            }
        });
    }
    manager.behaviour.fail_recycle.store(true, SeqCst);
    let (during, after) = thread::scope(|scope| {
        let getter = scope.spawn(|| pool.try_get().unwrap().is_some());
        in_recycle.wait();
        let during = pool.status().gets;
        observed.wait();
        assert!(!getter.join().unwrap(), "the only resource failed recycle");
        (during, pool.status().gets)
    });
    manager.behaviour.fail_recycle.store(false, SeqCst);
    clear_hook(&manager);
    assert!(
        during <= after,
        "gets went down: a monitor saw {during} during a try_get that served nothing, then {after}"
    );
    assert_quiet(&pool, &manager, 0);
}

/// `max_lifetime` at checkout: a resource past its lifetime is never handed
/// out, even when the get reaches it only after a slow, failing recycle of
/// another one.
fn expired_resource_never_handed_out_after_slow_failing_recycle<P: TestPool>() {
    let lifetime = Duration::from_millis(500);
    let (pool, manager) = custom::<P>(|b| b.max_size(2).max_lifetime(lifetime));
    pool.fill(2).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    {
        let (calls, behaviour) = (calls.clone(), manager.behaviour.clone());
        // Runs only in recycle here (no creates, drops or releases meanwhile
        // until the first recycle returns). The first recycle outlives both
        // resources' lifetime, then fails; any later one succeeds.
        set_hook(&manager, move || {
            if calls.fetch_add(1, SeqCst) == 0 {
                thread::sleep(Duration::from_millis(700));
                behaviour.fail_recycle.store(true, SeqCst);
            } else {
                behaviour.fail_recycle.store(false, SeqCst);
            }
        });
    }
    let guard = pool.get().unwrap();
    let id = guard.id;
    let age = Pooled::created_at(&guard).elapsed();
    drop(guard);
    clear_hook(&manager);
    manager.behaviour.fail_recycle.store(false, SeqCst);
    assert!(
        id >= 2,
        "handed out resource {id}, created before a 700 ms recycle and {age:?} old, past its {lifetime:?} lifetime"
    );
    let status = pool.status();
    if calls.load(SeqCst) > 0 {
        assert_eq!(status.recycle_failed, 1, "{status:?}");
        assert_eq!(status.closed_expired, 1, "{status:?}");
    }
    assert_quiet(&pool, &manager, 1);
}

/// `max_lifetime` at release and at checkout, on the fast paths: expired
/// resources are dropped and counted as expired, not handed out, and gets
/// stay exact.
fn expiry_at_release_and_checkout<P: TestPool>() {
    let lifetime = Duration::from_millis(300);
    let (pool, manager) = custom::<P>(|b| b.max_size(4).max_lifetime(lifetime));
    let a = pool.get().unwrap();
    let b = pool.get().unwrap();
    drop(b); // idle, young
    thread::sleep(Duration::from_millis(400));
    drop(a); // expired at release
    let status = pool.status();
    assert_eq!(status.closed_expired, 1, "a expired at release: {status:?}");
    assert_eq!(status.idle, 1, "{status:?}");
    // b expired while idle: dropped at checkout, a new one is made.
    let c = pool.get().unwrap();
    assert_eq!(c.id, 2, "the expired idle one is not handed out");
    assert_eq!(Pooled::uses(&c), 1);
    drop(c);
    let status = pool.status();
    assert_eq!(status.closed_expired, 2, "{status:?}");
    // try_get on a pool whose only idle resource expired: nothing, no create.
    thread::sleep(Duration::from_millis(400));
    assert!(pool.try_get().unwrap().is_none());
    let status = pool.status();
    assert_eq!(
        (status.closed_expired, status.created),
        (3, 3),
        "{status:?}"
    );
    assert_quiet(&pool, &manager, 3);
}

/// `reset` while resources are both lent (borrowed and owned, on other
/// threads) and idle: no resource made before it is ever handed out again,
/// each is dropped exactly once, and `gets` stays exact.
fn reset_while_lent_and_idle<P: TestPool>() {
    let (pool, manager) = pool::<P>(6);
    pool.fill(6).unwrap();
    let mut served = 0;
    let lent_a = pool.get().unwrap();
    let lent_b = pool.get().unwrap();
    let owned = pool.get_owned().unwrap();
    served += 3;
    let (to_thread, on_thread) = std::sync::mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        let _owned = owned;
        on_thread.recv().unwrap();
    });
    assert_eq!(pool.status().idle, 3);
    pool.reset();
    let status = pool.status();
    assert_eq!((status.idle, status.discarded), (0, 3), "{status:?}");
    drop(lent_a);
    to_thread.send(()).unwrap();
    holder.join().unwrap();
    let status = pool.status();
    assert_eq!(status.idle, 0, "stale resources never return: {status:?}");
    assert_eq!(status.discarded, 5, "{status:?}");
    // A guard held across the reset is still usable, and dropped at release.
    assert!(lent_b.id < 6);
    drop(lent_b);
    for _ in 0..4 {
        let guard = pool.get().unwrap();
        assert!(guard.id >= 6, "resource {} survived the reset", guard.id);
        served += 1;
    }
    assert!(pool.try_get().unwrap().is_some());
    served += 1;
    let status = pool.status();
    assert_eq!(status.discarded, 6, "{status:?}");
    assert_eq!(status.created, 7, "{status:?}");
    assert_quiet(&pool, &manager, served);
}

/// A reset run from inside a manager callback: from `has_broken` during a
/// release (the resource is dropped, not stored) and from `recycle` during a
/// get (the resource is handed out, then dropped at release).
fn reset_from_callbacks<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(2).unwrap();
    let armed = Arc::new(AtomicBool::new(false));
    {
        let (pool, armed) = (pool.clone(), armed.clone());
        set_hook(&manager, move || {
            if armed.swap(false, SeqCst) {
                pool.reset();
            }
        });
    }
    let guard = pool.get().unwrap();
    armed.store(true, SeqCst);
    drop(guard); // has_broken resets: both the released and the idle one go
    let status = pool.status();
    assert_eq!((status.idle, status.discarded), (0, 2), "{status:?}");
    pool.fill(1).unwrap();
    armed.store(true, SeqCst);
    let guard = pool.get().unwrap(); // recycle resets while it holds the resource
    assert_eq!(guard.id, 2);
    drop(guard);
    clear_hook(&manager);
    let status = pool.status();
    assert_eq!((status.idle, status.discarded), (0, 3), "{status:?}");
    assert_quiet(&pool, &manager, 2);
}

/// Panics in `recycle`, in `has_broken` and in user code holding a guard:
/// each resource is dropped once and counted as broken, the slot is freed,
/// and a get that panicked is not counted.
fn panics_in_callbacks_and_user_code<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    pool.fill(2).unwrap();
    let mut served = 0;
    manager.behaviour.panic_recycle.store(true, SeqCst);
    let message = expect_panic(|| pool.get());
    assert!(message.contains("recycle panicked"), "{message}");
    let message = expect_panic(|| pool.try_get());
    assert!(message.contains("recycle panicked"), "{message}");
    manager.behaviour.panic_recycle.store(false, SeqCst);
    let status = pool.status();
    assert_eq!(
        (status.recycle_failed, status.closed_broken, status.size),
        (2, 2, 0),
        "{status:?}"
    );
    assert_quiet(&pool, &manager, 0);

    let guard = pool.get().unwrap();
    served += 1;
    manager.behaviour.panic_broken.store(true, SeqCst);
    let message = expect_panic(move || drop(guard));
    assert!(message.contains("has_broken panicked"), "{message}");
    manager.behaviour.panic_broken.store(false, SeqCst);
    assert_eq!(pool.status().closed_broken, 3);
    assert_quiet(&pool, &manager, served);

    let message = expect_panic(|| {
        let _guard = pool.get().unwrap();
        let _owned = pool.get_owned().unwrap();
        panic!("user code panicked");
    });
    served += 2;
    assert_eq!(message, "user code panicked");
    let status = pool.status();
    assert_eq!((status.closed_broken, status.idle), (5, 0), "{status:?}");
    // A thread that panics while holding an owned guard.
    let owned = pool.get_owned().unwrap();
    served += 1;
    let joined = thread::spawn(move || {
        let _owned = owned;
        panic!("worker panicked");
    })
    .join();
    assert!(joined.is_err());
    assert_eq!(pool.status().closed_broken, 6);
    // A panic caught while the guard lives on is not a release in a panic.
    let guard = pool.get().unwrap();
    served += 1;
    let caught = catch_unwind(AssertUnwindSafe(|| panic!("caught")));
    assert!(caught.is_err());
    drop(guard);
    assert_eq!(pool.status().idle, 1);
    assert_quiet(&pool, &manager, served);
}

/// `try_get` with nothing idle never creates, never waits and counts no get;
/// with a resource idle it takes it.
fn try_get_with_nothing_idle<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    assert!(pool.try_get().unwrap().is_none(), "empty pool");
    assert_eq!(pool.status().created, 0);
    let a = pool.get().unwrap();
    assert!(pool.try_get().unwrap().is_none(), "the only one is lent");
    let b = pool.get().unwrap();
    assert!(pool.try_get().unwrap().is_none(), "full and all lent");
    let status = pool.status();
    assert_eq!(
        (status.gets_waited, status.waiting, status.created),
        (0, 0, 2),
        "{status:?}"
    );
    drop(a);
    let again = pool.try_get().unwrap().expect("one idle");
    assert_eq!(Pooled::uses(&again), 2);
    drop(again);
    drop(b);
    pool.close();
    assert!(matches!(pool.try_get(), Err(Error::Closed)));
    assert_quiet(&pool, &manager, 3);
}

/// Owned guards taken on one thread, used and released on others, and taken
/// on other threads from a shared handle: counted once each, none lost.
fn get_owned_across_threads<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    let served = AtomicU64::new(0);
    thread::scope(|scope| {
        for worker in 0..3 {
            let (pool, served) = (&pool, &served);
            scope.spawn(move || {
                for round in 0..200 {
                    let mut owned = pool.get_owned().unwrap();
                    served.fetch_add(1, SeqCst);
                    if (worker + round) % 5 == 0 {
                        owned.broken = true;
                    }
                    if round % 50 == 0 {
                        thread::spawn(move || drop(owned)).join().unwrap();
                    } else {
                        drop(owned);
                    }
                }
            });
        }
    });
    let status = pool.status();
    assert!(status.closed_broken > 0, "{status:?}");
    assert_quiet(&pool, &manager, served.load(SeqCst));
    // Owned guards outlive every pool handle and still come back.
    let owned = pool.get_owned().unwrap();
    let keep = pool.clone();
    drop(pool);
    drop(owned);
    assert_eq!(keep.status().idle, keep.status().size);
    assert_quiet(&keep, &manager, served.load(SeqCst) + 1);
}

/// `detach` and `discard`: each frees a slot and is counted in its class;
/// a detached resource lives on outside the pool and is dropped by its owner.
fn detach_and_discard<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    pool.fill(2).unwrap();
    let detached = Pooled::detach(pool.get().unwrap());
    assert_eq!(manager.counters.dropped.load(SeqCst), 0);
    Pooled::discard(pool.get_owned().unwrap());
    assert_eq!(manager.counters.dropped.load(SeqCst), 1);
    let status = pool.status();
    assert_eq!(
        (status.detached, status.discarded, status.size),
        (1, 1, 0),
        "{status:?}"
    );
    // Both slots are free again, although the detached resource is alive.
    let a = pool.get().unwrap();
    let b = pool.try_get().unwrap();
    assert!(b.is_none(), "nothing idle");
    let b = pool.get().unwrap();
    assert_eq!((a.id, b.id), (2, 3));
    drop((a, b));
    drop(detached);
    assert_eq!(manager.counters.dropped.load(SeqCst), 2);
    // The pool itself never held more than two at once.
    assert_eq!(manager.counters.peak_in_flight.load(SeqCst), 3);
    assert_quiet_counts(&pool, &manager, 4);
}

/// `created_at`, on a pool that also keeps lifetimes in nanoseconds since
/// its epoch: it lies between the instants before and after the get that
/// created it, never in the future, is the same on every later checkout,
/// and grows with each new resource.
fn created_at_monotone_and_not_in_future<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(4).max_lifetime(Duration::from_secs(60)));
    let mut seen: Vec<(usize, Instant)> = Vec::new();
    let mut guards = Vec::new();
    for _ in 0..4 {
        let before = Instant::now();
        let guard = pool.get().unwrap();
        let after = Instant::now();
        let created = Pooled::created_at(&guard);
        assert!(
            before <= created && created <= after,
            "created_at {created:?} not between {before:?} and {after:?}"
        );
        if let Some(&(_, last)) = seen.last() {
            assert!(created >= last, "created_at went backwards");
        }
        seen.push((guard.id, created));
        guards.push(guard);
    }
    drop(guards);
    for _ in 0..8 {
        let guard = pool.get().unwrap();
        let created = Pooled::created_at(&guard);
        assert!(created <= Instant::now(), "created_at in the future");
        let (_, first) = seen.iter().find(|(id, _)| *id == guard.id).unwrap();
        assert_eq!(created, *first, "created_at changed for {}", guard.id);
    }
    assert_quiet(&pool, &manager, 12);
}

/// `close` while gets and releases race: every get after the close fails,
/// every resource comes back and is dropped exactly once, `gets` counts the
/// successes.
fn close_while_gets_and_releases_race<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(2).unwrap();
    let served = AtomicU64::new(0);
    let closed_seen = AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..4 {
            let (pool, served, closed_seen) = (&pool, &served, &closed_seen);
            scope.spawn(move || {
                for round in 0.. {
                    let got = match round % 3 {
                        0 => pool.get_timeout(Duration::from_millis(200)).map(Some),
                        1 => pool.try_get(),
                        _ => pool.get_owned().map(|owned| {
                            drop(owned);
                            None
                        }),
                    };
                    match got {
                        Ok(guard) => {
                            if round % 3 != 1 || guard.is_some() {
                                served.fetch_add(1, SeqCst);
                            }
                            if let Some(mut guard) = guard {
                                if (worker + round) % 11 == 0 {
                                    guard.broken = true;
                                }
                                drop(guard);
                            }
                        }
                        Err(Error::Closed) => {
                            closed_seen.fetch_add(1, SeqCst);
                            break;
                        }
                        Err(other) => panic!("unexpected error: {other:?}"),
                    }
                }
            });
        }
        eventually("some gets", || pool.status().gets > 500);
        pool.close();
    });
    assert_eq!(closed_seen.load(SeqCst), 4);
    assert!(pool.close_and_wait(Duration::from_secs(10)));
    let status = pool.status();
    assert_eq!((status.size, status.idle), (0, 0), "{status:?}");
    assert_eq!(
        manager.counters.created.load(SeqCst),
        manager.counters.dropped.load(SeqCst),
        "every created resource dropped once"
    );
    assert_quiet(&pool, &manager, served.load(SeqCst));
}

/// A short mixed load: gets of every kind, broken releases, discards,
/// detaches, recycle failures and resets from several threads; then the
/// counts add up exactly.
fn mixed_load_keeps_every_count<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(3).max_lifetime(Duration::from_millis(30)));
    let served = AtomicU64::new(0);
    // Detached resources are kept here, alive outside the pool, until the end.
    let detached = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        for worker in 0..3usize {
            let (pool, served, detached, stop) = (&pool, &served, &detached, &stop);
            scope.spawn(move || {
                let mut round = worker;
                while !stop.load(SeqCst) {
                    round += 1;
                    match round % 6 {
                        0 => {
                            if let Some(guard) = pool.try_get().unwrap() {
                                served.fetch_add(1, SeqCst);
                                drop(guard);
                            }
                        }
                        1 => {
                            let mut guard = pool.get().unwrap();
                            served.fetch_add(1, SeqCst);
                            guard.broken = round % 4 == 1;
                        }
                        2 => {
                            let owned = pool.get_owned().unwrap();
                            served.fetch_add(1, SeqCst);
                            if round % 5 == 0 {
                                Pooled::discard(owned);
                            }
                        }
                        3 => {
                            let guard = pool.get().unwrap();
                            served.fetch_add(1, SeqCst);
                            if round % 7 == 0 {
                                detached.lock().unwrap().push(Pooled::detach(guard));
                            }
                        }
                        4 => {
                            let guard = pool.get_timeout(Duration::from_secs(5)).unwrap();
                            served.fetch_add(1, SeqCst);
                            if round % 13 == 0 {
                                pool.reset();
                            }
                            drop(guard);
                        }
                        _ => {
                            if round % 17 == 0 {
                                thread::sleep(Duration::from_millis(1));
                            }
                            drop(pool.get().unwrap());
                            served.fetch_add(1, SeqCst);
                        }
                    }
                }
            });
        }
        let monitor = scope.spawn(|| {
            let mut last = pool.status();
            while !stop.load(SeqCst) {
                let now = pool.status();
                assert!(now.size <= now.max_size, "{now:?}");
                assert!(now.idle + now.in_use <= now.size, "{now:?}");
                assert!(now.created >= last.created && now.discarded >= last.discarded);
                assert!(now.closed_broken >= last.closed_broken);
                assert!(now.detached >= last.detached);
                last = now;
                thread::yield_now();
            }
        });
        let flipper = scope.spawn(|| {
            for round in 0..100 {
                manager.behaviour.fail_recycle.store(round % 3 == 0, SeqCst);
                thread::sleep(Duration::from_millis(5));
            }
            manager.behaviour.fail_recycle.store(false, SeqCst);
        });
        flipper.join().unwrap();
        stop.store(true, SeqCst);
        monitor.join().unwrap();
    });
    drop(detached);
    let status = pool.status();
    assert!(status.recycle_failed > 0, "{status:?}");
    assert_quiet_counts(&pool, &manager, served.load(SeqCst));
    pool.close();
    assert_eq!(
        manager.counters.created.load(SeqCst),
        manager.counters.dropped.load(SeqCst),
        "every created resource dropped once after close"
    );
    assert_quiet_counts(&pool, &manager, served.load(SeqCst));
}

both!(
    gets_exact_after_failing_recycle_mix,
    gets_never_go_down_while_a_get_drops_what_it_took,
    gets_seen_by_a_monitor_never_go_down,
    expired_resource_never_handed_out_after_slow_failing_recycle,
    expiry_at_release_and_checkout,
    reset_while_lent_and_idle,
    reset_from_callbacks,
    panics_in_callbacks_and_user_code,
    try_get_with_nothing_idle,
    get_owned_across_threads,
    detach_and_discard,
    created_at_monotone_and_not_in_future,
    close_while_gets_and_releases_race,
    mixed_load_keeps_every_count,
);
