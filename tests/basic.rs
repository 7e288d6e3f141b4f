//! Everyday use of both backends: reuse, order, try_get, status, detach and
//! discard, owned guards, building, and errors.

mod common;

use std::error::Error as _;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::{assert_consistent, pool, CreateFailed, TestManager, TestPool};
use zeropool::{ChannelPool, Error, Pool, Pooled, StackPool};

fn reuses_idle_resources<P: TestPool>() {
    let (pool, manager) = pool::<P>(4);
    for _ in 0..100 {
        let guard = pool.get().unwrap();
        assert_eq!(guard.id, 0);
    }
    assert_eq!(manager.counters.created.load(SeqCst), 1);
    assert_eq!(manager.counters.recycle_calls.load(SeqCst), 99);
    assert_eq!(manager.counters.broken_calls.load(SeqCst), 100);
    assert_consistent(&pool, &manager);
}

fn creates_up_to_max_size<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    let guards: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    let status = pool.status();
    assert_eq!((status.size, status.in_use, status.idle), (3, 3, 0));
    assert!(matches!(
        pool.get_timeout(Duration::from_millis(10)),
        Err(Error::Timeout)
    ));
    drop(guards);
    let status = pool.status();
    assert_eq!((status.size, status.in_use, status.idle), (3, 0, 3));
    assert_consistent(&pool, &manager);
}

fn try_get_never_creates_or_waits<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    assert!(pool.try_get().unwrap().is_none());
    assert_eq!(manager.counters.create_calls.load(SeqCst), 0);
    drop(pool.get().unwrap());
    let held = pool.try_get().unwrap().expect("one resource is idle");
    assert!(
        pool.try_get().unwrap().is_none(),
        "a slot is free, but try_get never creates"
    );
    assert_eq!(manager.counters.create_calls.load(SeqCst), 1);
    drop(held);
}

fn try_get_skips_resources_that_fail_recycle<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let (a, b) = (pool.get().unwrap(), pool.get().unwrap());
    drop((a, b));
    manager.behaviour.fail_recycle.store(true, SeqCst);
    assert!(pool.try_get().unwrap().is_none());
    assert_eq!(manager.counters.dropped.load(SeqCst), 2);
    assert_eq!(pool.status().size, 0);
}

fn detach_frees_the_slot<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let detached = Pooled::detach(pool.get().unwrap());
    assert_eq!(pool.status().size, 0);
    let second = pool.get_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(second.id, 1);
    assert_eq!(manager.counters.dropped.load(SeqCst), 0);
    drop(detached);
    drop(second);
    assert_eq!(
        pool.status().size,
        1,
        "the detached resource is no longer counted"
    );
}

fn discard_drops_and_frees_the_slot<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    Pooled::discard(pool.get().unwrap());
    assert_eq!(manager.counters.dropped.load(SeqCst), 1);
    assert_eq!(pool.status().size, 0);
    assert_eq!(pool.get().unwrap().id, 1);
    assert_consistent(&pool, &manager);
}

fn broken_resources_are_dropped_on_release<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    let mut guard = pool.get().unwrap();
    guard.broken = true;
    drop(guard);
    assert_eq!(manager.counters.dropped.load(SeqCst), 1);
    assert_eq!(pool.status().size, 0);
    assert_consistent(&pool, &manager);
}

fn failed_recycle_drops_and_goes_on<P: TestPool>() {
    let (pool, manager) = pool::<P>(2);
    drop(pool.get().unwrap());
    manager.behaviour.fail_recycle.store(true, SeqCst);
    let guard = pool.get().unwrap();
    assert_eq!(
        guard.id, 1,
        "the idle resource failed recycle; a new one was created"
    );
    assert_eq!(manager.counters.dropped.load(SeqCst), 1);
    drop(guard);
    assert_consistent(&pool, &manager);
}

fn uses_counts_checkouts<P: TestPool>() {
    let (pool, _manager) = pool::<P>(1);
    assert_eq!(Pooled::uses(&pool.get().unwrap()), 1);
    assert_eq!(Pooled::uses(&pool.get().unwrap()), 2);
    assert_eq!(Pooled::uses(&pool.get_owned().unwrap()), 3);
}

fn owned_guard_moves_across_threads_and_keeps_pool_alive<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    let owned = pool.get_owned().unwrap();
    drop(pool);
    assert_eq!(manager.counters.dropped.load(SeqCst), 0);
    let id = std::thread::spawn(move || owned.id).join().unwrap();
    assert_eq!(id, 0);
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        1,
        "releasing the last owned guard of a dropped pool drops the resource"
    );
}

