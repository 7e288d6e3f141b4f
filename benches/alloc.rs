//! `cargo bench --bench alloc`: every acquire path of both backends under
//! criterion, three times over: time, allocations and bytes per iteration,
//! the last two read from a counting global allocator by the [`Heap`]
//! measurements. The boxed trait-object wrapper runs too, as the
//! counterexample.
//!
//! Paths, for each backend: an idle hit through `get`, `try_get` and
//! `get_owned`; creating into a free slot (the guard is discarded each time);
//! waiting and being woken (two threads, `max_size` 1); and timing out
//! (`get_timeout` of 1 µs on an exhausted pool). Each is warmed up before
//! criterion starts: every thread involved has acquired and blocked once.
//!
//! The run ends with a table of allocations and bytes per iteration over every
//! batch criterion ran, warm-up batches included, and exits with status 1 if
//! a pool path allocated or the boxed path did not: a wrong claim cannot pass
//! unnoticed. Takes about two minutes.

mod support;

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use criterion::measurement::{Measurement, WallTime};
use criterion::Criterion;
use support::boxed::{Boxed, DynPool};
use support::conns::Conns;
use support::counting;
use support::heap::{show, Count, Heap};
use zeropool::{ChannelPool, Error, Pool, Pooled, StackPool};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// What a path is claimed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    /// A pool path: no allocation, no byte, ever.
    NoAllocation,
    /// The boxed wrapper: at least one allocation per iteration.
    Allocates,
}

/// What criterion measured for one path, summed over its batches.
#[derive(Debug)]
struct Row {
    path: String,
    claim: Claim,
    allocations: Count,
    bytes: Count,
}

impl Row {
    /// Whether the measurements bear out the claim; `None` if the path did
    /// not run (filtered out on the command line).
    fn holds(&self) -> Option<bool> {
        if self.allocations.iterations == 0 || self.bytes.iterations == 0 {
            return None;
        }
        Some(match self.claim {
            Claim::NoAllocation => self.allocations.events == 0 && self.bytes.events == 0,
            Claim::Allocates => self.allocations.per_iteration() >= 1.0,
        })
    }
}

/// One criterion per measurement, and what the heap measurements saw.
struct Bench {
    time: Criterion<WallTime>,
    allocations: Criterion<Heap>,
    bytes: Criterion<Heap>,
    rows: Vec<Row>,
}

/// Short runs: the counts are exact, and the times only need to be beside them.
fn quick<M: Measurement>(criterion: Criterion<M>) -> Criterion<M> {
    criterion
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300))
        .nresamples(10_000)
        .without_plots()
        .configure_from_args()
}

impl Bench {
    fn new() -> Self {
        Self {
            time: quick(Criterion::default()),
            allocations: quick(Criterion::default().with_measurement(Heap::ALLOCATIONS)),
            bytes: quick(Criterion::default().with_measurement(Heap::BYTES)),
            rows: Vec::new(),
        }
    }

    /// Benchmarks `op`, already warm, three times: `<path>/time`,
    /// `<path>/allocs` and `<path>/bytes`.
    fn path(&mut self, path: &str, claim: Claim, mut op: impl FnMut()) {
        self.rows.push(Row {
            path: path.to_owned(),
            claim,
            allocations: Count::default(),
            bytes: Count::default(),
        });
        let Some(row) = self.rows.last_mut() else {
            unreachable!("a row was just pushed")
        };
        self.time
            .bench_function(&format!("{path}/time"), |b| b.iter(&mut op));
        self.allocations
            .bench_function(&format!("{path}/allocs"), |b| {
                b.iter_custom(|iterations| {
                    let count = Heap::ALLOCATIONS.run(iterations, &mut op);
                    row.allocations = row.allocations + count;
                    count
                })
            });
        self.bytes.bench_function(&format!("{path}/bytes"), |b| {
            b.iter_custom(|iterations| {
                let count = Heap::BYTES.run(iterations, &mut op);
                row.bytes = row.bytes + count;
                count
            })
        });
    }

    /// Prints the summary table; false if a claim failed.
    fn summary(&self) -> bool {
        println!();
        println!("Allocations per iteration, over every batch criterion ran (warm-up included):");
        println!();
        println!(
            "{:<26} {:>12} {:>12} {:>10}  {:<13} verdict",
            "path", "iterations", "allocs/iter", "B/iter", "claim"
        );
        let mut all_hold = true;
        for row in &self.rows {
            let claim = match row.claim {
                Claim::NoAllocation => "0 allocs, 0 B",
                Claim::Allocates => ">= 1 alloc",
            };
            let (allocations, bytes, verdict) = match row.holds() {
                None => ("-".to_owned(), "-".to_owned(), "not run"),
                Some(holds) => {
                    all_hold &= holds;
                    (
                        show(row.allocations.per_iteration()),
                        show(row.bytes.per_iteration()),
                        if holds { "ok" } else { "WRONG" },
                    )
                }
            };
            println!(
                "{:<26} {:>12} {allocations:>12} {bytes:>10}  {claim:<13} {verdict}",
                row.path, row.allocations.iterations,
            );
        }
        println!();
        if all_hold {
            println!("Every claim holds: no pool path allocated; the boxed wrapper did.");
        } else {
            println!("A CLAIM IS WRONG: see the rows marked WRONG.");
        }
        all_hold
    }
}

