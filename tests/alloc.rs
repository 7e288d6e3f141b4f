//! Rule 12, with exact counts: once warm, the pool allocates nothing on any
//! path, for both backends.
//!
//! A counting global allocator counts each thread's allocations separately,
//! so tests running in parallel do not disturb each other. Warm-up: each
//! thread has acquired and blocked once, and the pool has seen its peak
//! number of simultaneous waiters.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use zeropool::{Builder, ChannelPool, Error, Manager, Pool, Pooled, StackPool};

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the counter
// is a const-initialized thread-local without destructor, which never
// allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations made by this thread while running `f`.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let value = f();
    (ALLOCATIONS.with(Cell::get) - before, value)
}

/// A manager whose create allocates nothing.
struct Blocks {
    created: AtomicUsize,
}

impl Manager for Blocks {
    type Resource = [u64; 8];
    type Error = std::convert::Infallible;

    fn create(&self) -> Result<[u64; 8], Self::Error> {
        let n = self.created.fetch_add(1, SeqCst) as u64;
        Ok([n; 8])
    }
}

trait AllocPool: Pool<Manager = Blocks> + Sized + 'static {
    fn builder() -> Builder<Blocks, Self>;
    fn build(builder: Builder<Blocks, Self>) -> Self;

    fn with_max(max_size: usize) -> Self {
        Self::build(Self::builder().max_size(max_size))
    }

    /// With every lifecycle option set, no maintenance thread.
    fn with_lifecycle(max_size: usize, lifetime: Duration) -> Self {
        Self::build(
            Self::builder()
                .max_size(max_size)
                .min_idle(1)
                .max_lifetime(lifetime)
                .idle_timeout(Duration::from_secs(3600))
                .maintenance_interval(None),
        )
    }
}

macro_rules! alloc_pool {
    ($pool:ident) => {
        impl AllocPool for $pool<Blocks> {
            fn builder() -> Builder<Blocks, Self> {
                $pool::builder(Blocks {
                    created: AtomicUsize::new(0),
                })
            }

            fn build(builder: Builder<Blocks, Self>) -> Self {
                builder.build().unwrap()
            }
        }
    };
}

alloc_pool!(StackPool);
alloc_pool!(ChannelPool);

const ROUNDS: usize = 1_000;

fn single_thread_paths<P: AllocPool>() {
    let pool = P::with_max(2);
    drop(pool.get().unwrap());

    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            drop(pool.get().unwrap());
        }
    });
    assert_eq!(count, 0, "get + release");

    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            drop(pool.try_get().unwrap().unwrap());
        }
    });
    assert_eq!(count, 0, "try_get + release");

    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            drop(pool.get_timeout(Duration::from_secs(1)).unwrap());
        }
    });
    assert_eq!(count, 0, "get_timeout + release");

    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            drop(pool.get_owned().unwrap());
        }
    });
    assert_eq!(count, 0, "get_owned + release");

    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            Pooled::discard(pool.get().unwrap()); // the next get creates
        }
    });
    assert_eq!(count, 0, "discard, and create into the free slot");

    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            let resource = Pooled::detach(pool.get().unwrap());
            std::hint::black_box(resource);
        }
    });
    assert_eq!(count, 0, "detach, and create into the free slot");

    let (count, _) = allocations(|| pool.status());
    assert_eq!(count, 0, "status");
}

fn timing_out<P: AllocPool>() {
    let pool = P::with_max(1);
    let held = pool.get().unwrap();
    // Warm-up: this thread has blocked once.
    assert!(matches!(
        pool.get_timeout(Duration::from_micros(1)),
        Err(Error::Timeout)
    ));
    let (count, _) = allocations(|| {
        for _ in 0..200 {
            assert!(matches!(
                pool.get_timeout(Duration::from_micros(1)),
                Err(Error::Timeout)
            ));
        }
    });
    assert_eq!(count, 0, "timing out");
    drop(held);
}

/// A waiter blocks and is woken by a release (and, every other round, by a
/// discard, so it creates), in lockstep; both threads count their own
/// allocations after the first round.
fn waiting_and_being_woken<P: AllocPool>() {
    let pool = P::with_max(1);
    let turn = AtomicUsize::new(0);
    let rounds = 200;
    let wait_for = |wanted: usize| {
        while turn.load(SeqCst) != wanted {
            thread::yield_now();
        }
    };
    thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            let mut counted = 0;
            for round in 0..rounds {
                wait_for(2 * round + 1);
                let (count, guard) = allocations(|| pool.get().unwrap());
                drop(guard);
                turn.store(2 * round + 2, SeqCst);
                if round > 0 {
                    counted += count;
                }
            }
            counted
        });
        let mut counted = 0;
        for round in 0..rounds {
            wait_for(2 * round);
            let (count, ()) = allocations(|| {
                let guard = pool.get().unwrap();
                turn.store(2 * round + 1, SeqCst);
                while pool.status().waiting != 1 {
                    thread::yield_now();
                }
                if round % 2 == 0 {
                    drop(guard);
                } else {
                    Pooled::discard(guard);
                }
            });
            if round > 0 {
                counted += count;
            }
        }
        assert_eq!(counted, 0, "releasing and discarding to a waiter");
        assert_eq!(waiter.join().unwrap(), 0, "waiting and being woken");
    });
}

/// Lifetimes, idle timeout and maintenance set: still nothing allocates.
fn lifecycle_paths<P: AllocPool>() {
    let pool = P::with_lifecycle(2, Duration::from_secs(3600));
    pool.maintain();
    drop(pool.get().unwrap());
    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            drop(pool.get().unwrap());
            drop(pool.try_get().unwrap().unwrap());
        }
    });
    assert_eq!(count, 0, "get + release with lifetimes tracked");
    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            pool.maintain();
            pool.retain(|_| true);
            pool.fill(2).unwrap();
        }
    });
    assert_eq!(count, 0, "maintain, retain, fill");
    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            pool.reset();
            pool.fill(1).unwrap();
        }
    });
    assert_eq!(count, 0, "reset, and fill creating");

    // Every resource expires at once: each get creates, each release drops.
    let expiring = P::with_lifecycle(1, Duration::from_nanos(1));
    drop(expiring.get().unwrap());
    let (count, _) = allocations(|| {
        for _ in 0..ROUNDS {
            drop(expiring.get().unwrap());
        }
    });
    assert_eq!(count, 0, "expiry at release, create into the free slot");
    assert_eq!(expiring.status().closed_expired, ROUNDS as u64 + 1);
}

macro_rules! for_backends {
    ($($name:ident),*) => {
        mod stack {
            $(#[test] fn $name() { super::$name::<zeropool::StackPool<super::Blocks>>() })*
        }
        mod channel {
            $(#[test] fn $name() { super::$name::<zeropool::ChannelPool<super::Blocks>>() })*
        }
    };
}

for_backends!(
    single_thread_paths,
    timing_out,
    waiting_and_being_woken,
    lifecycle_paths
);

#[test]
fn the_counter_counts() {
    let (count, boxed) = allocations(|| Box::new(1u8));
    assert_eq!(count, 1);
    drop(boxed);
}