fn dropping_the_last_handle_drops_idle_resources<P: TestPool>() {
    let (pool, manager) = pool::<P>(3);
    let clone = pool.clone();
    let guards: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    drop(guards);
    drop(pool);
    assert_eq!(
        manager.counters.dropped.load(SeqCst),
        0,
        "a clone still holds the pool"
    );
    assert_eq!(clone.status().idle, 3);
    drop(clone);
    assert_eq!(manager.counters.dropped.load(SeqCst), 3);
}

fn create_error_is_returned_at_once<P: TestPool>() {
    let (pool, manager) = pool::<P>(1);
    manager.behaviour.fail_creates.store(1, SeqCst);
    let started = std::time::Instant::now();
    match pool.get() {
        Err(Error::Create(CreateFailed)) => {}
        other => panic!("expected Error::Create, got {:?}", other.map(|g| g.id)),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no hidden retry until the timeout"
    );
    assert_eq!(manager.counters.create_calls.load(SeqCst), 1, "no retry");
    assert_eq!(pool.status().size, 0);
    assert_eq!(pool.get().unwrap().id, 0);
}

fn status_counts_waiters<P: TestPool>() {
    let (pool, _manager) = pool::<P>(1);
    let held = pool.get().unwrap();
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| pool.get().map(|g| g.id).map_err(|_| ()));
        common::eventually("one waiter", || pool.status().waiting == 1);
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(0));
    });
    assert_eq!(pool.status().waiting, 0);
}

both!(
    reuses_idle_resources,
    creates_up_to_max_size,
    try_get_never_creates_or_waits,
    try_get_skips_resources_that_fail_recycle,
    detach_frees_the_slot,
    discard_drops_and_frees_the_slot,
    broken_resources_are_dropped_on_release,
    failed_recycle_drops_and_goes_on,
    uses_counts_checkouts,
    owned_guard_moves_across_threads_and_keeps_pool_alive,
    dropping_the_last_handle_drops_idle_resources,
    create_error_is_returned_at_once,
    status_counts_waiters,
);

/// Releases three resources in creation order; returns the order in which
/// the pool hands them out again.
fn reuse_order<P: TestPool>() -> Vec<usize> {
    let (pool, _manager) = pool::<P>(3);
    let guards: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    drop(guards); // drops in order: 0, 1, 2
    (0..3)
        .map(|_| Pooled::detach(pool.get().unwrap()).id)
        .collect()
}

#[test]
fn stack_hands_out_last_released_first() {
    assert_eq!(reuse_order::<StackPool<TestManager>>(), [2, 1, 0]);
}

#[test]
fn channel_hands_out_first_released_first() {
    assert_eq!(reuse_order::<ChannelPool<TestManager>>(), [0, 1, 2]);
}

#[test]
fn builder_rejects_settings_that_cannot_work() {
    let error = StackPool::builder(TestManager::default())
        .max_size(0)
        .build()
        .unwrap_err();
    assert_eq!(error.option(), "max_size");
    assert_eq!(
        error.to_string(),
        "invalid pool setting `max_size`: must be at least 1"
    );
    let error = ChannelPool::builder(TestManager::default())
        .acquire_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(error.option(), "acquire_timeout");
    assert!(error.to_string().contains("acquire_timeout"));
}

/// A manager whose resources are 1 GiB each: a store for 1,048,576 of them
/// is more than any address space holds.
struct Huge;

impl zeropool::Manager for Huge {
    type Resource = [u8; 1 << 30];
    type Error = CreateFailed;
    fn create(&self) -> Result<Self::Resource, CreateFailed> {
        Err(CreateFailed)
    }
}

#[test]
fn a_store_too_large_for_memory_is_a_build_error() {
    let expected = "invalid pool setting `max_size`: the idle store for this many resources could not be allocated";
    let error = StackPool::builder(Huge)
        .max_size(1 << 20)
        .build()
        .unwrap_err();
    assert_eq!(error.to_string(), expected);
    let error = ChannelPool::builder(Huge)
        .max_size(1 << 20)
        .build()
        .unwrap_err();
    assert_eq!(error.to_string(), expected);
}

#[test]
fn builder_defaults() {
    let pool = StackPool::builder(TestManager::default()).build().unwrap();
    assert_eq!(pool.status().max_size, 10);
    let pool = ChannelPool::builder(TestManager::default())
        .build()
        .unwrap();
    assert_eq!(pool.status().max_size, 10);
}

#[test]
fn errors_display_and_forward_their_source() {
    let timeout: Error<CreateFailed> = Error::Timeout;
    assert_eq!(
        timeout.to_string(),
        "timed out waiting for a pooled resource"
    );
    assert!(timeout.source().is_none());
    let closed: Error<CreateFailed> = Error::Closed;
    assert_eq!(closed.to_string(), "the pool is closed");
    let create = Error::Create(CreateFailed);
    assert_eq!(
        create.to_string(),
        "failed to create a pooled resource: test create failed"
    );
    assert_eq!(create.source().unwrap().to_string(), "test create failed");
}
