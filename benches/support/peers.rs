//! The pools `cargo bench --bench peers` compares zeropool with, behind one
//! small interface, and the three workloads run on each: the fast path (W1),
//! threads contending for a few resources (W2) and the create path (W3).
//!
//! Shared by `benches/peers.rs` and `examples/scaling.rs`, so the numbers in
//! the README table and in `docs/scaling.svg` come from the same code.
//!
//! # The rows
//!
//! | row | kind | driven by |
//! |---|---|---|
//! | zeropool `StackPool`, `ChannelPool` | this crate | the calling thread |
//! | r2d2 0.8 | bounded, sync | the calling thread (creates run on r2d2's own threads) |
//! | deadpool 0.13 `unmanaged::Pool`, `managed::Pool` | bounded, async | a tokio current-thread runtime |
//! | bb8 0.9 | bounded, async | a tokio current-thread runtime (creates run in spawned tasks) |
//! | object-pool 0.6, lockfree-object-pool 0.1 (`LinearObjectPool`) | unbounded | the calling thread |
//! | floors: `Mutex<Vec>` + `Condvar`, crossbeam `bounded`, `ArrayQueue` | written here | the calling thread |
//! | reference: create + `Instant::now()` (W3 only) | no pool | the calling thread |
//!
//! An async pool runs a whole measured loop inside one `block_on` of a
//! current-thread runtime (built with the time driver, which bb8's get
//! timeout needs). In W2 every OS thread builds its own current-thread
//! runtime and runs its loop in it; the pool is shared by reference.
//!
//! # Settings: library defaults, and the deviations
//!
//! Every peer keeps its library's defaults (r2d2: `min_idle` = `max_size`,
//! `test_on_check_out`, reaper; bb8: `test_on_check_out`, FIFO, 30 s
//! timeout, reaper; deadpool: FIFO, no timeouts) except:
//!
//! - `max_size` is the workload's (8 in W1 and W3; 2 and 8 in W2).
//! - deadpool `unmanaged` has no create hook: the pool is filled with
//!   `max_size` objects up front, and its W3 discard is `Object::take`
//!   followed by `try_add` of a freshly created object.
//! - deadpool `managed` discards with `Object::take`; r2d2 and bb8 have no
//!   discard call, so their manager's `has_broken` answers true in W3.
//! - object-pool and lockfree-object-pool are unbounded (a get on an empty
//!   pool creates), so they cannot be held to a shared `max_size`: they have
//!   no W2 rows. object-pool starts with `max_size` objects (`Pool::new`);
//!   lockfree-object-pool cannot discard a pulled object, so it has no W3
//!   row either.
//! - The floors are the least a bounded pool can do with each primitive. The
//!   `Mutex<Vec>` floor counts its waiters and notifies only when one waits
//!   (std's `Condvar::notify_one` makes a system call even with none); the
//!   crossbeam floor holds `max_size` slots, each `Some(resource)` or `None`
//!   (room to create); the `ArrayQueue` floor cannot block, so a get on an
//!   empty queue calls `yield_now` and retries.
//! - The W3 reference is no pool: each operation creates a resource and
//!   reads `Instant::now()` for its creation time, as zeropool (for
//!   `Pooled::created_at`, and lifetimes), r2d2, deadpool `managed` and bb8
//!   do on each create. It is the least such a pool's W3 operation can cost
//!   here, and no target compares with it.
//!
//! # Measurements
//!
//! The resource is 64 bytes, and creating it allocates nothing and bumps a
//! counter: W1 and W2 must create nothing once warm, W3 once per operation.
//! W2 records every acquire wait (the time `get` takes) in a per-thread
//! histogram allocated before the loop starts: 32 buckets per power of two,
//! so a percentile is within 3 %, and the maximum is exact.

#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::ops::DerefMut;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use zeropool::{ChannelPool, Pool, Pooled, StackPool};

/// The pooled resource: 64 bytes, created without allocating.
#[derive(Debug)]
pub struct Resource {
    bytes: [u8; 64],
}

const _: () = assert!(std::mem::size_of::<Resource>() == 64);

/// Creates resources and counts the creates of one pool.
#[derive(Clone, Debug, Default)]
pub struct Creates(Arc<AtomicU64>);

impl Creates {
    /// A new resource; allocates nothing.
    pub fn create(&self) -> Resource {
        self.0.fetch_add(1, Relaxed);
        Resource { bytes: [0; 64] }
    }

