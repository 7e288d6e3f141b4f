//! Queries through the pool against a real server: answers come back right,
//! connections are reused, and never more than `max_size` are open, counted
//! both by the callers and by the server's `pg_stat_activity`.

mod common;

use std::collections::HashSet;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use common::{backend_pid, PgPool, Server};
use zeropool_postgres::RecycleCheck;

const MAX_SIZE: usize = 4;
const THREADS: usize = 8;
const ROUND_TRIPS: i32 = 200;

/// 8 threads share 4 connections; every answer matches its question.
fn round_trips_stay_within_max_size<P: PgPool>(server: Server) {
    for check in [RecycleCheck::Fast, RecycleCheck::Verified] {
        let pool = P::with(server.manager(check), MAX_SIZE);
        let pids = Mutex::new(HashSet::new());
        let mut admin = server.admin();
        let mut peak_on_server = 0;
        thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|worker| {
                    let (pool, pids) = (&pool, &pids);
                    scope.spawn(move || {
                        for i in 0..ROUND_TRIPS {
                            let question = worker as i32 * 1_000 + i;
                            let mut client = pool.get().expect("a connection");
                            let row = client
                                .query_one("SELECT $1::int4 + 1, pg_backend_pid()", &[&question])
                                .expect("the query answers");
                            assert_eq!(row.get::<_, i32>(0), question + 1);
                            pids.lock().unwrap().insert(row.get::<_, i32>(1));
                        }
                    })
                })
                .collect();
            // The server's own count, sampled while the workers run.
            while workers.iter().any(|worker| !worker.is_finished()) {
                peak_on_server = peak_on_server.max(server.pooled_on_server(&mut admin));
                thread::sleep(Duration::from_millis(5));
            }
        });
        let opened = pids.lock().unwrap().len();
        assert!(
            (1..=MAX_SIZE).contains(&opened),
            "{check:?}: {opened} connections opened"
        );
        assert!(
            peak_on_server <= MAX_SIZE as i64,
            "{check:?}: the server saw {peak_on_server} pooled connections"
        );
        let status = pool.status();
        assert_eq!(status.size, opened, "{check:?}: {status:?}");
        assert_eq!(status.idle, opened, "{check:?}: {status:?}");
        assert_eq!(server.pooled_on_server(&mut admin), opened as i64);
        pool.close();
        // Closing drops the idle connections; the server sees them go.
        for _ in 0..500 {
            if server.pooled_on_server(&mut admin) == 0 {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(server.pooled_on_server(&mut admin), 0, "{check:?}");
    }
}

/// A released connection is handed out again, not reopened.
fn a_released_connection_is_reused<P: PgPool>(server: Server) {
    let pool = P::with(server.manager(RecycleCheck::Fast), 2);
    let first = backend_pid(&mut pool.get().unwrap());
    for _ in 0..10 {
        assert_eq!(backend_pid(&mut pool.get().unwrap()), first);
    }
    let held = pool.get().unwrap();
    let mut second = pool.get().unwrap();
    assert_ne!(
        backend_pid(&mut second),
        first,
        "a second connection while one is held"
    );
    drop((held, second));
    assert_eq!(pool.status().size, 2);
}

/// An owned guard crosses threads with its connection.
fn an_owned_guard_queries_from_another_thread<P: PgPool>(server: Server) {
    let pool = P::with(server.manager(RecycleCheck::Verified), 1);
    let mut owned = pool.get_owned().unwrap();
    let answer: i32 = thread::spawn(move || owned.query_one("SELECT 41 + 1", &[]).unwrap().get(0))
        .join()
        .unwrap();
    assert_eq!(answer, 42);
    assert_eq!(pool.status().idle, 1);
}

both!(
    server: [
        round_trips_stay_within_max_size,
        a_released_connection_is_reused,
        an_owned_guard_queries_from_another_thread,
    ]
);
