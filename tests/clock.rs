//! Rule 13: the idle-hit path reads no clock; a deadline is computed only when
//! a caller must wait. Counted by the pool itself in debug builds.

mod common;

use std::time::Duration;

use common::{pool, TestPool};
use zeropool::__private::clock_reads;
use zeropool::Error;

fn idle_hits_read_no_clock<P: TestPool>() {
    if !cfg!(debug_assertions) {
        panic!("clock reads are counted in debug builds only: run this test without --release");
    }
    let (pool, _manager) = pool::<P>(2);
    drop(pool.get().unwrap());
    let before = clock_reads();
    for _ in 0..100 {
        drop(pool.get().unwrap());
        drop(pool.get_timeout(Duration::from_secs(1)).unwrap());
        drop(pool.try_get().unwrap().unwrap());
        drop(pool.get_owned().unwrap());
    }
    assert_eq!(clock_reads() - before, 0, "an idle hit read the clock");

    // The counter works: waiting reads the clock.
    let _a = pool.get().unwrap();
    let _b = pool.get().unwrap();
    let before = clock_reads();
    assert!(matches!(
        pool.get_timeout(Duration::from_millis(1)),
        Err(Error::Timeout)
    ));
    assert!(clock_reads() > before);
}

/// With lifetimes tracked: at most one clock read per get and one per release.
fn lifetimes_cost_one_read_per_get_and_release<P: TestPool>() {
    if !cfg!(debug_assertions) {
        panic!("clock reads are counted in debug builds only: run this test without --release");
    }
    let (pool, _manager) = common::custom::<P>(|b| {
        b.max_size(2)
            .max_lifetime(Duration::from_secs(3600))
            .idle_timeout(Duration::from_secs(3600))
    });
    drop(pool.get().unwrap());
    let before = clock_reads();
    for _ in 0..100 {
        let guard = pool.get().unwrap();
        drop(guard);
    }
    assert_eq!(
        clock_reads() - before,
        200,
        "one read per get and one per release"
    );
}

both!(
    idle_hits_read_no_clock,
    lifetimes_cost_one_read_per_get_and_release
);
