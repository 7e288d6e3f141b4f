//! The one place that chooses the synchronization primitives: `std` and
//! crossbeam-channel in normal builds, loom's model-checked types under
//! `cargo test --features loom`.
//!
//! Every other module imports its `Arc`, `Mutex`, `Condvar`, atomics, clock and
//! idle channel from here, so switching to loom is a change in this file alone.
//! The switch is `cfg(all(test, feature = "loom"))`, not the feature alone:
//! doctests, `tests/` binaries and downstream crates never link loom types.
//!
//! # Implementation notes
//!
//! - [`Mutex`] ignores poisoning. The pool never runs user code while holding
//!   its lock, so a poisoned lock could only come from a bug in the pool
//!   itself; refusing service forever after one panic would be worse.
//! - Under loom, crossbeam-channel is replaced by [`Channel`], a small bounded
//!   FIFO queue built on loom's `Mutex`, with exactly the non-blocking
//!   operations the channel backend uses (`try_send`, `try_recv`, `len`).
//!   crossbeam's own lock-free internals are trusted, not modelled: the models
//!   check the pool's protocol around the channel.
//! - Under loom, [`Instant`] is a manual clock that a model moves forward with
//!   `advance_clock`; loom itself has no notion of time, and its timed waits
//!   never time out.

#[cfg(not(all(test, feature = "loom")))]
mod imp {
    pub(crate) use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use std::sync::Arc;
    pub(crate) use std::thread::ThreadId;
    pub(crate) use std::time::Instant;

    use std::cell::Cell;
    use std::sync::PoisonError;
    use std::time::Duration;

    /// The calling thread's id.
    pub(crate) fn current_thread() -> ThreadId {
        std::thread::current().id()
    }

    thread_local! {
        /// Clock reads made by the pool on this thread (debug builds only).
        static CLOCK_READS: Cell<u64> = const { Cell::new(0) };
    }

    /// Reads the clock. Debug builds count the reads per thread, so tests can
    /// check that the idle-hit path reads none.
    pub(crate) fn now() -> Instant {
        #[cfg(debug_assertions)]
        CLOCK_READS.with(|reads| reads.set(reads.get() + 1));
        Instant::now()
    }

    /// How many times the pool read the clock on this thread (debug builds;
    /// always 0 in release builds).
    pub(crate) fn clock_reads() -> u64 {
        CLOCK_READS.with(Cell::get)
    }

    /// A mutex that ignores poisoning.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    /// The guard of [`Mutex`].
    pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(std::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// A condition variable paired with [`Mutex`].
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(std::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Self(std::sync::Condvar::new())
        }

        /// Waits for a notification or until `timeout` passed (`None`: no limit).
        /// Spurious wake-ups are possible; callers re-check their condition.
        pub(crate) fn wait<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            timeout: Option<Duration>,
        ) -> MutexGuard<'a, T> {
            match timeout {
                None => self.0.wait(guard).unwrap_or_else(PoisonError::into_inner),
                Some(timeout) => {
                    self.0
                        .wait_timeout(guard, timeout)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            }
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// Paces the maintenance thread: a sleep that `stop` cuts short.
    #[derive(Debug, Default)]
    pub(crate) struct Ticker {
        stopped: std::sync::Mutex<bool>,
        wake: std::sync::Condvar,
    }

    impl Ticker {
        pub(crate) fn new() -> Self {
            Self::default()
        }

        /// Sleeps for `interval`; true if stopped (before or meanwhile).
        pub(crate) fn wait(&self, interval: Duration) -> bool {
            let deadline = Instant::now().checked_add(interval);
            let mut stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if *stopped {
                    return true;
                }
                let remaining = match deadline {
                    Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                        Some(remaining) if !remaining.is_zero() => remaining,
                        _ => return false,
                    },
                    None => Duration::from_secs(3600),
                };
                stopped = self
                    .wake
                    .wait_timeout(stopped, remaining)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }

        /// Ends every current and future wait at once.
        pub(crate) fn stop(&self) {
            *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
            self.wake.notify_all();
        }
    }