/// Every path of one backend.
fn backend<P: Pool<Manager = Conns>>(bench: &mut Bench, name: &str, build: fn(usize) -> P) {
    let pool = build(2);
    drop(pool.get().unwrap()); // one resource idle from now on
    bench.path(&format!("{name}/get"), Claim::NoAllocation, || {
        let guard = pool.get().unwrap();
        black_box(*guard);
    });
    bench.path(&format!("{name}/try_get"), Claim::NoAllocation, || {
        let guard = pool.try_get().unwrap().expect("a resource is idle");
        black_box(*guard);
    });
    bench.path(&format!("{name}/get_owned"), Claim::NoAllocation, || {
        let guard = pool.get_owned().unwrap();
        black_box(*guard);
    });
    // Nothing idle after a discard, so every get creates into the freed slot.
    let create = || Pooled::discard(black_box(pool.get().unwrap()));
    create();
    bench.path(&format!("{name}/create"), Claim::NoAllocation, create);
    drop(pool);

    wait_and_wake(bench, name, &build(1));
    timeout(bench, name, &build(1));
}

/// Whose move it is in [`wait_and_wake`].
const MAIN: usize = 0;
const HELPER: usize = 1;
const STOP: usize = 2;

/// Tells the helper thread to stop, also when a panic unwinds the bench.
struct StopHelper<'a>(&'a AtomicUsize);

impl Drop for StopHelper<'_> {
    fn drop(&mut self) {
        self.0.store(STOP, SeqCst);
    }
}

/// One iteration: the main thread takes the only resource, a helper thread
/// asks for it and blocks, the main thread releases it, which wakes the
/// helper; the helper releases it and hands the turn back.
fn wait_and_wake<P: Pool<Manager = Conns>>(bench: &mut Bench, name: &str, pool: &P) {
    let turn = AtomicUsize::new(MAIN);
    thread::scope(|scope| {
        scope.spawn(|| loop {
            match turn.load(SeqCst) {
                HELPER => {
                    drop(pool.get().unwrap());
                    turn.store(MAIN, SeqCst);
                }
                STOP => return,
                _ => thread::yield_now(),
            }
        });
        let _stop = StopHelper(&turn);
        let round = || {
            let guard = pool.get().unwrap();
            turn.store(HELPER, SeqCst);
            while pool.status().waiting == 0 {
                thread::yield_now();
            }
            drop(guard);
            while turn.load(SeqCst) != MAIN {
                thread::yield_now();
            }
        };
        for _ in 0..3 {
            round(); // warm-up: both threads have acquired and blocked
        }
        bench.path(&format!("{name}/wait_and_wake"), Claim::NoAllocation, round);
    });
}

/// One iteration: `get_timeout` of 1 µs while the only resource is held.
fn timeout<P: Pool<Manager = Conns>>(bench: &mut Bench, name: &str, pool: &P) {
    let held = pool.get().unwrap();
    let time_out = || match pool.get_timeout(Duration::from_micros(1)) {
        Err(Error::Timeout) => {}
        Ok(_) => panic!("got a resource from an exhausted pool"),
        Err(error) => panic!("expected a timeout, got {error}"),
    };
    time_out(); // warm-up: this thread has blocked once
    bench.path(&format!("{name}/timeout"), Claim::NoAllocation, time_out);
    drop(held);
}

fn main() -> ExitCode {
    let mut bench = Bench::new();
    backend(&mut bench, "stack", |max_size| {
        StackPool::builder(Conns)
            .max_size(max_size)
            .build()
            .unwrap()
    });
    backend(&mut bench, "channel", |max_size| {
        ChannelPool::builder(Conns)
            .max_size(max_size)
            .build()
            .unwrap()
    });

    let boxed = Boxed(StackPool::builder(Conns).max_size(1).build().unwrap());
    let acquire = || {
        let resource = boxed.acquire().unwrap();
        black_box(resource.value());
    };
    acquire();
    bench.path("boxed/get", Claim::Allocates, acquire);

    bench.time.final_summary();
    bench.allocations.final_summary();
    bench.bytes.final_summary();
    if bench.summary() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
