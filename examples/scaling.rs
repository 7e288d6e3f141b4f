//! Draws `docs/scaling.svg`: total ops/s and p99 acquire wait against the
//! number of threads sharing a pool of 2 (and of 8), for zeropool's backends,
//! r2d2, deadpool, bb8 and the floors of `cargo bench --bench peers` (the
//! same W2 code, from `benches/support/peers.rs`), and prints the table.
//!
//! Run: `cargo run --release --example scaling` (about 2 minutes on 2 cores).
//! `-- --out PATH` writes elsewhere; `-- --quick` is a short smoke run.

#[path = "../benches/support/peers.rs"]
mod peers;
#[path = "../benches/support/plot.rs"]
mod plot;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = PathBuf::from("docs/scaling.svg");
    let mut quick = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => out = args.next().ok_or("--out needs a path")?.into(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }

    let points = peers::run_scaling(quick);

    let label = plot::run_label();
    println!("## W2 scaling: {label}");
    print!("{}", peers::scaling_table(&points));
    println!();
    for line in peers::scaling_verdicts(&points) {
        println!("- {line}");
    }

    if let Some(parent) = out.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    plot::write_svg(&points, &out, &label)?;
    println!("\nwrote {}", out.display());
    Ok(())
}
