//! Model 1: two threads get and release a pool of one; both finish (no lost
//! wake-up) and the one resource survives.

use super::support::{assert_quiet, both, model, pool, ModelPool};

fn two_threads_share_one_resource<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(1);
        let other = pool.clone();
        let thread = loom::thread::spawn(move || drop(other.get().unwrap()));
        drop(pool.get().unwrap());
        thread.join().unwrap();
        assert_quiet(&pool);
        assert_eq!(pool.status().size, 1, "the resource survived");
    });
}

both!(two_threads_share_one_resource);