    /// How many resources were created so far.
    pub fn count(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// What W1 and W3 do with a resource between get and release.
#[inline]
fn touch(resource: &mut Resource) {
    resource.bytes[0] = resource.bytes[0].wrapping_add(1);
    black_box(resource);
}

/// What W2 does with a resource between get and release: a touch and about
/// 100 ns of arithmetic, the same number of rounds for every pool.
#[derive(Clone, Copy, Debug)]
pub struct Work {
    rounds: u32,
}

impl Work {
    /// Work that takes about `target` on this machine, touch and loop
    /// overhead included: estimated from one long run, then corrected twice
    /// against [`duration`](Self::duration).
    pub fn calibrate(target: Duration) -> Self {
        let probe = Work { rounds: 1 << 20 };
        let mut resource = Creates::default().create();
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let started = Instant::now();
            probe.run(&mut resource);
            best = best.min(started.elapsed());
        }
        let per_round = best.as_secs_f64() / f64::from(probe.rounds);
        let mut work = Work {
            rounds: (target.as_secs_f64() / per_round).round().max(1.0) as u32,
        };
        for _ in 0..2 {
            let took = work.duration().as_secs_f64().max(1e-9);
            let scaled = f64::from(work.rounds) * target.as_secs_f64() / took;
            work.rounds = scaled.round().max(1.0) as u32;
        }
        work
    }

    /// How long the work takes: the best of five averages over many runs.
    pub fn duration(&self) -> Duration {
        let mut resource = Creates::default().create();
        let runs = 20_000;
        (0..5)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..runs {
                    self.run(&mut resource);
                }
                started.elapsed() / runs
            })
            .min()
            .unwrap_or_default()
    }

    #[inline]
    fn run(&self, resource: &mut Resource) {
        touch(resource);
        let mut acc = u64::from(resource.bytes[0]);
        for _ in 0..self.rounds {
            acc = black_box(
                acc.wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407),
            );
        }
        resource.bytes[1] = acc as u8;
    }
}

// ---------------------------------------------------------------------------
// Wait histogram
// ---------------------------------------------------------------------------

/// Values below this many nanoseconds have a bucket each.
const EXACT_BELOW: u64 = 64;
/// Sub-buckets per power of two above `EXACT_BELOW` (as a shift).
const SUB_BITS: u32 = 5;
const BUCKETS: usize = EXACT_BELOW as usize + (64 - 6) * (1 << SUB_BITS);

/// Acquire waits of one thread (or several, merged), in nanoseconds.
#[derive(Clone, Debug)]
pub struct Waits {
    counts: Box<[u64]>,
    count: u64,
    max: u64,
}

impl Default for Waits {
    fn default() -> Self {
        Self::new()
    }
}

impl Waits {
    /// An empty histogram; the only allocation it ever makes.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            count: 0,
            max: 0,
        }
    }

    /// Records one wait. Never allocates.
    #[inline]
    pub fn record(&mut self, wait: Duration) {
        let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket(nanos)] += 1;
        self.count += 1;
        self.max = self.max.max(nanos);
    }

    /// Adds another histogram's waits to this one.
    pub fn merge(&mut self, other: &Waits) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.count += other.count;
        self.max = self.max.max(other.max);
    }

    /// How many waits were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The longest wait.
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.max)
    }

    /// The wait that a fraction `quantile` of waits did not exceed (the
    /// middle of its bucket, within 3 %).
    pub fn quantile(&self, quantile: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((quantile * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, width) = bucket_range(index);
                return Duration::from_nanos((low + width / 2).min(self.max));
            }
        }
        self.max()
    }
}

fn bucket(nanos: u64) -> usize {
    if nanos < EXACT_BELOW {
        return nanos as usize;
    }
    let exponent = 63 - nanos.leading_zeros();
    let sub = (nanos >> (exponent - SUB_BITS)) as usize & ((1 << SUB_BITS) - 1);
    EXACT_BELOW as usize + (exponent as usize - 6) * (1 << SUB_BITS) + sub
}

/// A bucket's lowest value and width.
fn bucket_range(index: usize) -> (u64, u64) {
    if index < EXACT_BELOW as usize {
        return (index as u64, 1);
    }
    let above = index - EXACT_BELOW as usize;
    let exponent = (above >> SUB_BITS) as u32 + 6;
    let sub = (above & ((1 << SUB_BITS) - 1)) as u64;
    let width = 1u64 << (exponent - SUB_BITS);
    (((1 << SUB_BITS) + sub) * width, width)
}

// ---------------------------------------------------------------------------
// The interface every row implements
// ---------------------------------------------------------------------------

/// A pool built for one workload, ready to measure.
pub trait Subject: Sync {
    /// Resources created so far.
    fn creates(&self) -> u64;

    /// `ops` rounds of get, touch, release (W1) or get, touch, discard (W3)
    /// on this thread; returns the time they took.
    fn run(&self, ops: u64) -> Duration;

    /// One W2 thread: waits at `ready`, then loops get, work, release until
    /// `stop`, recording each acquire wait. Returns the operations done.
    fn contend(&self, ready: &Barrier, stop: &AtomicBool, work: Work, waits: &mut Waits) -> u64;
}

/// A pool whose get blocks the calling thread.
pub trait BlockingPool: Sync {
    /// The guard a get returns.
    type Guard<'a>: DerefMut<Target = Resource>
    where
        Self: 'a;

    /// Acquires a resource, waiting as long as the pool's defaults allow.
    fn get(&self) -> Self::Guard<'_>;

    /// Releases (W1, W2) or discards (W3) a resource: by default its
    /// guard's drop does whichever the pool was built for.
    fn put(&self, guard: Self::Guard<'_>) {
        drop(guard);
    }

    /// Resources created so far.
    fn creates(&self) -> u64;
}

/// A pool whose get is a future.
pub trait AsyncPool: Sync {
    /// The guard a get returns.
    type Guard<'a>: DerefMut<Target = Resource>
    where
        Self: 'a;

    /// Acquires a resource, waiting as long as the pool's defaults allow.
    fn get(&self) -> impl Future<Output = Self::Guard<'_>>;

