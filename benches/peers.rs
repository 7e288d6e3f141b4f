//! `cargo bench --bench peers`: zeropool side by side with the pools users
//! pick today (r2d2, deadpool, bb8, object-pool, lockfree-object-pool) and
//! with floors written over bare primitives, on the same work in one run.
//!
//! - W1, fast path: one thread, a warm pool of 8, get, touch, release.
//!   ns/op and allocations per operation.
//! - W3, create path: one thread, every release discards, so every get
//!   creates. ns/op and allocations per operation; the resource's create
//!   allocates nothing, so every allocation counted is the pool's.
//!
//! W1 and W3 run each row under criterion (its report), then in 9
//! interleaved rounds of about 40 ms per row: a table's ns/op is a row's
//! fastest round, and the targets are checked on those, so a burst of noise
//! on a shared machine does not land on one row alone. Criterion's median
//! is printed beside it.
//! - W2, contended: T = 1, 2, 4, 8, 16 threads share a warm pool of 2, then
//!   of 8, each looping get, ≈100 ns of work, release for 5 × 250 ms per
//!   point. Total ops/s and p50, p99 and max acquire wait. A custom timed
//!   loop (criterion has no shape for it), printed as a table.
//!
//! Then every target of the comparison is checked and printed. The rows, the
//! settings and every deviation from a library's defaults are described in
//! `support/peers.rs`. The whole run takes about 3 minutes on 2 cores.
//!
//! `ZEROPOOL_SCALING_SVG=docs/scaling.svg cargo bench --bench peers` also
//! draws W2 into that file, so the README's tables and plot come from one
//! run. `cargo bench --bench peers -- --test` runs everything once, briefly.

#[path = "support/counting.rs"]
mod counting;
#[path = "support/peers.rs"]
mod peers;
#[path = "support/plot.rs"]
mod plot;

use std::cell::RefCell;
use std::time::Duration;

use criterion::Criterion;
use peers::{Family, Peer, Workload, PEERS};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// `max_size` in W1 and W3.
const MAX_SIZE: usize = 8;
/// Criterion samples per row.
const SAMPLES: usize = 20;

/// One row of W1 or W3.
struct Row {
    peer: &'static Peer,
    measured: Result<Measured, &'static str>,
}

struct Measured {
    /// The fastest of the interleaved rounds (see [`ROUNDS`]).
    nanos_per_op: Option<f64>,
    /// Median over criterion's samples; `None` if criterion filtered it out.
    criterion_nanos: Option<f64>,
    allocations_per_op: f64,
    bytes_per_op: f64,
}

impl Row {
    fn nanos(&self) -> Option<f64> {
        self.measured.as_ref().ok().and_then(|m| m.nanos_per_op)
    }
}

/// Interleaved rounds behind each W1 and W3 figure: every row runs once per
/// round, rows in turn, and a row's figure is its fastest round. A burst of
/// noise on the shared machine then slows one round of every row instead of
/// every sample of one row, so the ratios within the run hold.
const ROUNDS: usize = 9;
/// The length of one row's turn in a round.
const ROUND_TIME: Duration = Duration::from_millis(40);

/// Runs W1 or W3 for every row: allocations and creates counted over
/// `counted_ops` operations, the time under criterion (its report), then the
/// interleaved rounds (the tables' figure).
fn single_thread(
    criterion: &mut Criterion,
    workload: Workload,
    group: &str,
    counted_ops: u64,
    brief: bool,
) -> Vec<Row> {
    let mut group = criterion.benchmark_group(group);
    let mut rows = Vec::new();
    let mut subjects = Vec::new();
    for peer in PEERS {
        let subject = match peer.build(workload, MAX_SIZE) {
            Ok(subject) => subject,
            Err(reason) => {
                rows.push(Row {
                    peer,
                    measured: Err(reason),
                });
                continue;
            }
        };
        subject.run(1_000);

        let creates = subject.creates();
        let before = counting::snapshot();
        subject.run(counted_ops);
        let spent = counting::snapshot() - before;
        let created = subject.creates() - creates;
        check_creates(peer, workload, created, counted_ops);

        let samples = RefCell::new(Vec::with_capacity(64));
        group.bench_function(criterion_id(peer.name), |bencher| {
            bencher.iter_custom(|iterations| {
                let elapsed = subject.run(iterations);
                samples.borrow_mut().push((iterations, elapsed));
                elapsed
            })
        });
        let criterion_nanos = median_nanos(&samples.into_inner());
        // Operations per turn: about ROUND_TIME at criterion's pace.
        let ops = match criterion_nanos {
            Some(nanos) if !brief => (ROUND_TIME.as_nanos() as f64 / nanos.max(1.0)) as u64,
            _ => 1_000,
        };
        subjects.push((rows.len(), subject, ops.max(1_000)));
        rows.push(Row {
            peer,
            measured: Ok(Measured {
                nanos_per_op: None,
                criterion_nanos,
                allocations_per_op: spent.allocations as f64 / counted_ops as f64,
                bytes_per_op: spent.bytes as f64 / counted_ops as f64,
            }),
        });
    }
    group.finish();

    let rounds = if brief { 1 } else { ROUNDS };
    let mut best = vec![f64::INFINITY; rows.len()];
    for _ in 0..rounds {
        for (index, subject, ops) in &subjects {
            let creates = subject.creates();
            let elapsed = subject.run(*ops);
            if workload == Workload::Fast {
                assert_eq!(subject.creates(), creates, "W1 created");
            }
            best[*index] = best[*index].min(elapsed.as_nanos() as f64 / *ops as f64);
        }
    }
    for (index, _, _) in &subjects {
        if let Ok(measured) = &mut rows[*index].measured {
            measured.nanos_per_op = Some(best[*index]);
        }
    }
    rows
}

