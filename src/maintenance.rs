//! The background maintenance thread: runs [`Pool::maintain`](crate::Pool::maintain)
//! every `maintenance_interval`.
//!
//! It holds only a weak handle, so it never keeps a pool alive, and it waits
//! on the engine's ticker, which `close` and the engine's drop stop: the
//! thread ends promptly either way, and never runs a pass after `close`. A
//! pass that panics (in a manager callback or a resource's drop) ends there,
//! and the thread runs the next one.
//! Loom models run no maintenance thread; they call `maintain` themselves.

use crate::shared::{Item, Shared, Store};
use crate::sync::Arc;
use crate::{BuildError, Manager};

/// Starts the maintenance thread if the pool's config asks for one.
#[cfg(not(all(test, feature = "loom")))]
pub(crate) fn start<M, S>(shared: &Arc<Shared<M, S>>) -> Result<(), BuildError>
where
    M: Manager,
    S: Store<Item<M::Resource>> + 'static,
{
    let Some(interval) = shared.config.maintenance_interval else {
        return Ok(());
    };
    let pool = Arc::downgrade(shared);
    let ticker = shared.ticker.clone();
    crate::sync::spawn("zeropool-maintenance", move || {
        while !ticker.wait(interval) {
            let Some(shared) = pool.upgrade() else { return };
            // Only this thread's own handle left: the pool is unreachable.
            let in_use = || Arc::strong_count(&shared) > 1;
            if shared.is_closed() || !in_use() {
                return;
            }
            // A manager callback or a resource's drop that panics ends this
            // pass, not the thread: the engine stays consistent (a slot is
            // freed however its resource leaves), so the next pass runs.
            let pass = || shared.maintain_while(in_use);
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(pass));
        }
    })
    .map_err(|_| {
        BuildError::new(
            "maintenance_interval",
            "the maintenance thread could not start",
        )
    })
}

/// Loom models run no maintenance thread.
#[cfg(all(test, feature = "loom"))]
pub(crate) fn start<M, S>(shared: &Arc<Shared<M, S>>) -> Result<(), BuildError>
where
    M: Manager,
    S: Store<Item<M::Resource>> + 'static,
{
    assert!(
        shared.config.maintenance_interval.is_none(),
        "loom models call maintain() themselves"
    );
    Ok(())
}
