//! Loom models of both backends: every interleaving of a few threads (within
//! a preemption bound) of get, release, discard, detach, close and handoff.
//!
//! Mounted from `lib.rs` under `cfg(all(test, feature = "loom"))`, so the
//! models see the crate's internals and the engine runs on loom's primitives
//! (see `src/sync.rs`). Run with `cargo test --features loom`;
//! `LOOM_MAX_PREEMPTIONS` overrides the default bound of 3.
//!
//! Timeouts are not modelled (loom's timed waits never time out); they are
//! tested in `tests/`. crossbeam-channel's internals are trusted: under loom
//! the channel backend runs on a small mutex-based channel with the same
//! non-blocking semantics.

mod support;

mod capacity;
mod close;
mod get_release;
mod handoff;
mod maintain;
mod owned;
mod wakeups;
