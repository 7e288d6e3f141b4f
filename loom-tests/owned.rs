//! Model 6: an `Owned` guard released on another thread, racing a get on this
//! one and the drop of the pool handle it came from.

use super::support::{assert_quiet, both, model, pool, ModelPool};

fn owned_guard_released_elsewhere<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(1);
        let owned = pool.get_owned().unwrap();
        let releasing = loom::thread::spawn(move || drop(owned));
        drop(pool.get().unwrap());
        releasing.join().unwrap();
        assert_quiet(&pool);
        assert_eq!(pool.status().size, 1);
    });
}

fn owned_guard_outlives_its_pool_handle<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(1);
        let live = pool.manager().live.clone();
        let owned = pool.get_owned().unwrap();
        let releasing = loom::thread::spawn(move || drop(owned));
        drop(pool);
        releasing.join().unwrap();
        assert_eq!(
            live.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "the last owner dropped the resource"
        );
    });
}

both!(
    owned_guard_released_elsewhere,
    owned_guard_outlives_its_pool_handle
);
