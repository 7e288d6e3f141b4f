//! Resource lifecycle: lifetimes with jitter, idle timeout, min_idle, the
//! maintenance pass and thread, fill, retain, reset, close_and_wait. Timing
//! checks are generous: the machine is busy.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{custom, eventually, pool, TestPool};
use zeropool::{Error, Pooled};

const MS: Duration = Duration::from_millis(1);

fn builder_rejects_contradictions<P: TestPool>() {
    let reject = |configure: fn(common::TestBuilder<P>) -> common::TestBuilder<P>, option: &str| {
        let builder = configure(P::builder_for(Default::default()));
        match P::build(builder) {
            Err(error) => {
                assert_eq!(error.option(), option);
                assert!(error.to_string().contains(option), "{error}");
            }
            Ok(_) => panic!("{option}: accepted"),
        }
    };
    reject(|b| b.max_size(2).min_idle(3), "min_idle");
    reject(|b| b.lifetime_jitter(MS), "lifetime_jitter");
    reject(
        |b| b.max_lifetime(MS * 10).lifetime_jitter(MS * 10),
        "lifetime_jitter",
    );
    reject(|b| b.max_lifetime(Duration::ZERO), "max_lifetime");
    reject(|b| b.idle_timeout(Duration::ZERO), "idle_timeout");
    reject(
        |b| b.maintenance_interval(Some(Duration::ZERO)),
        "maintenance_interval",
    );
    // Zero jitter means none; setter order never matters.
    let ok = P::builder_for(Default::default())
        .lifetime_jitter(Duration::ZERO)
        .min_idle(10)
        .max_size(10);
    assert!(P::build(ok).is_ok());
}

fn build_creates_nothing<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(4).min_idle(4));
    assert_eq!(manager.counters.create_calls.load(SeqCst), 0);
    assert_eq!(pool.status().size, 0);
}

fn maintain_fills_to_min_idle_not_beyond<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(3).min_idle(2));
    pool.maintain();
    assert_eq!(pool.status().idle, 2);
    pool.maintain();
    assert_eq!(
        manager.counters.created.load(SeqCst),
        2,
        "already at min_idle"
    );
    let lent: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    pool.maintain();
    assert_eq!(pool.status().size, 3, "never beyond max_size");
    drop(lent);
}

fn expired_idle_resources_are_skipped_at_checkout<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(2).max_lifetime(MS * 30));
    pool.fill(2).unwrap();
    thread::sleep(MS * 60);
    assert!(
        pool.try_get().unwrap().is_none(),
        "try_get skips expired resources"
    );
    assert_eq!(pool.status().closed_expired, 2);
    let fresh = pool.get().unwrap();
    assert_eq!(fresh.id, 2);
    drop(fresh);
    assert_eq!(manager.counters.alive(), 1);
}

fn expired_resources_are_dropped_at_release<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(1).max_lifetime(MS * 30));
    let lent = pool.get().unwrap();
    thread::sleep(MS * 60);
    drop(lent);
    assert_eq!(manager.counters.dropped.load(SeqCst), 1);
    assert_eq!(pool.status().closed_expired, 1);
    assert_eq!(pool.status().size, 0);
}

/// A pool that is never idle when maintenance would look still retires its
/// resources on time: at checkout and release.
fn a_busy_pool_retires_resources_without_maintenance<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(2).max_lifetime(MS * 40));
    let started = Instant::now();
    while started.elapsed() < MS * 300 {
        let guard = pool.get().unwrap();
        assert!(
            Pooled::created_at(&guard).elapsed() < MS * 40 + Duration::from_secs(1),
            "a resource well past its lifetime was handed out"
        );
        drop(guard);
    }
    assert!(pool.status().closed_expired >= 2);
    assert!(manager.counters.created.load(SeqCst) >= 3);
}

