//! Runs one row of `cargo bench --bench peers` and nothing else, for a
//! profiler: a number of single-thread operations (W1 `fast`, W3 `create`),
//! or one W2 point (`contended THREADS MAX_SIZE MILLIS [WORK_NS]`, 100 ns of
//! work per operation unless given).
//!
//! Instructions per operation, free of the machine's noise: run it under
//! callgrind with two counts and divide the difference, for example
//!
//! ```text
//! cargo build --release --example peer_ops
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/a.out \
//!     target/release/examples/peer_ops "zeropool StackPool" fast 100000
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/b.out \
//!     target/release/examples/peer_ops "zeropool StackPool" fast 200000
//! ```
//!
//! and `callgrind_annotate` either file for where the instructions go. For a
//! W2 point, system calls and context switches per operation come from
//! `perf stat -e syscalls:sys_enter_futex,context-switches` (software events
//! and tracepoints; no hardware counters needed).

#[path = "../benches/support/peers.rs"]
mod peers;

use std::time::Duration;

use peers::{Work, Workload, PEERS};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let names: Vec<&str> = PEERS.iter().map(|peer| peer.name).collect();
    let usage = format!(
        "usage: peer_ops ROW fast|create OPS\n       peer_ops ROW contended THREADS MAX_SIZE MILLIS [WORK_NS]\nrows: {}",
        names.join(", ")
    );
    let (Some(name), Some(workload)) = (args.first(), args.get(1)) else {
        return Err(usage.into());
    };
    let peer = PEERS
        .iter()
        .find(|peer| peer.name == name)
        .ok_or_else(|| format!("unknown row {name}"))?;
    let number = |index: usize| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(args.get(index).ok_or(usage.clone())?.parse()?)
    };
    let workload = match workload.as_str() {
        "fast" => Workload::Fast,
        "create" => Workload::Create,
        "contended" => {
            let (threads, max_size, millis) = (number(2)?, number(3)?, number(4)?);
            // An optional sixth argument sets the work per operation (ns).
            let work_nanos = args.get(5).map_or(Ok(100), |text| text.parse())?;
            let work = Work::calibrate(Duration::from_nanos(work_nanos));
            let point = peers::contend_once(
                peer,
                threads as usize,
                max_size as usize,
                work,
                Duration::from_millis(millis),
            )
            .ok_or("the row does not fit W2")?;
            println!(
                "{name} contended T={threads} max_size {max_size}: {} ops, {:.2} Mops/s, p50 {:?}, p99 {:?}, max {:?}",
                point.ops,
                point.ops_per_sec() / 1e6,
                point.waits.quantile(0.5),
                point.waits.quantile(0.99),
                point.waits.max()
            );
            return Ok(());
        }
        other => return Err(format!("unknown workload {other}\n{usage}").into()),
    };
    let ops = number(2)?;
    let subject = peer.build(workload, 8)?;
    let elapsed = subject.run(ops);
    println!(
        "{name} {workload:?}: {ops} ops, {:.1} ns/op, {} creates",
        elapsed.as_nanos() as f64 / ops as f64,
        subject.creates()
    );
    Ok(())
}