    /// Releases (W1, W2) or discards (W3) a resource.
    fn put(&self, guard: Self::Guard<'_>);

    /// Resources created so far.
    fn creates(&self) -> u64;
}

/// Runs a [`BlockingPool`] on the calling thread.
struct Blocking<P>(P);

impl<P: BlockingPool> Blocking<P> {
    /// Takes `count` resources at once and releases them, so that `count`
    /// exist and sit idle.
    fn warmed(self, count: usize) -> Self {
        let mut held = Vec::with_capacity(count);
        for _ in 0..count {
            held.push(self.0.get());
        }
        for guard in held {
            self.0.put(guard);
        }
        self
    }
}

impl<P: BlockingPool> Subject for Blocking<P> {
    fn creates(&self) -> u64 {
        self.0.creates()
    }

    fn run(&self, ops: u64) -> Duration {
        let pool = &self.0;
        let started = Instant::now();
        for _ in 0..ops {
            let mut guard = pool.get();
            touch(&mut guard);
            pool.put(guard);
        }
        started.elapsed()
    }

    fn contend(&self, ready: &Barrier, stop: &AtomicBool, work: Work, waits: &mut Waits) -> u64 {
        let pool = &self.0;
        ready.wait();
        let mut ops = 0;
        while !stop.load(Relaxed) {
            let asked = Instant::now();
            let mut guard = pool.get();
            waits.record(asked.elapsed());
            work.run(&mut guard);
            pool.put(guard);
            ops += 1;
        }
        ops
    }
}

/// A tokio current-thread runtime with the time driver (bb8's get has a
/// timeout).
fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

/// Runs an [`AsyncPool`] on a current-thread runtime.
struct Async<P> {
    pool: P,
    /// Drives W1 and W3 (W2 threads build their own).
    runtime: tokio::runtime::Runtime,
}

impl<P: AsyncPool> Async<P> {
    fn warmed(self, count: usize) -> Self {
        self.runtime.block_on(async {
            let mut held = Vec::with_capacity(count);
            for _ in 0..count {
                held.push(self.pool.get().await);
            }
            for guard in held {
                self.pool.put(guard);
            }
        });
        self
    }
}

impl<P: AsyncPool> Subject for Async<P> {
    fn creates(&self) -> u64 {
        self.pool.creates()
    }

    fn run(&self, ops: u64) -> Duration {
        let pool = &self.pool;
        self.runtime.block_on(async {
            let started = Instant::now();
            for _ in 0..ops {
                let mut guard = pool.get().await;
                touch(&mut guard);
                pool.put(guard);
            }
            started.elapsed()
        })
    }

    fn contend(&self, ready: &Barrier, stop: &AtomicBool, work: Work, waits: &mut Waits) -> u64 {
        let pool = &self.pool;
        let runtime = current_thread_runtime();
        ready.wait();
        runtime.block_on(async {
            let mut ops = 0;
            while !stop.load(Relaxed) {
                let asked = Instant::now();
                let mut guard = pool.get().await;
                waits.record(asked.elapsed());
                work.run(&mut guard);
                pool.put(guard);
                ops += 1;
            }
            ops
        })
    }
}

// ---------------------------------------------------------------------------
// zeropool
// ---------------------------------------------------------------------------

/// zeropool's manager: only `create`; `recycle` and `has_broken` keep their
/// defaults.
struct Counted(Creates);

impl zeropool::Manager for Counted {
    type Resource = Resource;
    type Error = Infallible;

    fn create(&self) -> Result<Resource, Infallible> {
        Ok(self.0.create())
    }
}

struct Zeropool<P> {
    pool: P,
    creates: Creates,
    discard: bool,
}

impl<P: Pool<Manager = Counted>> BlockingPool for Zeropool<P> {
    type Guard<'a>
        = P::Guard<'a>
    where
        Self: 'a;

    fn get(&self) -> P::Guard<'_> {
        match self.pool.get() {
            Ok(guard) => guard,
            Err(_) => panic!("zeropool get failed"),
        }
    }

    fn put(&self, guard: P::Guard<'_>) {
        if self.discard {
            Pooled::discard(guard);
        } else {
            drop(guard);
        }
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn stack_pool(workload: Workload, max_size: usize) -> Built {
    let creates = Creates::default();
    let pool = StackPool::builder(Counted(creates.clone()))
        .max_size(max_size)
        .build()
        .expect("valid settings");
    Ok(zeropool_subject(pool, creates, workload, max_size))
}

fn channel_pool(workload: Workload, max_size: usize) -> Built {
    let creates = Creates::default();
    let pool = ChannelPool::builder(Counted(creates.clone()))
        .max_size(max_size)
        .build()
        .expect("valid settings");
    Ok(zeropool_subject(pool, creates, workload, max_size))
}

fn zeropool_subject<P: Pool<Manager = Counted> + 'static>(
    pool: P,
    creates: Creates,
    workload: Workload,
    max_size: usize,
) -> Box<dyn Subject> {
    let discard = workload == Workload::Create;
    let subject = Blocking(Zeropool {
        pool,
        creates,
        discard,
    });
    Box::new(if discard {
        subject
    } else {
        subject.warmed(max_size)
    })
}

// ---------------------------------------------------------------------------
// r2d2
// ---------------------------------------------------------------------------

/// r2d2's manager. `has_broken` answers `discard`: r2d2 has no other way to
/// drop a resource on release.
struct R2d2Manager {
    creates: Creates,
    discard: bool,
}

impl r2d2::ManageConnection for R2d2Manager {
    type Connection = Resource;
    type Error = Infallible;