    /// Starts a named background thread.
    pub(crate) fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(body)
            .map(drop)
    }

    /// A bounded FIFO queue used without blocking: crossbeam-channel.
    #[derive(Debug)]
    pub(crate) struct Channel<T> {
        sender: crossbeam_channel::Sender<T>,
        receiver: crossbeam_channel::Receiver<T>,
    }

    impl<T> Channel<T> {
        pub(crate) fn bounded(capacity: usize) -> Self {
            let (sender, receiver) = crossbeam_channel::bounded(capacity);
            Self { sender, receiver }
        }

        pub(crate) fn try_send(&self, value: T) -> Result<(), T> {
            self.sender
                .try_send(value)
                .map_err(|error| error.into_inner())
        }

        pub(crate) fn try_recv(&self) -> Option<T> {
            self.receiver.try_recv().ok()
        }

        pub(crate) fn len(&self) -> usize {
            self.receiver.len()
        }
    }
}

#[cfg(all(test, feature = "loom"))]
mod imp {
    pub(crate) use loom::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::thread::ThreadId;

    use std::collections::VecDeque;
    use std::time::Duration;

    /// The calling model thread's id (loom).
    pub(crate) fn current_thread() -> ThreadId {
        loom::thread::current().id()
    }

    /// A mutex that ignores poisoning (loom).
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    /// The guard of [`Mutex`] (loom).
    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|poison| poison.into_inner())
        }
    }

    /// A condition variable (loom). Timed waits never time out under loom.
    #[derive(Debug)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Self(loom::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _timeout: Option<Duration>,
        ) -> MutexGuard<'a, T> {
            self.0
                .wait(guard)
                .unwrap_or_else(|poison| poison.into_inner())
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// A bounded FIFO queue with crossbeam-channel's non-blocking semantics,
    /// built on loom's `Mutex` so the channel backend's protocol is modelled.
    /// crossbeam's lock-free internals are trusted, not modelled.
    #[derive(Debug)]
    pub(crate) struct Channel<T> {
        queue: loom::sync::Mutex<VecDeque<T>>,
        capacity: usize,
    }

    impl<T> Channel<T> {
        pub(crate) fn bounded(capacity: usize) -> Self {
            Self {
                queue: loom::sync::Mutex::new(VecDeque::with_capacity(capacity)),
                capacity,
            }
        }

        pub(crate) fn try_send(&self, value: T) -> Result<(), T> {
            let mut queue = self.queue.lock().unwrap();
            if queue.len() == self.capacity {
                return Err(value);
            }
            queue.push_back(value);
            Ok(())
        }

        pub(crate) fn try_recv(&self) -> Option<T> {
            self.queue.lock().unwrap().pop_front()
        }

        pub(crate) fn len(&self) -> usize {
            self.queue.lock().unwrap().len()
        }
    }

    std::thread_local! {
        /// Nanoseconds on the manual clock. Loom runs a model's threads on
        /// the OS thread that called the model, so each model has its own
        /// clock even while tests run in parallel.
        static CLOCK_NANOS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// Moves the manual clock forward (loom models only).
    pub(crate) fn advance_clock(by: Duration) {
        CLOCK_NANOS.with(|nanos| nanos.set(nanos.get() + by.as_nanos() as u64));
    }

    /// Resets the manual clock to zero (at the start of every model iteration).
    pub(crate) fn reset_clock() {
        CLOCK_NANOS.with(|nanos| nanos.set(0));
    }

    /// The maintenance thread's pacer; loom models run no maintenance
    /// thread (they call `maintain` themselves), so stopping is all it does.
    #[derive(Debug, Default)]
    pub(crate) struct Ticker;

    impl Ticker {
        pub(crate) fn new() -> Self {
            Ticker
        }

        pub(crate) fn stop(&self) {}
    }

    /// Reads the manual clock.
    pub(crate) fn now() -> Instant {
        Instant::now()
    }

    /// A point on the manual clock.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub struct Instant(Duration);

    impl Instant {
        pub(crate) fn now() -> Self {
            Self(Duration::from_nanos(CLOCK_NANOS.with(|nanos| nanos.get())))
        }

        pub(crate) fn checked_add(&self, by: Duration) -> Option<Self> {
            self.0.checked_add(by).map(Self)
        }

        pub(crate) fn saturating_duration_since(&self, earlier: Self) -> Duration {
            self.0.saturating_sub(earlier.0)
        }
    }
}

pub(crate) use imp::*;