/// Resources created together expire at different times when jittered.
fn jitter_spreads_expiry<P: TestPool>() {
    let (pool, _manager) = custom::<P>(|b| {
        b.max_size(16)
            .max_lifetime(MS * 400)
            .lifetime_jitter(MS * 300)
    });
    pool.fill(16).unwrap();
    let started = Instant::now();
    let mut retired_at = Vec::new();
    let mut seen = 0;
    while seen < 16 && started.elapsed() < Duration::from_secs(5) {
        pool.maintain();
        let retired = pool.status().closed_expired;
        if retired > seen {
            retired_at.push(started.elapsed());
            seen = retired;
        }
        // Maintenance refills nothing (min_idle 0): count only retirements.
        thread::sleep(MS * 10);
    }
    assert_eq!(seen, 16, "every resource expired within its lifetime");
    assert!(
        retired_at.len() >= 3,
        "expiry was spread over several passes, saw {retired_at:?}"
    );
}

fn idle_timeout_never_goes_below_min_idle<P: TestPool>() {
    let (pool, _manager) = custom::<P>(|b| b.max_size(4).min_idle(2).idle_timeout(MS * 20));
    pool.fill(4).unwrap();
    thread::sleep(MS * 50);
    pool.maintain();
    let status = pool.status();
    assert_eq!((status.idle, status.closed_idle), (2, 2), "{status:?}");
}

fn idle_timeout_spares_recently_used<P: TestPool>() {
    let (pool, _manager) = custom::<P>(|b| b.max_size(2).idle_timeout(Duration::from_secs(60)));
    pool.fill(2).unwrap();
    pool.maintain();
    assert_eq!(pool.status().idle, 2);
}

fn lifetime_retirements_below_min_idle_are_replaced<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(3).min_idle(2).max_lifetime(MS * 30));
    pool.maintain();
    thread::sleep(MS * 60);
    pool.maintain();
    let status = pool.status();
    assert_eq!((status.idle, status.closed_expired), (2, 2), "{status:?}");
    assert_eq!(manager.counters.created.load(SeqCst), 4);
}

fn maintenance_never_drops_a_lent_resource<P: TestPool>() {
    let (pool, manager) =
        custom::<P>(|b| b.max_size(1).max_lifetime(MS * 20).idle_timeout(MS * 20));
    let lent = pool.get().unwrap();
    thread::sleep(MS * 40);
    pool.maintain();
    assert_eq!(manager.counters.dropped.load(SeqCst), 0);
    assert_eq!(lent.id, 0);
    drop(lent);
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        1,
        "dropped at release instead"
    );
}

fn expiry_at_release_wakes_a_waiter<P: TestPool>() {
    let (pool, _manager) = custom::<P>(|b| b.max_size(1).max_lifetime(MS * 30));
    let held = pool.get().unwrap();
    thread::scope(|scope| {
        let waiter = scope.spawn(|| pool.get_timeout(Duration::from_secs(10)).map(|g| g.id));
        eventually("the waiter to block", || pool.status().waiting == 1);
        thread::sleep(MS * 60);
        drop(held);
        assert!(
            matches!(waiter.join().unwrap(), Ok(1)),
            "woken, and created a new one"
        );
    });
}

fn maintenance_thread_keeps_min_idle_and_stops_on_close<P: TestPool>() {
    let (pool, manager) =
        custom::<P>(|b| b.max_size(4).min_idle(2).maintenance_interval(Some(MS * 5)));
    eventually("the thread to fill min_idle", || pool.status().idle == 2);
    drop(pool.get().unwrap());
    Pooled::discard(pool.get().unwrap());
    eventually("the thread to replace the discarded one", || {
        pool.status().idle == 2
    });
    pool.close();
    let created = manager.counters.created.load(SeqCst);
    thread::sleep(MS * 50);
    assert_eq!(
        manager.counters.created.load(SeqCst),
        created,
        "nothing created after close"
    );
    assert_eq!(manager.counters.alive(), 0);
}

fn maintenance_thread_does_not_keep_the_pool_alive<P: TestPool>() {
    let (pool, manager) =
        custom::<P>(|b| b.max_size(2).min_idle(2).maintenance_interval(Some(MS * 5)));
    eventually("the thread to fill min_idle", || pool.status().idle == 2);
    drop(pool);
    eventually("the pool to drop its resources", || {
        manager.counters.alive() == 0
    });
    let created = manager.counters.created.load(SeqCst);
    thread::sleep(MS * 50);
    assert_eq!(manager.counters.created.load(SeqCst), created);
}

