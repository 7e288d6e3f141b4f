//! Reproduces the Go benchmark table zeropool starts from, in Go's benchmem
//! format, measured on this machine: an acquire + release fast path through
//! each backend, and through a boxed trait-object wrapper (the Go adapter
//! pattern), with allocations counted by a counting global allocator.
//!
//! Run: `cargo run --release --example repro` (about 10 s); `-- --quick` for
//! a short smoke run. Exits with an error if a pool path allocated or the
//! boxed wrapper did not.

#[path = "../benches/support/boxed.rs"]
mod boxed;
#[path = "../benches/support/conns.rs"]
mod conns;
#[path = "../benches/support/counting.rs"]
mod counting;

use std::hint::black_box;
use std::time::{Duration, Instant};

use boxed::{Boxed, DynPool};
use conns::Conns;
use zeropool::{ChannelPool, Manager, Pool, StackPool};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// One measured case: runs `op` `iterations` times.
struct Case<'a> {
    name: &'static str,
    op: Box<dyn Fn(u64) + 'a>,
}

/// Acquire, touch, release through the `Pool` trait (monomorphized).
fn fast_path<P: Pool>(pool: &P, iterations: u64)
where
    <P::Manager as Manager>::Resource: Copy + Into<u64>,
{
    for _ in 0..iterations {
        let Ok(guard) = pool.get() else {
            panic!("the pool has an idle resource")
        };
        black_box((*guard).into());
    }
}

/// The same through the boxed wrapper.
fn boxed_path(pool: &dyn DynPool, iterations: u64) {
    for _ in 0..iterations {
        let resource = pool.acquire().expect("an idle resource");
        black_box(resource.value());
    }
}

/// Go's `b.N` scaling: grows the iteration count until one run takes about
/// `target`; returns the count and the run's duration and allocations.
fn run(op: &dyn Fn(u64), target: Duration) -> (u64, Duration, counting::Snapshot) {
    let mut iterations = 1u64;
    loop {
        let before = counting::snapshot();
        let started = Instant::now();
        op(iterations);
        let elapsed = started.elapsed();
        let allocated = counting::snapshot() - before;
        if elapsed >= target || iterations >= 1 << 40 {
            return (iterations, elapsed, allocated);
        }
        let scale = target.as_secs_f64() / elapsed.as_secs_f64().max(1e-9);
        iterations =
            ((iterations as f64 * scale * 1.2) as u64).clamp(iterations + 1, iterations * 100);
    }
}

fn main() {
    let procs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (samples, target) = if quick {
        (1, Duration::from_millis(50))
    } else {
        (3, Duration::from_millis(800))
    };

    let channel = ChannelPool::builder(Conns)
        .max_size(8)
        .build()
        .expect("valid settings");
    let stack = StackPool::builder(Conns)
        .max_size(8)
        .build()
        .expect("valid settings");
    let wrapped = Boxed(
        StackPool::builder(Conns)
            .max_size(8)
            .build()
            .expect("valid settings"),
    );
    // Warm each pool: one resource created and idle.
    drop(channel.get());
    drop(stack.get());
    drop(wrapped.0.get());

    let cases = [
        Case {
            name: "channel",
            op: Box::new(|n| fast_path(&channel, n)),
        },
        Case {
            name: "stack",
            op: Box::new(|n| fast_path(&stack, n)),
        },
        Case {
            name: "boxed",
            op: Box::new(|n| boxed_path(&wrapped, n)),
        },
    ];

    println!("goos: {}", std::env::consts::OS);
    println!("goarch: {}", std::env::consts::ARCH);
    println!("pkg: zeropool (Rust, measured now; median of {samples} runs of ~{target:?})");
    let mut allocations_per_op = Vec::new();
    for case in &cases {
        let mut runs: Vec<_> = (0..samples).map(|_| run(&*case.op, target)).collect();
        runs.sort_by(|a, b| {
            let per_op = |r: &(u64, Duration, counting::Snapshot)| r.1.as_secs_f64() / r.0 as f64;
            per_op(a).total_cmp(&per_op(b))
        });
        let (iterations, elapsed, allocated) = runs[samples / 2];
        let ns = elapsed.as_nanos() as f64 / iterations as f64;
        println!(
            "BenchmarkPool_Acquire_FastPath/{}-{procs}\t{iterations:>10}\t{ns:>10.2} ns/op\t{:>8} B/op\t{:>8} allocs/op",
            case.name,
            allocated.bytes / iterations,
            allocated.allocations / iterations,
        );
        allocations_per_op.push((case.name, allocated.allocations as f64 / iterations as f64));
    }
    println!("ok  \tzeropool");
    println!();
    println!("Reference (the Go team's table, not measured here):");
    println!("BenchmarkPool_Acquire_FastPath/channel-8\t      68.51 ns/op\t       0 B/op\t       0 allocs/op");
    println!("BenchmarkPool_Acquire_FastPath/puddle-8 \t      99.20 ns/op\t       8 B/op\t       1 allocs/op");

    for (name, per_op) in allocations_per_op {
        let expected_ok = if name == "boxed" {
            per_op >= 1.0
        } else {
            per_op == 0.0
        };
        if !expected_ok {
            eprintln!("unexpected allocation count for {name}: {per_op} per op");
            std::process::exit(1);
        }
    }
}
