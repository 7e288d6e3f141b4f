//! Manager callbacks: none runs under the pool's lock (so one may call the
//! pool), a failed create is reported at once, and a panicking callback frees
//! its slot, leaves the pool usable, and reaches the caller.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;

use common::{assert_consistent, expect_panic, pool, TestPool};
use zeropool::{Error, Pooled};

/// Every callback and every resource drop calls back into the pool. Under a
/// held lock that would deadlock (the watchdog fails the test).
fn callbacks_may_call_the_pool<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let calls = Arc::new(AtomicUsize::new(0));
    let (hook_pool, hook_calls) = (pool.clone(), calls.clone());
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        let status = hook_pool.status();
        assert!(status.size <= status.max_size);
        assert!(!hook_pool.is_closed());
        hook_calls.fetch_add(1, SeqCst);
    }));
    let guard = pool.get().unwrap(); // create
    drop(guard); // has_broken
    let guard = pool.get().unwrap(); // recycle
    Pooled::discard(guard); // resource drop
    assert_eq!(calls.load(SeqCst), 4);
    manager.behaviour.hook.lock().unwrap().take();
}

/// A create that itself gets a resource from the same pool.
fn create_may_acquire_from_the_pool<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let inner_id = Arc::new(AtomicUsize::new(usize::MAX));
    let (hook_pool, seen) = (pool.clone(), inner_id.clone());
    let armed = Arc::new(AtomicBool::new(true));
    let hook_armed = armed.clone();
    *manager.behaviour.hook.lock().unwrap() = Some(Arc::new(move || {
        if hook_armed.swap(false, SeqCst) {
            assert!(
                hook_pool.try_get().unwrap().is_none(),
                "nothing is idle yet"
            );
            let inner = hook_pool.get().unwrap();
            seen.store(inner.id, SeqCst);
        }
    }));
    let outer = pool.get().unwrap();
    manager.behaviour.hook.lock().unwrap().take();
    assert_eq!(inner_id.load(SeqCst), 0, "the inner get created first");
    assert_eq!(outer.id, 1);
    let status = pool.status();
    assert_eq!((status.size, status.idle, status.in_use), (2, 1, 1));
}

fn panicking_create_frees_its_slot<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    manager.behaviour.panic_create.store(true, SeqCst);
    let message = expect_panic(|| pool.get().map(|g| g.id));
    assert_eq!(message, "create panicked on purpose");
    assert_eq!(pool.status().size, 0);
    manager.behaviour.panic_create.store(false, SeqCst);
    assert_eq!(pool.get().unwrap().id, 0, "the pool is still usable");
    assert_consistent(&pool, &manager);
}

fn panicking_recycle_frees_its_slot<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    drop(pool.get().unwrap());
    manager.behaviour.panic_recycle.store(true, SeqCst);
    let message = expect_panic(|| pool.get().map(|g| g.id));
    assert_eq!(message, "recycle panicked on purpose");
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        1,
        "the resource was dropped"
    );
    assert_eq!(pool.status().size, 0);
    manager.behaviour.panic_recycle.store(false, SeqCst);
    assert_eq!(pool.get().unwrap().id, 1);
    assert_consistent(&pool, &manager);
}

fn panicking_has_broken_frees_its_slot<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let guard = pool.get().unwrap();
    manager.behaviour.panic_broken.store(true, SeqCst);
    let message = expect_panic(|| drop(guard));
    assert_eq!(message, "has_broken panicked on purpose");
    assert_eq!(manager.counters.dropped.load(SeqCst), 1);
    assert_eq!(pool.status().size, 0);
    manager.behaviour.panic_broken.store(false, SeqCst);
    assert_eq!(pool.get().unwrap().id, 1);
    assert_consistent(&pool, &manager);
}

fn failed_create_is_not_retried_or_hidden<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    manager.behaviour.fail_creates.store(3, SeqCst);
    for attempt in 1..=3 {
        assert!(matches!(pool.get(), Err(Error::Create(_))));
        assert_eq!(manager.counters.create_calls.load(SeqCst), attempt);
    }
    assert!(pool.get().is_ok());
}

both!(
    callbacks_may_call_the_pool,
    create_may_acquire_from_the_pool,
    panicking_create_frees_its_slot,
    panicking_recycle_frees_its_slot,
    panicking_has_broken_frees_its_slot,
    failed_create_is_not_retried_or_hidden,
);