/// A server that is down sees a handful of attempts, not a storm.
fn failed_creates_back_off<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| b.max_size(2).min_idle(1).maintenance_interval(Some(MS)));
    manager.behaviour.fail_creates.store(usize::MAX, SeqCst);
    thread::sleep(MS * 300);
    let attempts = manager.counters.create_calls.load(SeqCst);
    assert!(attempts >= 2, "it retried ({attempts})");
    assert!(attempts <= 12, "{attempts} attempts in 300 ms: no back-off");
    // A success resets the back-off.
    manager.behaviour.fail_creates.store(0, SeqCst);
    eventually("a create after the back-off", || pool.status().idle == 1);
    pool.close();
}

fn fill_creates_until_n_idle<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(2).unwrap();
    assert_eq!(pool.status().idle, 2);
    pool.fill(10).unwrap();
    assert_eq!(pool.status().idle, 3, "stops at max_size without error");
    assert_eq!(manager.counters.created.load(SeqCst), 3);
    pool.close();
    assert!(matches!(pool.fill(1), Err(Error::Closed)));
}

fn fill_returns_the_first_create_error<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    manager.behaviour.fail_creates.store(1, SeqCst);
    assert!(matches!(pool.fill(3), Err(Error::Create(_))));
    assert_eq!(pool.status().size, 0);
    pool.fill(3).unwrap();
    assert_eq!(pool.status().idle, 3);
}

fn retain_drops_what_keep_rejects<P: TestPool>() {
    let (pool, manager) = pool::<P>(4);
    pool.fill(4).unwrap();
    let observer = pool.clone();
    pool.retain(|resource| {
        // Runs outside the lock: the pool can be used from here.
        assert!(observer.status().size <= 4);
        resource.id % 2 == 0
    });
    let status = pool.status();
    assert_eq!((status.idle, status.discarded), (2, 2), "{status:?}");
    assert_eq!(manager.counters.dropped.load(SeqCst), 2);
    let mut kept: Vec<_> = (0..2)
        .map(|_| Pooled::detach(pool.get().unwrap()).id)
        .collect();
    kept.sort();
    assert_eq!(kept, [0, 2]);
}

fn reset_drops_idle_now_and_lent_on_release<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    pool.fill(3).unwrap();
    let lent = pool.get().unwrap();
    pool.reset();
    assert_eq!(manager.counters.dropped.load(SeqCst), 2);
    drop(lent);
    assert_eq!(manager.counters.dropped.load(SeqCst), 3);
    assert_eq!(
        pool.get().unwrap().id,
        3,
        "new resources after reset are kept"
    );
    assert_eq!(pool.status().idle, 1);
}

fn close_and_wait_waits_for_lent_resources<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let lent = pool.get_owned().unwrap();
    let releaser = thread::spawn(move || {
        thread::sleep(MS * 50);
        drop(lent);
    });
    assert!(pool.close_and_wait(Duration::from_secs(10)));
    assert_eq!(manager.counters.alive(), 0);
    releaser.join().unwrap();

    let (busy, _manager) = common::pool::<P>(1);
    let _held = busy.get().unwrap();
    let started = Instant::now();
    assert!(
        !busy.close_and_wait(MS * 30),
        "a lent resource never came back"
    );
    assert!(started.elapsed() >= MS * 30);
}

fn created_at_and_uses<P: TestPool>() {
    let (pool, _manager) = pool::<P>(1);
    let before = Instant::now();
    let first = pool.get().unwrap();
    let created = Pooled::created_at(&first);
    assert!(created >= before && created <= Instant::now());
    assert_eq!(Pooled::uses(&first), 1);
    drop(first);
    let second = pool.get().unwrap();
    assert_eq!(Pooled::created_at(&second), created);
    assert_eq!(Pooled::uses(&second), 2);
}

fn the_maintenance_thread_outlives_a_panicking_create<P: TestPool>() {
    let (pool, manager) =
        custom::<P>(|b| b.max_size(4).min_idle(2).maintenance_interval(Some(MS * 5)));
    manager.behaviour.panic_create.store(true, SeqCst);
    eventually("a create to panic", || {
        manager.counters.create_calls.load(SeqCst) >= 1
    });
    manager.behaviour.panic_create.store(false, SeqCst);
    eventually("the thread to fill min_idle after the panic", || {
        pool.status().idle == 2
    });
    assert!(pool.status().create_failed >= 1);
    pool.close();
}