    fn connect(&self) -> Result<Resource, Infallible> {
        Ok(self.creates.create())
    }

    fn is_valid(&self, _: &mut Resource) -> Result<(), Infallible> {
        Ok(())
    }

    fn has_broken(&self, _: &mut Resource) -> bool {
        self.discard
    }
}

struct R2d2 {
    pool: r2d2::Pool<R2d2Manager>,
    creates: Creates,
}

impl BlockingPool for R2d2 {
    type Guard<'a> = r2d2::PooledConnection<R2d2Manager>;

    fn get(&self) -> Self::Guard<'_> {
        self.pool.get().expect("r2d2 get")
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn r2d2_pool(workload: Workload, max_size: usize) -> Built {
    let creates = Creates::default();
    let manager = R2d2Manager {
        creates: creates.clone(),
        discard: workload == Workload::Create,
    };
    // `build` returns once `min_idle` (by default `max_size`) resources exist.
    let pool = r2d2::Pool::builder()
        .max_size(max_size as u32)
        .build(manager)
        .expect("r2d2 builds");
    Ok(Box::new(Blocking(R2d2 { pool, creates })))
}

// ---------------------------------------------------------------------------
// deadpool
// ---------------------------------------------------------------------------

/// deadpool's managed manager: `recycle` accepts every object.
struct DeadpoolManager(Creates);

impl deadpool::managed::Manager for DeadpoolManager {
    type Type = Resource;
    type Error = Infallible;

    async fn create(&self) -> Result<Resource, Infallible> {
        Ok(self.0.create())
    }

    async fn recycle(
        &self,
        _: &mut Resource,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<Infallible> {
        Ok(())
    }
}

struct DeadpoolManaged {
    pool: deadpool::managed::Pool<DeadpoolManager>,
    creates: Creates,
    discard: bool,
}

impl AsyncPool for DeadpoolManaged {
    type Guard<'a> = deadpool::managed::Object<DeadpoolManager>;

    async fn get(&self) -> Self::Guard<'_> {
        self.pool.get().await.expect("deadpool get")
    }

