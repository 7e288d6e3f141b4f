//! Pooled PostgreSQL connections under load: zeropool's two backends and
//! r2d2 (with `r2d2_postgres`) in one run, against a real server.
//!
//! For `max_size` 4 and 8 and 1, 2, 4, 8 and 16 threads, each thread runs a
//! fixed number of `SELECT 1` round trips (simple query protocol), taking a
//! connection from the pool for each. Each configuration runs in rounds
//! (32 / threads, at least 8), each with three fresh pools run one after
//! another in a rotating order. Every pool opens its `max_size` connections before the clock
//! starts. The example prints the median round's queries/s, the median and
//! 99th percentile of the time a `get` waited for a connection over all
//! rounds, and the most connections one pool opened.
//!
//! Fresh pools each round matter on a small machine: with few threads, a
//! round trip's cost depends mostly on whether the scheduler runs the
//! connection's server process on the client thread's core or wakes another
//! one, and that choice sticks to a connection for a while.
//!
//! By default neither pool checks a connection at checkout (zeropool
//! `RecycleCheck::Fast`, r2d2 `test_on_check_out(false)`). `--verified`
//! compares the checking settings instead: zeropool `RecycleCheck::Verified`
//! and r2d2's default `test_on_check_out(true)`, one round trip each.
//!
//! Needs a server: `bash scripts/postgres.sh`, then
//! `cargo run --release -p zeropool-postgres --example postgres`
//! (`ZEROPOOL_PG` names another server; `--quick` runs a tenth of the round
//! trips; `--round-trips N` sets the count per thread; `--max-sizes 4,8` and
//! `--threads 1,16` pick configurations).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls, SimpleQueryMessage};
use r2d2::ManageConnection;
use r2d2_postgres::PostgresConnectionManager;
use zeropool::{ChannelPool, Manager, Pool, StackPool};
use zeropool_postgres::{PostgresManager, RecycleCheck};

const MAX_SIZES: [usize; 2] = [4, 8];
const THREADS: [usize; 5] = [1, 2, 4, 8, 16];
const DEFAULT_URL: &str = "postgres://zeropool@127.0.0.1:5432/zeropool";
/// Round trips per thread in each run: sized for about a minute in all on 2
/// cores.
const ROUND_TRIPS: usize = 600;

/// Rounds for a configuration, each with fresh pools run one after another:
/// more where few threads make a round short and its result depend most on
/// where the scheduler happens to put the connections' server processes.
fn rounds(threads: usize) -> usize {
    (32 / threads).max(8)
}

/// Counts the connections a zeropool manager opens.
struct Counted<M> {
    inner: M,
    opened: Arc<AtomicUsize>,
}

impl<M: Manager> Manager for Counted<M> {
    type Resource = M::Resource;
    type Error = M::Error;

    fn create(&self) -> Result<M::Resource, M::Error> {
        let resource = self.inner.create()?;
        self.opened.fetch_add(1, Relaxed);
        Ok(resource)
    }

    fn recycle(&self, resource: &mut M::Resource) -> Result<(), M::Error> {
        self.inner.recycle(resource)
    }

    fn has_broken(&self, resource: &mut M::Resource) -> bool {
        self.inner.has_broken(resource)
    }
}

/// Counts the connections an r2d2 manager opens.
struct CountedR2d2<M> {
    inner: M,
    opened: Arc<AtomicUsize>,
}

impl<M: ManageConnection> ManageConnection for CountedR2d2<M> {
    type Connection = M::Connection;
    type Error = M::Error;

    fn connect(&self) -> Result<M::Connection, M::Error> {
        let connection = self.inner.connect()?;
        self.opened.fetch_add(1, Relaxed);
        Ok(connection)
    }

    fn is_valid(&self, connection: &mut M::Connection) -> Result<(), M::Error> {
        self.inner.is_valid(connection)
    }

    fn has_broken(&self, connection: &mut M::Connection) -> bool {
        self.inner.has_broken(connection)
    }
}

/// A pool under test, as the workers see it.
trait Bench: Sync {
    /// Takes a connection, runs one `SELECT 1` on it, returns it. Returns
    /// how long the take waited.
    fn round_trip(&self) -> Duration;
}

fn select_one(client: &mut Client) {
    let messages = client.simple_query("SELECT 1").expect("SELECT 1 answers");
    let answered = messages
        .iter()
        .any(|message| matches!(message, SimpleQueryMessage::Row(row) if row.get(0) == Some("1")));
    assert!(answered, "SELECT 1 returned 1");
}

