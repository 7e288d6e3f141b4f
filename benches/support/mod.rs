//! Shared bench support: a counting allocator, criterion measurements read
//! from it, the boxed-wrapper counterexample, and the fast-path manager.

#![allow(dead_code)]

pub mod boxed;
pub mod conns;
pub mod counting;
pub mod heap;

/// Allocations and bytes per iteration of `op`, run `iterations` times after
/// one warm-up call.
pub fn allocations_per_iteration(iterations: u64, mut op: impl FnMut()) -> (f64, f64) {
    op();
    let before = counting::snapshot();
    for _ in 0..iterations {
        op();
    }
    let spent = counting::snapshot() - before;
    (
        spent.allocations as f64 / iterations as f64,
        spent.bytes as f64 / iterations as f64,
    )
}