fn the_maintenance_thread_outlives_a_panicking_drop<P: TestPool>() {
    let (pool, manager) = custom::<P>(|b| {
        b.max_size(2)
            .min_idle(1)
            .max_lifetime(MS * 20)
            .maintenance_interval(Some(MS * 5))
    });
    pool.fill(1).unwrap();
    // The next callback is the drop of the expired resource: it panics once.
    let armed = Arc::new(AtomicBool::new(true));
    let hook_armed = armed.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        if hook_armed.swap(false, SeqCst) {
            panic!("drop panicked on purpose");
        }
    }));
    eventually("the panicking drop", || !armed.load(SeqCst));
    eventually(
        "the thread to expire and replace resources after it",
        || manager.counters.created.load(SeqCst) >= 3,
    );
    pool.close();
}

fn a_create_under_way_during_reset_is_not_kept<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let hook_gate = gate.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        let (open, opened) = &*hook_gate;
        let mut open = open.lock().unwrap();
        while !*open {
            open = opened.wait(open).unwrap();
        }
    }));
    let filler = {
        let pool = pool.clone();
        thread::spawn(move || pool.fill(1))
    };
    eventually("the create to start", || {
        manager.counters.create_calls.load(SeqCst) == 1
    });
    pool.reset();
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    filler.join().unwrap().unwrap();
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        1,
        "the resource whose create began before reset was dropped"
    );
    // fill went on until one was idle: one created after the reset.
    assert_eq!(pool.status().idle, 1);
    assert_eq!(pool.get().unwrap().id, 1);
}

fn retain_judges_each_resource_at_most_once<P: TestPool>() {
    let (pool, _) = pool::<P>(3);
    pool.fill(3).unwrap();
    let judged = Mutex::new([0; 3]);
    let (judging, judging_seen) = mpsc::channel();
    let (go, go_seen) = mpsc::channel::<()>();
    let lent = thread::scope(|scope| {
        let (pool, judged) = (&pool, &judged);
        let sweeper = scope.spawn(move || {
            pool.retain(|resource| {
                let first = judged.lock().unwrap().iter().sum::<u32>() == 0;
                judged.lock().unwrap()[resource.id] += 1;
                if first {
                    judging.send(()).unwrap();
                    go_seen.recv().unwrap();
                }
                true
            })
        });
        judging_seen.recv().unwrap();
        // A get while the first resource is out being judged.
        let lent = Pooled::detach(pool.get().unwrap());
        go.send(()).unwrap();
        sweeper.join().unwrap();
        lent
    });
    let judged = judged.into_inner().unwrap();
    assert!(judged.iter().all(|&n| n <= 1), "judged twice: {judged:?}");
    assert_eq!(judged[lent.id], 0, "the lent resource is not judged");
    assert_eq!(judged.iter().sum::<u32>(), 2, "{judged:?}");
    assert_eq!(pool.status().idle, 2);
}

fn retains_run_one_at_a_time<P: TestPool>() {
    let (pool, _) = pool::<P>(4);
    pool.fill(4).unwrap();
    let (started, started_seen) = mpsc::channel();
    let (go, go_seen) = mpsc::channel::<()>();
    let (first_calls, second_calls) = (Mutex::new(0), Mutex::new(0));
    thread::scope(|scope| {
        let (pool, first_calls, second_calls) = (&pool, &first_calls, &second_calls);
        let first = scope.spawn(move || {
            pool.retain(|_| {
                *first_calls.lock().unwrap() += 1;
                if *first_calls.lock().unwrap() == 1 {
                    started.send(()).unwrap();
                    go_seen.recv().unwrap();
                }
                false
            })
        });
        started_seen.recv().unwrap();
        let second = scope.spawn(move || {
            pool.retain(|_| {
                *second_calls.lock().unwrap() += 1;
                true
            })
        });
        // Whether or not the second has started waiting, it runs after.
        thread::sleep(MS * 20);
        go.send(()).unwrap();
        first.join().unwrap();
        second.join().unwrap();
    });
    assert_eq!(*first_calls.lock().unwrap(), 4, "the first saw every one");
    assert_eq!(*second_calls.lock().unwrap(), 0, "then none was left");
    let status = pool.status();
    assert_eq!((status.idle, status.discarded), (0, 4), "{status:?}");
}