    fn put(&self, guard: Self::Guard<'_>) {
        if self.discard {
            let _discarded = deadpool::managed::Object::take(guard);
        } else {
            drop(guard);
        }
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn deadpool_managed(workload: Workload, max_size: usize) -> Built {
    let creates = Creates::default();
    let pool = deadpool::managed::Pool::builder(DeadpoolManager(creates.clone()))
        .max_size(max_size)
        .build()
        .expect("deadpool builds");
    let discard = workload == Workload::Create;
    let subject = Async {
        pool: DeadpoolManaged {
            pool,
            creates,
            discard,
        },
        runtime: current_thread_runtime(),
    };
    Ok(Box::new(if discard {
        subject
    } else {
        subject.warmed(max_size)
    }))
}

struct DeadpoolUnmanaged {
    pool: deadpool::unmanaged::Pool<Resource>,
    creates: Creates,
    discard: bool,
}

impl AsyncPool for DeadpoolUnmanaged {
    type Guard<'a> = deadpool::unmanaged::Object<Resource>;

    async fn get(&self) -> Self::Guard<'_> {
        self.pool.get().await.expect("deadpool get")
    }

    fn put(&self, guard: Self::Guard<'_>) {
        if self.discard {
            // No create hook: take the object out, add a new one.
            let _discarded = deadpool::unmanaged::Object::take(guard);
            if self.pool.try_add(self.creates.create()).is_err() {
                panic!("a taken object leaves room to add one");
            }
        } else {
            drop(guard);
        }
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn deadpool_unmanaged(workload: Workload, max_size: usize) -> Built {
    let creates = Creates::default();
    let pool = deadpool::unmanaged::Pool::new(max_size);
    for _ in 0..max_size {
        if pool.try_add(creates.create()).is_err() {
            panic!("room for max_size objects");
        }
    }
    Ok(Box::new(Async {
        pool: DeadpoolUnmanaged {
            pool,
            creates,
            discard: workload == Workload::Create,
        },
        runtime: current_thread_runtime(),
    }))
}

// ---------------------------------------------------------------------------
// bb8
// ---------------------------------------------------------------------------

/// bb8's manager. `has_broken` answers `discard`, as for r2d2.
struct Bb8Manager {
    creates: Creates,
    discard: bool,
}

impl bb8::ManageConnection for Bb8Manager {
    type Connection = Resource;
    type Error = Infallible;

    async fn connect(&self) -> Result<Resource, Infallible> {
        Ok(self.creates.create())
    }

    async fn is_valid(&self, _: &mut Resource) -> Result<(), Infallible> {
        Ok(())
    }

    fn has_broken(&self, _: &mut Resource) -> bool {
        self.discard
    }
}

struct Bb8 {
    pool: bb8::Pool<Bb8Manager>,
    creates: Creates,
}

impl AsyncPool for Bb8 {
    type Guard<'a> = bb8::PooledConnection<'a, Bb8Manager>;

    async fn get(&self) -> Self::Guard<'_> {
        self.pool.get().await.expect("bb8 get")
    }

    fn put(&self, guard: Self::Guard<'_>) {
        drop(guard);
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn bb8_pool(workload: Workload, max_size: usize) -> Built {
    let creates = Creates::default();
    let manager = Bb8Manager {
        creates: creates.clone(),
        discard: workload == Workload::Create,
    };
    let runtime = current_thread_runtime();
    // Built inside the runtime: bb8 spawns its reaper there.
    let pool = runtime
        .block_on(
            bb8::Pool::builder()
                .max_size(max_size as u32)
                .build(manager),
        )
        .expect("bb8 builds");
    let subject = Async {
        pool: Bb8 { pool, creates },
        runtime,
    };
    Ok(Box::new(if workload == Workload::Create {
        subject
    } else {
        subject.warmed(max_size)
    }))
}

// ---------------------------------------------------------------------------
// object-pool and lockfree-object-pool (unbounded)
// ---------------------------------------------------------------------------

struct ObjectPool {
    pool: object_pool::Pool<Resource>,
    creates: Creates,
    discard: bool,
}

impl BlockingPool for ObjectPool {
    type Guard<'a> = object_pool::Reusable<'a, Resource>;

    fn get(&self) -> Self::Guard<'_> {
        self.pool.pull(|| self.creates.create())
    }

    fn put(&self, guard: Self::Guard<'_>) {
        if self.discard {
            let (_, _discarded) = guard.detach();
        } else {
            drop(guard);
        }
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn object_pool(workload: Workload, max_size: usize) -> Built {
    if workload == Workload::Contended {
        return Err(UNBOUNDED);
    }
    let creates = Creates::default();
    let pool = {
        let creates = creates.clone();
        object_pool::Pool::new(max_size, move || creates.create())
    };
    Ok(Box::new(Blocking(ObjectPool {
        pool,
        creates,
        discard: workload == Workload::Create,
    })))
}

struct LockfreeObjectPool {
    pool: lockfree_object_pool::LinearObjectPool<Resource>,
    creates: Creates,
}

impl BlockingPool for LockfreeObjectPool {
    type Guard<'a> = lockfree_object_pool::LinearReusable<'a, Resource>;

    fn get(&self) -> Self::Guard<'_> {
        self.pool.pull()
    }

    fn put(&self, guard: Self::Guard<'_>) {
        drop(guard);
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn lockfree_object_pool(workload: Workload, max_size: usize) -> Built {
    match workload {
        Workload::Contended => return Err(UNBOUNDED),
        Workload::Create => return Err("cannot discard a pulled object"),
        Workload::Fast => {}
    }
    let creates = Creates::default();
    let pool = {
        let creates = creates.clone();
        lockfree_object_pool::LinearObjectPool::new(move || creates.create(), |_| {})
    };
    Ok(Box::new(
        Blocking(LockfreeObjectPool { pool, creates }).warmed(max_size),
    ))
}

const UNBOUNDED: &str = "unbounded: no shared max_size";

// ---------------------------------------------------------------------------
// Floors
// ---------------------------------------------------------------------------

/// The `Mutex<Vec>` + `Condvar` floor.
struct MutexFloor {
    state: Mutex<MutexFloorState>,
    released: Condvar,
    max_size: usize,
    creates: Creates,
    discard: bool,
}

struct MutexFloorState {
    idle: Vec<Resource>,
    /// Resources alive.
    size: usize,
    /// Threads blocked in `get`.
    waiting: usize,
}

impl MutexFloor {
    fn lock(&self) -> MutexGuard<'_, MutexFloorState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A resource lent by a floor; returned when dropped.
struct FloorGuard<'a, F: Floor> {
    floor: &'a F,
    resource: Option<Resource>,
}

/// What a floor does when its guard is dropped.
trait Floor: Sync + Sized {
    fn give_back(&self, resource: Resource);
}

impl<F: Floor> std::ops::Deref for FloorGuard<'_, F> {
    type Target = Resource;

    fn deref(&self) -> &Resource {
        self.resource.as_ref().expect("present until dropped")
    }
}

impl<F: Floor> DerefMut for FloorGuard<'_, F> {
    fn deref_mut(&mut self) -> &mut Resource {
        self.resource.as_mut().expect("present until dropped")
    }
}

impl<F: Floor> Drop for FloorGuard<'_, F> {
    fn drop(&mut self) {
        if let Some(resource) = self.resource.take() {
            self.floor.give_back(resource);
        }
    }
}

impl Floor for MutexFloor {
    fn give_back(&self, resource: Resource) {
        let mut state = self.lock();
        if self.discard {
            state.size -= 1;
        } else {
            state.idle.push(resource);
        }
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.released.notify_one();
        }
    }
}

impl BlockingPool for MutexFloor {
    type Guard<'a> = FloorGuard<'a, MutexFloor>;

    fn get(&self) -> Self::Guard<'_> {
        let mut state = self.lock();
        loop {
            if let Some(resource) = state.idle.pop() {
                return FloorGuard {
                    floor: self,
                    resource: Some(resource),
                };
            }
            if state.size < self.max_size {
                state.size += 1;
                drop(state);
                return FloorGuard {
                    floor: self,
                    resource: Some(self.creates.create()),
                };
            }
            state.waiting += 1;
            state = self
                .released
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn mutex_floor(workload: Workload, max_size: usize) -> Built {
    let discard = workload == Workload::Create;
    let floor = MutexFloor {
        state: Mutex::new(MutexFloorState {
            idle: Vec::with_capacity(max_size),
            size: 0,
            waiting: 0,
        }),
        released: Condvar::new(),
        max_size,
        creates: Creates::default(),
        discard,
    };
    floor_subject(floor, discard, max_size)
}

/// The crossbeam `bounded` floor: `max_size` slots circulate, each a
/// resource or room to create one.
struct ChannelFloor {
    sender: crossbeam_channel::Sender<Option<Resource>>,
    receiver: crossbeam_channel::Receiver<Option<Resource>>,
    creates: Creates,
    discard: bool,
}

impl Floor for ChannelFloor {
    fn give_back(&self, resource: Resource) {
        let slot = if self.discard { None } else { Some(resource) };
        if self.sender.try_send(slot).is_err() {
            panic!("the channel holds every slot");
        }
    }
}

impl BlockingPool for ChannelFloor {
    type Guard<'a> = FloorGuard<'a, ChannelFloor>;

    fn get(&self) -> Self::Guard<'_> {
        let slot = self.receiver.recv().expect("the floor holds a sender");
        FloorGuard {
            floor: self,
            resource: Some(slot.unwrap_or_else(|| self.creates.create())),
        }
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn channel_floor(workload: Workload, max_size: usize) -> Built {
    let (sender, receiver) = crossbeam_channel::bounded(max_size);
    for _ in 0..max_size {
        sender.send(None).expect("room for every slot");
    }
    let discard = workload == Workload::Create;
    let floor = ChannelFloor {
        sender,
        receiver,
        creates: Creates::default(),
        discard,
    };
    floor_subject(floor, discard, max_size)
}

/// The `ArrayQueue` floor: slots as in the channel floor; a get on an empty
/// queue yields and retries, since the queue cannot block.
struct QueueFloor {
    slots: crossbeam_queue::ArrayQueue<Option<Resource>>,
    creates: Creates,
    discard: bool,
}

impl Floor for QueueFloor {
    fn give_back(&self, resource: Resource) {
        let slot = if self.discard { None } else { Some(resource) };
        if self.slots.push(slot).is_err() {
            panic!("the queue holds every slot");
        }
    }
}

impl BlockingPool for QueueFloor {
    type Guard<'a> = FloorGuard<'a, QueueFloor>;

    fn get(&self) -> Self::Guard<'_> {
        let slot = loop {
            match self.slots.pop() {
                Some(slot) => break slot,
                None => std::thread::yield_now(),
            }
        };
        FloorGuard {
            floor: self,
            resource: Some(slot.unwrap_or_else(|| self.creates.create())),
        }
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn queue_floor(workload: Workload, max_size: usize) -> Built {
    let slots = crossbeam_queue::ArrayQueue::new(max_size);
    for _ in 0..max_size {
        if slots.push(None).is_err() {
            panic!("room for every slot");
        }
    }
    let discard = workload == Workload::Create;
    let floor = QueueFloor {
        slots,
        creates: Creates::default(),
        discard,
    };
    floor_subject(floor, discard, max_size)
}

/// A floor ready to run: warm with `max_size` idle resources, unless it
/// discards (W3), where every get creates.
fn floor_subject<F: BlockingPool + 'static>(floor: F, discard: bool, max_size: usize) -> Built {
    let floor = Blocking(floor);
    Ok(Box::new(if discard {
        floor
    } else {
        floor.warmed(max_size)
    }))
}

// ---------------------------------------------------------------------------
// The W3 reference
// ---------------------------------------------------------------------------

/// A create and one read of the clock, with no pool around them: the least
/// a W3 operation costs a pool that records each resource's creation time
/// (zeropool for `Pooled::created_at`; r2d2, deadpool `managed` and bb8).
struct ClockReference {
    creates: Creates,
}

/// A resource with its creation time, as a pool keeps it.
struct Stamped {
    resource: Resource,
    created: Instant,
}

impl std::ops::Deref for Stamped {
    type Target = Resource;

    fn deref(&self) -> &Resource {
        &self.resource
    }
}

impl DerefMut for Stamped {
    fn deref_mut(&mut self) -> &mut Resource {
        &mut self.resource
    }
}

impl BlockingPool for ClockReference {
    type Guard<'a> = Stamped;

    fn get(&self) -> Stamped {
        let resource = self.creates.create();
        Stamped {
            resource,
            created: Instant::now(),
        }
    }

    fn put(&self, guard: Stamped) {
        black_box(guard.created);
    }

    fn creates(&self) -> u64 {
        self.creates.count()
    }
}

fn clock_reference(workload: Workload, _max_size: usize) -> Built {
    if workload != Workload::Create {
        return Err("a W3 reference, not a pool");
    }
    Ok(Box::new(Blocking(ClockReference {
        creates: Creates::default(),
    })))
}

// ---------------------------------------------------------------------------
// The rows
// ---------------------------------------------------------------------------

/// The three workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// W1: one thread, a warm pool of 8, get, touch, release.
    Fast,
    /// W2: T threads share a warm pool, get, work, release.
    Contended,
    /// W3: one thread, every release discards, so every get creates.
    Create,
}

/// What a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// One of zeropool's backends.
    Zeropool,
    /// A bounded pool from another crate: the targets compare with these.
    Bounded,
    /// A pool from another crate with no size limit.
    Unbounded,
    /// A minimal pool over one primitive, written in this file.
    Floor,
    /// No pool: what every create costs a pool that records when each
    /// resource was created. Measured in W3 only, compared with nothing.
    Reference,
}

/// A pool built for a workload, or why the workload does not fit it.
pub type Built = Result<Box<dyn Subject>, &'static str>;

/// One row of the comparison.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    pub name: &'static str,
    pub family: Family,
    build: fn(Workload, usize) -> Built,
}

impl Peer {
    /// Builds the pool for `workload` with `max_size`, warmed unless the
    /// workload discards.
    pub fn build(&self, workload: Workload, max_size: usize) -> Built {
        (self.build)(workload, max_size)
    }
}

/// Every row: zeropool first, then the peers, the floors, and the W3
/// reference.
pub static PEERS: &[Peer] = &[
    Peer {
        name: "zeropool StackPool",
        family: Family::Zeropool,
        build: stack_pool,
    },
    Peer {
        name: "zeropool ChannelPool",
        family: Family::Zeropool,
        build: channel_pool,
    },
    Peer {
        name: "r2d2",
        family: Family::Bounded,
        build: r2d2_pool,
    },
    Peer {
        name: "deadpool unmanaged",
        family: Family::Bounded,
        build: deadpool_unmanaged,
    },
    Peer {
        name: "deadpool managed",
        family: Family::Bounded,
        build: deadpool_managed,
    },
    Peer {
        name: "bb8",
        family: Family::Bounded,
        build: bb8_pool,
    },
    Peer {
        name: "object-pool",
        family: Family::Unbounded,
        build: object_pool,
    },
    Peer {
        name: "lockfree-object-pool",
        family: Family::Unbounded,
        build: lockfree_object_pool,
    },
    Peer {
        name: "floor Mutex<Vec>+Condvar",
        family: Family::Floor,
        build: mutex_floor,
    },
    Peer {
        name: "floor crossbeam bounded",
        family: Family::Floor,
        build: channel_floor,
    },
    Peer {
        name: "floor ArrayQueue",
        family: Family::Floor,
        build: queue_floor,
    },
    Peer {
        name: "reference: create + Instant::now()",
        family: Family::Reference,
        build: clock_reference,
    },
];

/// The row named `name`.
pub fn peer(name: &str) -> &'static Peer {
    PEERS
        .iter()
        .find(|peer| peer.name == name)
        .expect("a known row")
}

// ---------------------------------------------------------------------------
// W2: contended scaling
// ---------------------------------------------------------------------------

/// How W2 runs.
#[derive(Clone, Debug)]
pub struct Scaling {
    pub threads: Vec<usize>,
    pub max_sizes: Vec<usize>,
    /// How long each thread count runs per repetition.
    pub duration: Duration,
    /// Repetitions, interleaved over all rows, merged per point.
    pub repetitions: usize,
    pub work: Work,
}

impl Scaling {
    /// The full run: T = 1, 2, 4, 8, 16 on `max_size` 2 and 8, 5 × 250 ms a
    /// point (about 2 minutes).
    pub fn full(work: Work) -> Self {
        Self {
            threads: vec![1, 2, 4, 8, 16],
            max_sizes: vec![2, 8],
            duration: Duration::from_millis(250),
            repetitions: 5,
            work,
        }
    }

