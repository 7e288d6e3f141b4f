//! Test managers and helpers shared by the integration tests: a manager that
//! counts every create and drop and can be told to fail, panic or stall; a
//! way to build either backend; a watchdog; and the `both!` macro that runs a
//! generic test once per backend.

#![allow(dead_code, unreachable_pub)]

use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use zeropool::{BuildError, Builder, ChannelPool, Manager, Pool, StackPool};

/// What the manager has seen; shared with the test.
#[derive(Debug, Default)]
pub struct Counters {
    pub create_calls: AtomicUsize,
    pub created: AtomicUsize,
    pub dropped: AtomicUsize,
    pub recycle_calls: AtomicUsize,
    pub broken_calls: AtomicUsize,
    /// Resources being created or alive, until their drop has returned.
    pub in_flight: AtomicUsize,
    /// The highest `in_flight` ever seen.
    pub peak_in_flight: AtomicUsize,
}

impl Counters {
    fn enter(&self) {
        let now = self.in_flight.fetch_add(1, SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, SeqCst);
    }

    fn leave(&self) {
        self.in_flight.fetch_sub(1, SeqCst);
    }

    /// Resources created and not yet dropped.
    pub fn alive(&self) -> usize {
        self.created.load(SeqCst) - self.dropped.load(SeqCst)
    }
}

/// A callback run from inside the manager or a resource's drop.
pub type Hook = Arc<dyn Fn() + Send + Sync>;

/// Switches a test flips to make the manager misbehave.
#[derive(Default)]
pub struct Behaviour {
    /// The next this-many creates fail.
    pub fail_creates: AtomicUsize,
    pub panic_create: AtomicBool,
    pub fail_recycle: AtomicBool,
    pub panic_recycle: AtomicBool,
    pub panic_broken: AtomicBool,
    /// Every released resource is reported broken.
    pub all_broken: AtomicBool,
    pub create_delay_ms: AtomicU64,
    pub drop_delay_ms: AtomicU64,
    /// Runs inside create, recycle, has_broken and every resource drop.
    pub hook: Mutex<Option<Hook>>,
}

impl Behaviour {
    fn run_hook(&self) {
        // Cloned out first: the hook may re-enter the manager.
        let hook = self.hook.lock().unwrap().clone();
        if let Some(hook) = hook {
            hook();
        }
    }
}

/// The manager's error.
#[derive(Debug, PartialEq, Eq)]
pub struct CreateFailed;

impl fmt::Display for CreateFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("test create failed")
    }
}

impl std::error::Error for CreateFailed {}

/// A pooled test resource; its drop is counted.
pub struct Res {
    pub id: usize,
    /// Reported by has_broken.
    pub broken: bool,
    counters: Arc<Counters>,
    behaviour: Arc<Behaviour>,
}

impl fmt::Debug for Res {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Res({})", self.id)
    }
}

impl Drop for Res {
    fn drop(&mut self) {
        /// Counts the drop when it ends, also by a panic in the hook.
        struct Counted<'a>(&'a Counters);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.0.dropped.fetch_add(1, SeqCst);
                self.0.leave();
            }
        }
        let _counted = Counted(&self.counters);
        self.behaviour.run_hook();
        let delay = self.behaviour.drop_delay_ms.load(SeqCst);
        if delay > 0 {
            thread::sleep(Duration::from_millis(delay));
        }
    }
}

/// The test manager.
#[derive(Clone, Default)]
pub struct TestManager {
    pub counters: Arc<Counters>,
    pub behaviour: Arc<Behaviour>,
}

impl Manager for TestManager {
    type Resource = Res;
    type Error = CreateFailed;

    fn create(&self) -> Result<Res, CreateFailed> {
        self.counters.create_calls.fetch_add(1, SeqCst);
        self.counters.enter();
        self.behaviour.run_hook();
        let delay = self.behaviour.create_delay_ms.load(SeqCst);
        if delay > 0 {
            thread::sleep(Duration::from_millis(delay));
        }
        let failing = self
            .behaviour
            .fail_creates
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            self.counters.leave();
            return Err(CreateFailed);
        }
        if self.behaviour.panic_create.load(SeqCst) {
            self.counters.leave();
            panic!("create panicked on purpose");
        }
        let id = self.counters.created.fetch_add(1, SeqCst);
        Ok(Res {
            id,
            broken: false,
            counters: self.counters.clone(),
            behaviour: self.behaviour.clone(),
        })
    }

    fn recycle(&self, _: &mut Res) -> Result<(), CreateFailed> {
        self.counters.recycle_calls.fetch_add(1, SeqCst);
        self.behaviour.run_hook();
        if self.behaviour.panic_recycle.load(SeqCst) {
            panic!("recycle panicked on purpose");
        }
        if self.behaviour.fail_recycle.load(SeqCst) {
            return Err(CreateFailed);
        }
        Ok(())
    }

    fn has_broken(&self, resource: &mut Res) -> bool {
        self.counters.broken_calls.fetch_add(1, SeqCst);
        self.behaviour.run_hook();
        if self.behaviour.panic_broken.load(SeqCst) {
            panic!("has_broken panicked on purpose");
        }
        resource.broken || self.behaviour.all_broken.load(SeqCst)
    }
}