/// W1 creates nothing on a warm pool; W3 creates once per operation (give
/// or take the `max_size` resources a pool keeps or makes ahead: r2d2 and
/// bb8 create on their own threads or tasks, object-pool starts full).
fn check_creates(peer: &Peer, workload: Workload, created: u64, ops: u64) {
    match workload {
        Workload::Fast => assert_eq!(created, 0, "{}: W1 created", peer.name),
        _ => assert!(
            created.abs_diff(ops) <= MAX_SIZE as u64,
            "{}: W3 created {created} for {ops} operations",
            peer.name
        ),
    }
}

/// The median ns/op of criterion's samples (the last `SAMPLES` calls; the
/// ones before are its warm-up).
fn median_nanos(calls: &[(u64, Duration)]) -> Option<f64> {
    let samples = &calls[calls.len().saturating_sub(SAMPLES)..];
    let mut per_op: Vec<f64> = samples
        .iter()
        .map(|(iterations, elapsed)| elapsed.as_nanos() as f64 / *iterations as f64)
        .collect();
    if per_op.is_empty() {
        return None;
    }
    per_op.sort_by(f64::total_cmp);
    Some(per_op[per_op.len() / 2])
}

/// A criterion id: letters, digits, `-` and `_` only.
fn criterion_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn find<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|row| row.peer.name == name)
        .expect("a known row")
}

/// A W1 or W3 table in Markdown, with each row's time relative to `base`.
fn table(title: &str, rows: &[Row], base: &str) -> String {
    let base_nanos = find(rows, base).nanos();
    let mut out = format!(
        "\n{title}\n\n| pool | ns/op | × {base} | criterion median ns/op | allocs/op | B/op |\n|---|---|---|---|---|---|\n"
    );
    for row in rows {
        match &row.measured {
            Ok(measured) => {
                let nanos = measured
                    .nanos_per_op
                    .map_or("-".to_string(), |nanos| format!("{nanos:.1}"));
                let ratio = match (measured.nanos_per_op, base_nanos) {
                    (Some(nanos), Some(base)) => format!("{:.2}", nanos / base),
                    _ => "-".to_string(),
                };
                let criterion = measured
                    .criterion_nanos
                    .map_or("-".to_string(), |nanos| format!("{nanos:.1}"));
                out.push_str(&format!(
                    "| {} | {nanos} | {ratio} | {criterion} | {:.2} | {:.1} |\n",
                    row.peer.name, measured.allocations_per_op, measured.bytes_per_op
                ));
            }
            Err(reason) => {
                out.push_str(&format!("| {} | n/a: {reason} | | | | |\n", row.peer.name))
            }
        }
    }
    out
}

/// `ours` is at most `factor` times slower than `floor`.
fn within(rows: &[Row], ours: &str, floor: &str, factor: f64) -> String {
    match (find(rows, ours).nanos(), find(rows, floor).nanos()) {
        (Some(ours_ns), Some(floor_ns)) => {
            let ratio = ours_ns / floor_ns;
            let verdict = if ratio <= factor { "holds" } else { "FAILS" };
            format!("W1 {ours} within {factor}x of {floor}: {ratio:.2}x, {verdict}")
        }
        _ => format!("W1 {ours} within {factor}x of {floor}: not measured"),
    }
}