fn a_retain_inside_keep_panics<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    pool.fill(2).unwrap();
    let message = common::expect_panic(|| {
        pool.retain(|_| {
            pool.retain(|_| true);
            true
        })
    });
    assert!(message.contains("called from inside a sweep"), "{message}");
    // The resource being judged was dropped; the pool goes on.
    assert_eq!(manager.counters.dropped.load(SeqCst), 1);
    pool.retain(|_| true);
    assert_eq!(pool.status().idle, 1);
}

/// A sweep puts every resource back in order, also with a get, and a
/// maintenance pass (which skips its sweep), inside it.
fn sweeps_keep_the_order<P: TestPool>() {
    // Resources 0 to 3, released in that order.
    let released = || {
        let (pool, _) = custom::<P>(|b| b.max_size(4).idle_timeout(Duration::from_secs(3600)));
        drop((0..4).map(|_| pool.get().unwrap()).collect::<Vec<_>>());
        pool
    };
    let pool = released();
    let mut first = true;
    pool.retain(|_| {
        if std::mem::take(&mut first) {
            pool.maintain();
        }
        true
    });
    let order = |pool: &P| {
        let guards: Vec<_> = std::iter::from_fn(|| pool.try_get().unwrap()).collect();
        guards.iter().map(|guard| guard.id).collect::<Vec<_>>()
    };
    let lifo = P::NAME == "stack";
    let expected = if lifo { [3, 2, 1, 0] } else { [0, 1, 2, 3] };
    assert_eq!(order(&pool), expected);
    // A get during the sweep takes the next in line; the stack's order
    // holds for the rest (the channel's moves the first judged one back).
    let pool = released();
    let mut taken = None;
    pool.retain(|_| {
        if taken.is_none() {
            taken = Some(Pooled::detach(pool.try_get().unwrap().unwrap()).id);
        }
        true
    });
    let (taken, rest) = (taken.unwrap(), order(&pool));
    if lifo {
        assert_eq!((taken, rest), (3, vec![2, 1, 0]));
    } else {
        assert_eq!((taken, rest), (1, vec![2, 3, 0]));
    }
    // A release during the sweep: the stack keeps it on top; the channel
    // puts what the sweep kept behind it.
    let (pool, _) = custom::<P>(|b| b.max_size(5));
    let mut held: Vec<_> = (0..5).map(|_| pool.get().unwrap()).collect();
    let mut last = held.pop();
    drop(held);
    pool.retain(|_| {
        drop(last.take());
        true
    });
    let expected = if lifo {
        [4, 3, 2, 1, 0]
    } else {
        [4, 0, 1, 2, 3]
    };
    assert_eq!(order(&pool), expected);
}

both!(
    builder_rejects_contradictions,
    build_creates_nothing,
    maintain_fills_to_min_idle_not_beyond,
    expired_idle_resources_are_skipped_at_checkout,
    expired_resources_are_dropped_at_release,
    a_busy_pool_retires_resources_without_maintenance,
    jitter_spreads_expiry,
    idle_timeout_never_goes_below_min_idle,
    idle_timeout_spares_recently_used,
    lifetime_retirements_below_min_idle_are_replaced,
    maintenance_never_drops_a_lent_resource,
    expiry_at_release_wakes_a_waiter,
    maintenance_thread_keeps_min_idle_and_stops_on_close,
    maintenance_thread_does_not_keep_the_pool_alive,
    failed_creates_back_off,
    fill_creates_until_n_idle,
    fill_returns_the_first_create_error,
    retain_drops_what_keep_rejects,
    reset_drops_idle_now_and_lent_on_release,
    close_and_wait_waits_for_lent_resources,
    created_at_and_uses,
    the_maintenance_thread_outlives_a_panicking_create,
    the_maintenance_thread_outlives_a_panicking_drop,
    a_create_under_way_during_reset_is_not_kept,
    retain_judges_each_resource_at_most_once,
    retains_run_one_at_a_time,
    a_retain_inside_keep_panics,
    sweeps_keep_the_order,
);