    /// A smoke run: every point once, briefly.
    pub fn quick(work: Work) -> Self {
        Self {
            duration: Duration::from_millis(20),
            repetitions: 1,
            ..Self::full(work)
        }
    }
}

/// One W2 point: a row, a thread count, a `max_size`.
#[derive(Clone, Debug)]
pub struct Point {
    pub peer: &'static Peer,
    pub threads: usize,
    pub max_size: usize,
    pub ops: u64,
    pub elapsed: Duration,
    pub waits: Waits,
}

impl Point {
    /// Operations per second, all threads together.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `threads` threads on a fresh pool for `duration`: one W2 point, or
/// `None` if the row does not fit W2.
pub fn contend_once(
    peer: &'static Peer,
    threads: usize,
    max_size: usize,
    work: Work,
    duration: Duration,
) -> Option<Point> {
    let subject = peer.build(Workload::Contended, max_size).ok()?;
    let subject = &*subject;
    let creates = subject.creates();
    let ready = Barrier::new(threads + 1);
    let stop = AtomicBool::new(false);
    let mut waits: Vec<Waits> = (0..threads).map(|_| Waits::new()).collect();
    let (ops, elapsed) = std::thread::scope(|scope| {
        let workers: Vec<_> = waits
            .iter_mut()
            .map(|waits| {
                let (ready, stop) = (&ready, &stop);
                scope.spawn(move || subject.contend(ready, stop, work, waits))
            })
            .collect();
        ready.wait();
        let started = Instant::now();
        std::thread::sleep(duration);
        stop.store(true, Relaxed);
        let elapsed = started.elapsed();
        let ops: u64 = workers
            .into_iter()
            .map(|worker| worker.join().expect("a W2 thread panicked"))
            .sum();
        (ops, elapsed)
    });
    assert_eq!(
        subject.creates(),
        creates,
        "{}: a warm pool created resources under contention",
        peer.name
    );
    let mut merged = Waits::new();
    for thread in &waits {
        merged.merge(thread);
    }
    Some(Point {
        peer,
        threads,
        max_size,
        ops,
        elapsed,
        waits: merged,
    })
}

/// Runs W2 as the bench and the scaling example both do: calibrates the
/// work per operation, picks the full or the quick grid, says so on stderr,
/// and prints a dot per point.
pub fn run_scaling(quick: bool) -> Vec<Point> {
    let work = Work::calibrate(Duration::from_nanos(100));
    let config = if quick {
        Scaling::quick(work)
    } else {
        Scaling::full(work)
    };
    eprintln!(
        "W2: work per op {:?}; {} ms per point, {} repetitions",
        work.duration(),
        config.duration.as_millis(),
        config.repetitions
    );
    let points = scaling(&config, |_| eprint!("."));
    eprintln!();
    points
}

/// Runs every W2 point of every row that fits, repetitions interleaved so
/// that a noisy moment hits all rows alike. `progress` sees each point.
pub fn scaling(config: &Scaling, mut progress: impl FnMut(&Point)) -> Vec<Point> {
    let mut points: Vec<Point> = Vec::new();
    for _ in 0..config.repetitions {
        for &max_size in &config.max_sizes {
            for &threads in &config.threads {
                for peer in PEERS {
                    let Some(point) =
                        contend_once(peer, threads, max_size, config.work, config.duration)
                    else {
                        continue;
                    };
                    progress(&point);
                    match points.iter_mut().find(|seen| {
                        seen.peer.name == peer.name
                            && seen.threads == threads
                            && seen.max_size == max_size
                    }) {
                        Some(seen) => {
                            seen.ops += point.ops;
                            seen.elapsed += point.elapsed;
                            seen.waits.merge(&point.waits);
                        }
                        None => points.push(point),
                    }
                }
            }
        }
    }
    points
}

/// Formats a duration with a unit that suits it.
pub fn short(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos < 10_000 {
        format!("{nanos} ns")
    } else if nanos < 10_000_000 {
        format!("{:.1} µs", nanos as f64 / 1e3)
    } else {
        format!("{:.1} ms", nanos as f64 / 1e6)
    }
}

/// The W2 table, one block per `max_size`, in Markdown.
pub fn scaling_table(points: &[Point]) -> String {
    let mut max_sizes: Vec<usize> = points.iter().map(|point| point.max_size).collect();
    max_sizes.dedup();
    max_sizes.sort_unstable();
    max_sizes.dedup();
    let mut threads: Vec<usize> = points.iter().map(|point| point.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut out = String::new();
    for max_size in max_sizes {
        out.push_str(&format!(
            "\nW2, max_size {max_size}: total Mops/s, p50 / p99 / max acquire wait\n\n| pool |"
        ));
        for t in &threads {
            out.push_str(&format!(" T={t} |"));
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(threads.len()));
        out.push('\n');
        for peer in PEERS {
            let row: Vec<&Point> = points
                .iter()
                .filter(|point| point.peer.name == peer.name && point.max_size == max_size)
                .collect();
            if row.is_empty() {
                continue;
            }
            out.push_str(&format!("| {} |", peer.name));
            for t in &threads {
                match row.iter().find(|point| point.threads == *t) {
                    Some(point) => out.push_str(&format!(
                        " {:.2}; {} / {} / {} |",
                        point.ops_per_sec() / 1e6,
                        short(point.waits.quantile(0.50)),
                        short(point.waits.quantile(0.99)),
                        short(point.waits.max()),
                    )),
                    None => out.push_str(" |"),
                }
            }
            out.push('\n');
        }
    }
    out
}

/// The W2 targets for each zeropool backend: at every point, total ops/s at
/// least the best bounded peer's, and p99 wait no worse than the best bounded
/// peer's p99. Returns one line per backend and series.
pub fn scaling_verdicts(points: &[Point]) -> Vec<String> {
    let mut lines = Vec::new();
    for ours in PEERS.iter().filter(|peer| peer.family == Family::Zeropool) {
        let mut series: Vec<usize> = points.iter().map(|point| point.max_size).collect();
        series.sort_unstable();
        series.dedup();
        for max_size in series {
            let mut misses = Vec::new();
            let mut worst_max = Duration::ZERO;
            for point in points
                .iter()
                .filter(|point| point.peer.name == ours.name && point.max_size == max_size)
            {
                worst_max = worst_max.max(point.waits.max());
                let bounded = points.iter().filter(|other| {
                    other.peer.family == Family::Bounded
                        && other.max_size == max_size
                        && other.threads == point.threads
                });
                let best_rate = bounded.clone().map(Point::ops_per_sec).fold(0.0, f64::max);
                let best_p99 = bounded
                    .map(|other| other.waits.quantile(0.99))
                    .min()
                    .unwrap_or(Duration::MAX);
                if point.ops_per_sec() < best_rate {
                    misses.push(format!(
                        "T={}: {:.2} < {:.2} Mops/s",
                        point.threads,
                        point.ops_per_sec() / 1e6,
                        best_rate / 1e6
                    ));
                }
                if point.waits.quantile(0.99) > best_p99 {
                    misses.push(format!(
                        "T={}: p99 {} > {}",
                        point.threads,
                        short(point.waits.quantile(0.99)),
                        short(best_p99)
                    ));
                }
            }
            let verdict = if misses.is_empty() {
                "holds".to_string()
            } else {
                format!("FAILS ({})", misses.join("; "))
            };
            lines.push(format!(
                "W2 {} max_size {max_size}: ops/s and p99 vs best bounded peer at every T: {verdict}; worst max wait {}",
                ours.name,
                short(worst_max)
            ));
        }
    }
    lines
}