/// `ours` is at least `factor` times faster than every bounded peer.
fn faster_than_bounded(rows: &[Row], ours: &str, factor: f64, label: &str) -> String {
    let Some(ours_ns) = find(rows, ours).nanos() else {
        return format!("{label} {ours}: not measured");
    };
    let mut parts = Vec::new();
    let mut holds = true;
    for row in rows.iter().filter(|row| row.peer.family == Family::Bounded) {
        if let Some(nanos) = row.nanos() {
            let speedup = nanos / ours_ns;
            holds &= speedup >= factor;
            parts.push(format!("{} {speedup:.2}x", row.peer.name));
        }
    }
    let verdict = if holds { "holds" } else { "FAILS" };
    format!(
        "{label} {ours} at least {factor}x faster than every bounded peer: {}; {verdict}",
        parts.join(", ")
    )
}

/// W3: no allocation by zeropool, and faster than every other crate's pool.
fn create_path_verdicts(rows: &[Row]) -> Vec<String> {
    let mut lines = Vec::new();
    let reference = rows
        .iter()
        .filter(|row| row.peer.family == Family::Reference)
        .filter_map(|row| {
            Some(format!(
                " ({} alone: {:.1} ns)",
                row.peer.name,
                row.nanos()?
            ))
        })
        .collect::<String>();
    for ours in rows
        .iter()
        .filter(|row| row.peer.family == Family::Zeropool)
    {
        let Ok(measured) = &ours.measured else {
            continue;
        };
        let allocation_verdict = if measured.allocations_per_op == 0.0 {
            "holds"
        } else {
            "FAILS"
        };
        lines.push(format!(
            "W3 {} allocates nothing: {:.2} allocs/op, {allocation_verdict}",
            ours.peer.name, measured.allocations_per_op
        ));
        let Some(ours_ns) = measured.nanos_per_op else {
            continue;
        };
        let mut parts = Vec::new();
        let mut holds = true;
        for row in rows
            .iter()
            .filter(|row| matches!(row.peer.family, Family::Bounded | Family::Unbounded))
        {
            if let Some(nanos) = row.nanos() {
                holds &= nanos > ours_ns;
                parts.push(format!("{} {:.2}x", row.peer.name, nanos / ours_ns));
            }
        }
        let verdict = if holds { "holds" } else { "FAILS" };
        lines.push(format!(
            "W3 {} faster than every peer: {}; {verdict}{}",
            ours.peer.name,
            parts.join(", "),
            reference
        ));
    }
    lines
}

fn main() {
    let brief = std::env::args().any(|arg| arg == "--test");
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1_000))
        .sample_size(SAMPLES)
        .nresamples(10_000)
        .configure_from_args();

    let fast = single_thread(
        &mut criterion,
        Workload::Fast,
        "W1_fast_path",
        100_000,
        brief,
    );
    let create = single_thread(
        &mut criterion,
        Workload::Create,
        "W3_create_path",
        20_000,
        brief,
    );

    let points = peers::run_scaling(brief);

    let label = plot::run_label();
    println!("\n## peers: {label}");
    if brief {
        println!("\nSmoke run (--test): every path ran, the numbers below are not measurements.");
    }
    print!(
        "{}",
        table(
            "W1 fast path: 1 thread, max_size 8, warm; get, touch, release",
            &fast,
            "zeropool StackPool"
        )
    );
    print!(
        "{}",
        table(
            "W3 create path: 1 thread, max_size 8; every release discards, every get creates",
            &create,
            "zeropool StackPool"
        )
    );
    print!("{}", peers::scaling_table(&points));

    println!("\nTargets (ratios within this run):");
    let mut verdicts = vec![
        within(&fast, "zeropool StackPool", "floor Mutex<Vec>+Condvar", 1.3),
        within(
            &fast,
            "zeropool ChannelPool",
            "floor crossbeam bounded",
            1.3,
        ),
        faster_than_bounded(&fast, "zeropool StackPool", 3.0, "W1"),
        faster_than_bounded(&fast, "zeropool ChannelPool", 1.5, "W1"),
    ];
    verdicts.extend(peers::scaling_verdicts(&points));
    verdicts.extend(create_path_verdicts(&create));
    for line in verdicts {
        println!("- {line}");
    }

    if let Some(path) = std::env::var_os("ZEROPOOL_SCALING_SVG") {
        let path = std::path::PathBuf::from(path);
        match plot::write_svg(&points, &path, &label) {
            Ok(()) => println!("\nwrote {}", path.display()),
            Err(error) => eprintln!("could not write {}: {error}", path.display()),
        }
    }
    criterion.final_summary();
}
