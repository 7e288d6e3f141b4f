//! [`Heap`]: criterion measurements of heap allocations and of bytes
//! allocated, read from the counting global allocator, so a bench reports
//! them per iteration beside its times.
//!
//! The counts cover every thread (they are the allocator's global totals), so
//! a measured region must not overlap another thread's allocations: in a
//! bench binary, criterion's own thread allocates only between batches, never
//! between [`Measurement::start`] and [`Measurement::end`].
//!
//! # Zero is reported as zero
//!
//! Criterion takes a sample that measured exactly 0 for a broken timer: it
//! prints an error and skips the analysis. So a batch that allocated nothing
//! goes to criterion as [`ZERO`] per iteration (2^-60), far below one
//! allocation in any batch (1 / iterations, with fewer than 2^50 iterations),
//! and the formatter prints every value below [`SHOWN_AS_ZERO`] as `0`. A
//! batch with even one allocation goes to criterion as its exact count.

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Throughput;

use super::counting;

/// What a batch of zero allocations is reported as, per iteration: a power
/// of two, so `ZERO * n / n == ZERO` exactly and such samples never vary.
pub const ZERO: f64 = 1.0 / (1u64 << 60) as f64;

/// Values below this are printed as `0`: a batch with one allocation reports
/// `1 / iterations`, far above it.
pub const SHOWN_AS_ZERO: f64 = 1.0 / (1u64 << 50) as f64;

/// What a [`Heap`] measurement counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// Allocations (and reallocations).
    Allocations,
    /// Bytes requested by allocations and reallocations.
    Bytes,
}

/// Allocations or bytes counted over a batch of iterations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    /// Allocations, or bytes, made while the batch ran.
    pub events: u64,
    /// Iterations in the batch; 0 when unknown (a batch driven by
    /// `Bencher::iter`, which [`Heap::run`] replaces).
    pub iterations: u64,
}

impl Count {
    /// Events per iteration (0 for an empty count).
    pub fn per_iteration(&self) -> f64 {
        if self.iterations == 0 {
            0.0
        } else {
            self.events as f64 / self.iterations as f64
        }
    }
}

impl std::ops::Add for Count {
    type Output = Count;

    fn add(self, other: Count) -> Count {
        Count {
            events: self.events + other.events,
            iterations: self.iterations + other.iterations,
        }
    }
}

/// A criterion measurement of the heap: allocations, or bytes, made by every
/// thread between `start` and `end`. Needs [`counting::Counting`] installed
/// as the bench binary's global allocator.
///
/// Drive it with `Bencher::iter_custom` and [`Heap::run`], which records the
/// batch's iteration count beside the events.
#[derive(Debug)]
pub struct Heap {
    counted: Counted,
    formatter: PerIteration,
}

impl Heap {
    /// Counts allocations.
    pub const ALLOCATIONS: Heap = Heap {
        counted: Counted::Allocations,
        formatter: PerIteration {
            unit: "allocs",
            per_element: "allocs/element",
            per_byte: "allocs/byte",
        },
    };

    /// Counts bytes allocated.
    pub const BYTES: Heap = Heap {
        counted: Counted::Bytes,
        formatter: PerIteration {
            unit: "B",
            per_element: "B/element",
            per_byte: "B/byte",
        },
    };

    /// What this measurement counts.
    pub fn counted(&self) -> Counted {
        self.counted
    }

    /// The unit values are printed in.
    pub fn unit(&self) -> &'static str {
        self.formatter.unit
    }

    fn read(&self) -> u64 {
        let totals = counting::snapshot();
        match self.counted {
            Counted::Allocations => totals.allocations,
            Counted::Bytes => totals.bytes,
        }
    }

    /// Runs `op` `iterations` times and counts what it allocated; for
    /// `Bencher::iter_custom`.
    pub fn run(&self, iterations: u64, mut op: impl FnMut()) -> Count {
        let start = self.start();
        for _ in 0..iterations {
            op();
        }
        Count {
            iterations,
            ..self.end(start)
        }
    }
}

impl Measurement for Heap {
    type Intermediate = u64;
    type Value = Count;

    fn start(&self) -> u64 {
        self.read()
    }

    fn end(&self, start: u64) -> Count {
        Count {
            events: self.read() - start,
            iterations: 0,
        }
    }

    fn add(&self, first: &Count, second: &Count) -> Count {
        *first + *second
    }

    fn zero(&self) -> Count {
        Count::default()
    }

    fn to_f64(&self, count: &Count) -> f64 {
        if count.events == 0 {
            ZERO * count.iterations.max(1) as f64
        } else {
            count.events as f64
        }
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &self.formatter
    }
}

/// Prints per-iteration counts unscaled, with values below
/// [`SHOWN_AS_ZERO`] as `0`.
#[derive(Debug)]
struct PerIteration {
    unit: &'static str,
    per_element: &'static str,
    per_byte: &'static str,
}

/// A count per iteration as text: `0`, or the value to 3 significant digits.
pub fn show(value: f64) -> String {
    if value < SHOWN_AS_ZERO {
        "0".to_owned()
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 0.01 {
        format!("{value:.3}")
    } else {
        format!("{value:.2e}")
    }
}

impl ValueFormatter for PerIteration {
    fn format_value(&self, value: f64) -> String {
        format!("{:>6} {}", show(value), self.unit)
    }

    fn format_throughput(&self, throughput: &Throughput, value: f64) -> String {
        let mut values = [value];
        let unit = self.scale_throughputs(value, throughput, &mut values);
        format!("{:>6} {unit}", show(values[0]))
    }

    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        self.unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => n,
        };
        for value in values {
            *value /= per.max(1) as f64;
        }
        match throughput {
            Throughput::Elements(_) => self.per_element,
            Throughput::Bytes(_) | Throughput::BytesDecimal(_) => self.per_byte,
        }
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        self.unit
    }
}
