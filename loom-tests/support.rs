//! What the models share: a manager that counts live resources with loom
//! atomics and can fail or report broken on demand, a way to build either
//! backend, the `model` runner, and the final consistency check.

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use crate::sync::Arc;
use crate::{ChannelPool, Manager, Pool, StackPool};

/// Counts live resources; `create` asserts the pool never exceeds its size.
pub(super) struct Counted {
    pub(super) live: Arc<AtomicUsize>,
    pub(super) max_size: usize,
    /// The most tokens `create` accepts alive: `max_size`, or one more where
    /// a model detaches a token (it leaves the pool's bound at once).
    pub(super) limit: usize,
    /// The next create fails (once).
    pub(super) fail_next: AtomicBool,
    /// Every released resource is reported broken.
    pub(super) all_broken: AtomicBool,
}

/// A resource that counts itself out when dropped.
pub(super) struct Token {
    live: Arc<AtomicUsize>,
    counted: bool,
}

impl Token {
    /// Counts a detached token out at once: it no longer belongs to the
    /// pool, so the pool's bound no longer covers it.
    pub(super) fn disown(mut self) {
        self.live.fetch_sub(1, SeqCst);
        self.counted = false;
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        if self.counted {
            self.live.fetch_sub(1, SeqCst);
        }
    }
}

impl Manager for Counted {
    type Resource = Token;
    type Error = ();

    fn create(&self) -> Result<Token, ()> {
        if self.fail_next.swap(false, SeqCst) {
            return Err(());
        }
        let alive = self.live.fetch_add(1, SeqCst) + 1;
        assert!(
            alive <= self.limit,
            "{alive} resources alive, limit {}",
            self.limit
        );
        Ok(Token {
            live: self.live.clone(),
            counted: true,
        })
    }

    fn has_broken(&self, _: &mut Token) -> bool {
        self.all_broken.load(SeqCst)
    }
}

/// A backend under the model checker.
pub(super) trait ModelPool: Pool<Manager = Counted> + Clone + 'static {
    fn with(manager: Counted) -> Self;
    /// With `min_idle` 1 and a 10 ms lifetime; no maintenance thread.
    fn with_lifecycle(manager: Counted) -> Self;
    fn manager(&self) -> &Counted;
}

macro_rules! model_pool {
    ($pool:ident) => {
        impl ModelPool for $pool<Counted> {
            fn with(manager: Counted) -> Self {
                let max_size = manager.max_size;
                $pool::builder(manager).max_size(max_size).build().unwrap()
            }

            fn with_lifecycle(manager: Counted) -> Self {
                let max_size = manager.max_size;
                $pool::builder(manager)
                    .max_size(max_size)
                    .min_idle(1)
                    .max_lifetime(std::time::Duration::from_millis(10))
                    .maintenance_interval(None)
                    .build()
                    .unwrap()
            }

            fn manager(&self) -> &Counted {
                $pool::manager(self)
            }
        }
    };
}

model_pool!(StackPool);
model_pool!(ChannelPool);

/// A fresh pool of `max_size` with its own counters.
pub(super) fn pool<P: ModelPool>(max_size: usize) -> P {
    pool_with_limit(max_size, max_size)
}

/// The manager of a fresh pool of `max_size`.
pub(super) fn counted(max_size: usize) -> Counted {
    Counted {
        live: Arc::new(AtomicUsize::new(0)),
        max_size,
        limit: max_size,
        fail_next: AtomicBool::new(false),
        all_broken: AtomicBool::new(false),
    }
}

/// A fresh pool whose manager accepts up to `limit` live tokens.
pub(super) fn pool_with_limit<P: ModelPool>(max_size: usize, limit: usize) -> P {
    P::with(Counted {
        limit,
        ..counted(max_size)
    })
}

/// Runs `body` under loom, preemption bound 3 unless `LOOM_MAX_PREEMPTIONS`
/// says otherwise, with the manual clock reset for every interleaving.
pub(super) fn model(body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(move || {
        crate::sync::reset_clock();
        body();
    });
}

/// The pool's counts agree with the manager's live count, nobody waits, and
/// nothing is lent out.
pub(super) fn assert_quiet<P: ModelPool>(pool: &P) {
    let status = pool.status();
    let live = pool.manager().live.load(SeqCst);
    assert_eq!(status.size, live, "{status:?}");
    assert_eq!(status.idle, status.size, "{status:?}");
    assert_eq!((status.in_use, status.waiting), (0, 0), "{status:?}");
    assert!(status.size <= status.max_size, "{status:?}");
}

/// Declares one `#[test]` per backend for each generic model named.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod stack {
            $(
                #[test]
                fn $name() {
                    super::$name::<crate::StackPool<super::super::support::Counted>>();
                }
            )*
        }
        mod channel {
            $(
                #[test]
                fn $name() {
                    super::$name::<crate::ChannelPool<super::super::support::Counted>>();
                }
            )*
        }
    };
}

pub(super) use both;
