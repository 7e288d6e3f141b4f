//! Model 3: `close` races a waiter and a holder. The waiter gets `Closed`
//! (or is served first), the holder's later release drops the resource, and
//! nothing is left alive.

use std::sync::atomic::Ordering::SeqCst;

use super::support::{both, model, pool, ModelPool};
use crate::Error;

fn close_races_a_waiter_and_a_holder<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(1);
        let held = pool.get().unwrap();
        let waiter = pool.clone();
        let waiting = loom::thread::spawn(move || match waiter.get() {
            Ok(guard) => drop(guard),
            Err(Error::Closed) => {}
            Err(_) => panic!("only Closed is expected"),
        });
        let closer = pool.clone();
        let closing = loom::thread::spawn(move || closer.close());
        drop(held);
        waiting.join().unwrap();
        closing.join().unwrap();
        assert!(pool.is_closed());
        assert_eq!(pool.manager().live.load(SeqCst), 0, "nothing left alive");
        let status = pool.status();
        assert_eq!(
            (status.size, status.idle, status.waiting),
            (0, 0, 0),
            "{status:?}"
        );
    });
}

both!(close_races_a_waiter_and_a_holder);