/// A zeropool pool of either backend.
struct Zeropool<P>(P);

impl<P: Pool> Bench for Zeropool<P>
where
    P::Manager: Manager<Resource = Client>,
    <P::Manager as Manager>::Error: std::fmt::Debug,
{
    fn round_trip(&self) -> Duration {
        let started = Instant::now();
        let mut client = self.0.get().expect("a connection");
        let waited = started.elapsed();
        select_one(&mut client);
        waited
    }
}

/// An r2d2 pool.
struct R2d2(r2d2::Pool<CountedR2d2<PostgresConnectionManager<NoTls>>>);

impl Bench for R2d2 {
    fn round_trip(&self) -> Duration {
        let started = Instant::now();
        let mut client = self.0.get().expect("a connection");
        let waited = started.elapsed();
        select_one(&mut client);
        waited
    }
}

/// What the runs of one pool measured.
#[derive(Default)]
struct Measured {
    /// Queries per second of each run.
    rates: Vec<f64>,
    /// Every acquire wait of every run.
    waits: Vec<Duration>,
}

impl Measured {
    /// The median run's queries per second: robust to a run whose connection
    /// the scheduler happened to place badly.
    fn queries_per_second(&mut self) -> f64 {
        self.rates.sort_by(f64::total_cmp);
        self.rates[self.rates.len() / 2]
    }

    /// The `p`th percentile acquire wait over all runs, in microseconds.
    fn wait_percentile(&mut self, p: usize) -> f64 {
        self.waits.sort_unstable();
        let index = (self.waits.len() * p / 100).min(self.waits.len() - 1);
        self.waits[index].as_secs_f64() * 1e6
    }
}

/// `threads` workers each run `round_trips` round trips through `pool`,
/// recording each acquire wait into a preallocated buffer of its own; the
/// buffers are merged into `measured` afterwards.
fn drive<B: Bench>(pool: &B, threads: usize, round_trips: usize, measured: &mut Measured) {
    let start = Barrier::new(threads + 1);
    let elapsed = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let start = &start;
                scope.spawn(move || {
                    let mut waits = Vec::with_capacity(round_trips);
                    start.wait();
                    for _ in 0..round_trips {
                        waits.push(pool.round_trip());
                    }
                    (waits, Instant::now())
                })
            })
            .collect();
        start.wait();
        let started = Instant::now();
        let mut finished = started;
        for worker in workers {
            let (waits, done) = worker.join().expect("a worker finished");
            measured.waits.extend(waits);
            finished = finished.max(done);
        }
        finished - started
    });
    measured
        .rates
        .push((threads * round_trips) as f64 / elapsed.as_secs_f64());
}

/// One pool under test, with the count of connections it opened.
enum Contender {
    Stack(Zeropool<StackPool<Counted<PostgresManager<NoTls>>>>),
    Channel(Zeropool<ChannelPool<Counted<PostgresManager<NoTls>>>>),
    R2d2(R2d2),
}

