//! `cargo bench --bench fast_path`: acquire + release on a warm pool, for each
//! backend and for the boxed trait-object wrapper, with allocations per
//! iteration printed beside the times.

mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use support::boxed::{Boxed, DynPool};
use support::conns::Conns;
use support::{allocations_per_iteration, counting};
use zeropool::{ChannelPool, Pool, StackPool};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fn acquire_release<P: Pool<Manager = Conns>>(pool: &P) {
    let Ok(guard) = pool.get() else {
        panic!("the pool has an idle resource")
    };
    black_box(*guard);
}

fn acquire_release_boxed(pool: &dyn DynPool) {
    let Ok(resource) = pool.acquire() else {
        panic!("the pool has an idle resource")
    };
    black_box(resource.value());
}

fn report(name: &str, op: impl FnMut()) {
    let (allocations, bytes) = allocations_per_iteration(100_000, op);
    println!("Pool_Acquire_FastPath/{name}: {allocations} allocs/iter, {bytes} B/iter");
}

fn fast_path(c: &mut Criterion) {
    let channel = ChannelPool::builder(Conns).max_size(8).build().unwrap();
    let stack = StackPool::builder(Conns).max_size(8).build().unwrap();
    let boxed = Boxed(StackPool::builder(Conns).max_size(8).build().unwrap());

    let mut group = c.benchmark_group("Pool_Acquire_FastPath");
    group.bench_function("channel", |b| b.iter(|| acquire_release(&channel)));
    group.bench_function("stack", |b| b.iter(|| acquire_release(&stack)));
    group.bench_function("boxed", |b| b.iter(|| acquire_release_boxed(&boxed)));
    group.finish();

    // The statistics' cost on the fast path: one relaxed increment of a
    // shared counter per get served from idle (every other counter lives on
    // paths that take the lock anyway).
    let counter = std::sync::atomic::AtomicU64::new(0);
    let mut group = c.benchmark_group("Counters");
    group.bench_function("gets_increment", |b| {
        b.iter(|| counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    });
    group.finish();

    report("channel", || acquire_release(&channel));
    report("stack", || acquire_release(&stack));
    report("boxed", || acquire_release_boxed(&boxed));
}

criterion_group!(benches, fast_path);
criterion_main!(benches);
