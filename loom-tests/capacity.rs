//! Model 4: three threads on `max_size` 2 with a create that fails once:
//! never more than 2 alive (asserted inside `create`), no slot leaked.

use std::sync::atomic::Ordering::SeqCst;

use super::support::{assert_quiet, both, model, pool, ModelPool};
use crate::Error;

fn three_threads_never_exceed_two<P: ModelPool>() {
    model(|| {
        let pool = pool::<P>(2);
        pool.manager().fail_next.store(true, SeqCst);
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                loom::thread::spawn(move || match pool.get() {
                    Ok(guard) => drop(guard),
                    Err(Error::Create(())) => {}
                    Err(_) => panic!("unexpected error"),
                })
            })
            .collect();
        match pool.get() {
            Ok(guard) => drop(guard),
            Err(Error::Create(())) => {}
            Err(_) => panic!("unexpected error"),
        }
        for thread in threads {
            thread.join().unwrap();
        }
        assert_quiet(&pool);
    });
}

both!(three_threads_never_exceed_two);