impl Contender {
    const NAMES: [&'static str; 3] = ["stack", "channel", "r2d2"];

    /// Builds pool number `which` (in [`NAMES`](Self::NAMES) order) and opens
    /// its `max_size` connections before any clock starts, as r2d2's build
    /// does.
    fn build(
        which: usize,
        config: &Config,
        max_size: usize,
        verified: bool,
        opened: &Arc<AtomicUsize>,
    ) -> Self {
        let check = if verified {
            RecycleCheck::Verified
        } else {
            RecycleCheck::Fast
        };
        let manager = || Counted {
            inner: PostgresManager::new(config.clone(), NoTls).with_recycle_check(check),
            opened: opened.clone(),
        };
        let contender = match which {
            0 => Contender::Stack(Zeropool(
                StackPool::builder(manager())
                    .max_size(max_size)
                    .build()
                    .expect("valid settings"),
            )),
            1 => Contender::Channel(Zeropool(
                ChannelPool::builder(manager())
                    .max_size(max_size)
                    .build()
                    .expect("valid settings"),
            )),
            _ => {
                let manager = CountedR2d2 {
                    inner: PostgresConnectionManager::new(config.clone(), NoTls),
                    opened: opened.clone(),
                };
                let pool = r2d2::Pool::builder()
                    .max_size(max_size as u32)
                    .test_on_check_out(verified)
                    .build(manager)
                    .expect("r2d2 opens its connections");
                return Contender::R2d2(R2d2(pool));
            }
        };
        match &contender {
            Contender::Stack(pool) => warm(&pool.0, max_size),
            Contender::Channel(pool) => warm(&pool.0, max_size),
            Contender::R2d2(_) => {}
        }
        contender
    }

    fn drive(&self, threads: usize, round_trips: usize, measured: &mut Measured) {
        match self {
            Contender::Stack(pool) => drive(pool, threads, round_trips, measured),
            Contender::Channel(pool) => drive(pool, threads, round_trips, measured),
            Contender::R2d2(pool) => drive(pool, threads, round_trips, measured),
        }
    }
}

/// Opens all `max_size` connections of a zeropool pool.
fn warm<P: Pool>(pool: &P, max_size: usize)
where
    <P::Manager as Manager>::Error: std::fmt::Debug,
{
    let held: Vec<_> = (0..max_size)
        .map(|_| pool.get().expect("a connection"))
        .collect();
    drop(held);
}

fn main() {
    let mut round_trips = ROUND_TRIPS;
    let mut verified = false;
    let mut max_sizes = MAX_SIZES.to_vec();
    let mut thread_counts = THREADS.to_vec();
    let mut args = std::env::args().skip(1);
    let list = |arg: Option<String>, name: &str| -> Vec<usize> {
        arg.and_then(|list| list.split(',').map(|n| n.parse().ok()).collect())
            .unwrap_or_else(|| panic!("{name} takes numbers separated by commas"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => round_trips = ROUND_TRIPS / 10,
            "--verified" => verified = true,
            "--round-trips" => round_trips = list(args.next(), "--round-trips")[0],
            "--max-sizes" => max_sizes = list(args.next(), "--max-sizes"),
            "--threads" => thread_counts = list(args.next(), "--threads"),
            other => panic!(
                "unknown argument {other}; expected --quick, --verified, --round-trips N, \
                 --max-sizes A,B or --threads A,B"
            ),
        }
    }
    let url = std::env::var("ZEROPOOL_PG")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let mut config: Config = url.parse().expect("a valid connection string");
    config
        .application_name("zeropool-example")
        .connect_timeout(Duration::from_secs(10));
    if let Err(error) = config.connect(NoTls) {
        eprintln!("no PostgreSQL server answers at {url} ({error}); start one with `bash scripts/postgres.sh`");
        std::process::exit(1);
    }

    let checks = if verified {
        "zeropool RecycleCheck::Verified, r2d2 test_on_check_out(true): one round trip per checkout"
    } else {
        "zeropool RecycleCheck::Fast, r2d2 test_on_check_out(false): no round trip at checkout"
    };
    println!(
        "SELECT 1 round trips, {round_trips} per thread per round, 32/threads rounds (at least 8); {checks}"
    );
    println!(
        "queries/s = median round; acquire wait = time inside get(), all rounds; \
         opened = most connections one pool opened"
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average before: {}", load.trim());
    }
    println!();
    println!(
        "| max_size | threads | pool     | queries/s | p50 wait (µs) | p99 wait (µs) | opened |"
    );
    println!(
        "|---------:|--------:|----------|----------:|--------------:|--------------:|-------:|"
    );
    let started = Instant::now();
    for &max_size in &max_sizes {
        for &threads in &thread_counts {
            let mut measured: Vec<Measured> = (0..3).map(|_| Measured::default()).collect();
            let mut opened = [0; 3];
            // Fresh pools (so fresh server processes) each round, run in a
            // rotating order, so that where the scheduler happens to put a
            // connection's server process, or a busy patch of the machine,
            // falls on every pool alike.
            for round in 0..rounds(threads) {
                let counters: Vec<_> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
                let contenders: Vec<_> = (0..3)
                    .map(|which| {
                        Contender::build(which, &config, max_size, verified, &counters[which])
                    })
                    .collect();
                for turn in 0..3 {
                    let which = (turn + round) % 3;
                    contenders[which].drive(threads, round_trips, &mut measured[which]);
                }
                for (most, counter) in opened.iter_mut().zip(&counters) {
                    *most = (*most).max(counter.load(Relaxed));
                }
            }
            for (which, measured) in measured.iter_mut().enumerate() {
                println!(
                    "| {max_size:>8} | {threads:>7} | {:<8} | {:>9.0} | {:>13.1} | {:>13.1} | {:>6} |",
                    Contender::NAMES[which],
                    measured.queries_per_second(),
                    measured.wait_percentile(50),
                    measured.wait_percentile(99),
                    opened[which],
                );
            }
        }
    }
    println!();
    println!("finished in {:.1} s", started.elapsed().as_secs_f64());
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average after: {}", load.trim());
    }
}