/// A builder for the backend `P`.
pub type TestBuilder<P> = Builder<TestManager, P>;

/// A backend under test.
pub trait TestPool: Pool<Manager = TestManager> + Clone + 'static {
    const NAME: &'static str;
    fn with(manager: TestManager, max_size: usize, acquire_timeout: Duration) -> Self;
    fn builder_for(manager: TestManager) -> TestBuilder<Self>;
    fn build(builder: TestBuilder<Self>) -> Result<Self, BuildError>;
}

impl TestPool for StackPool<TestManager> {
    const NAME: &'static str = "stack";
    fn with(manager: TestManager, max_size: usize, acquire_timeout: Duration) -> Self {
        StackPool::builder(manager)
            .max_size(max_size)
            .acquire_timeout(acquire_timeout)
            .build()
            .expect("valid test settings")
    }
    fn builder_for(manager: TestManager) -> TestBuilder<Self> {
        StackPool::builder(manager)
    }
    fn build(builder: TestBuilder<Self>) -> Result<Self, BuildError> {
        builder.build()
    }
}

impl TestPool for ChannelPool<TestManager> {
    const NAME: &'static str = "channel";
    fn with(manager: TestManager, max_size: usize, acquire_timeout: Duration) -> Self {
        ChannelPool::builder(manager)
            .max_size(max_size)
            .acquire_timeout(acquire_timeout)
            .build()
            .expect("valid test settings")
    }
    fn builder_for(manager: TestManager) -> TestBuilder<Self> {
        ChannelPool::builder(manager)
    }
    fn build(builder: TestBuilder<Self>) -> Result<Self, BuildError> {
        builder.build()
    }
}

/// A pool configured by `configure` (on top of a 10 s acquire timeout and no
/// maintenance thread), and its manager.
pub fn custom<P: TestPool>(
    configure: impl FnOnce(TestBuilder<P>) -> TestBuilder<P>,
) -> (P, TestManager) {
    let manager = TestManager::default();
    let builder = P::builder_for(manager.clone())
        .acquire_timeout(Duration::from_secs(10))
        .maintenance_interval(None);
    (
        P::build(configure(builder)).expect("valid test settings"),
        manager,
    )
}

/// A pool of `max_size` with a 10 s acquire timeout, and its manager.
pub fn pool<P: TestPool>(max_size: usize) -> (P, TestManager) {
    let manager = TestManager::default();
    (
        P::with(manager.clone(), max_size, Duration::from_secs(10)),
        manager,
    )
}

/// Runs a test body on its own thread and fails if it takes over 60 s, so a
/// deadlock fails fast instead of hanging the run.
pub fn watchdog(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => runner.join().expect("test body finished"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = runner.join() {
                resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test still running after 60 s: deadlock?"),
    }
}

/// Waits (up to 10 s) until `condition` holds; panics otherwise.
pub fn eventually(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if condition() {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("gave up waiting for: {what}");
}

/// Runs `f`, expecting it to panic; returns the panic message.
pub fn expect_panic<T>(f: impl FnOnce() -> T) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
    }
}

/// `created == size + every drop class` when the pool is quiet, and the
/// counts within their bounds.
pub fn assert_identity(status: &zeropool::Status) {
    let retired = status.closed_broken
        + status.closed_expired
        + status.closed_idle
        + status.discarded
        + status.detached;
    assert_eq!(
        status.created,
        status.size as u64 + retired,
        "identity: {status:?}"
    );
    assert!(status.idle + status.in_use <= status.size, "{status:?}");
    assert!(status.size <= status.max_size, "{status:?}");
}

/// Checks the pool's counts against what the manager saw, when quiet.
pub fn assert_consistent<P: TestPool>(pool: &P, manager: &TestManager) {
    let status = pool.status();
    assert!(status.size <= status.max_size, "{status:?}");
    assert!(status.idle + status.in_use <= status.size, "{status:?}");
    assert_eq!(status.size, manager.counters.alive(), "{status:?}");
    assert!(
        manager.counters.peak_in_flight.load(SeqCst) <= status.max_size,
        "more than max_size resources existed at once"
    );
}

/// Declares one `#[test]` per backend for each generic test function named.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod stack {
            $(
                #[test]
                fn $name() {
                    $crate::common::watchdog(|| super::$name::<zeropool::StackPool<$crate::common::TestManager>>());
                }
            )*
        }
        mod channel {
            $(
                #[test]
                fn $name() {
                    $crate::common::watchdog(|| super::$name::<zeropool::ChannelPool<$crate::common::TestManager>>());
                }
            )*
        }
    };
}
