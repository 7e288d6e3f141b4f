//! Dead connections and a dead server, for real: a pooled connection's
//! backend is killed with `pg_terminate_backend` from another connection,
//! and a pool points at a port where nothing listens.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use common::{backend_pid, PgPool, Server};
use postgres::error::SqlState;
use postgres::{Config, NoTls};
use zeropool_postgres::{PostgresManager, RecycleCheck};

/// Gets from `pool` `rounds` times; returns the backend pid each caller saw,
/// or `None` where the caller's query failed.
fn checkouts<P: PgPool>(pool: &P, rounds: usize) -> Vec<Option<i32>> {
    (0..rounds)
        .map(|_| {
            let mut client = pool.get().expect("a connection");
            client
                .query_one("SELECT pg_backend_pid()", &[])
                .ok()
                .map(|row| row.get(0))
        })
        .collect()
}

/// A connection killed while idle in the pool: `Verified` finds it at
/// checkout and nobody sees it; `Fast` hands it out once, the caller's query
/// fails, and `has_broken` drops it on release. Either way a new connection
/// replaces it and no caller sees the dead one twice.
fn a_connection_killed_while_idle_is_replaced<P: PgPool>(server: Server) {
    let mut admin = server.admin();
    for check in [RecycleCheck::Verified, RecycleCheck::Fast] {
        let pool = P::with(server.manager(check), 1);
        let dead = backend_pid(&mut pool.get().unwrap());
        server.terminate(&mut admin, dead);

        let seen = checkouts(&pool, 5);
        let failed = seen.iter().filter(|pid| pid.is_none()).count();
        let expected_failures = match check {
            RecycleCheck::Verified => 0,
            _ => 1,
        };
        assert_eq!(failed, expected_failures, "{check:?}: {seen:?}");
        if failed == 1 {
            assert_eq!(seen[0], None, "{check:?}: only the first caller meets it");
        }
        let live: HashSet<i32> = seen.iter().flatten().copied().collect();
        assert_eq!(
            live.len(),
            1,
            "{check:?}: one replacement, reused: {seen:?}"
        );
        assert!(
            !live.contains(&dead),
            "{check:?}: the dead backend answered"
        );
        assert_eq!(pool.status().size, 1, "{check:?}");
        assert_eq!(server.pooled_on_server(&mut admin), 1, "{check:?}");
    }
}

/// A connection killed while a caller holds it: the caller's query fails,
/// the client reports itself closed, and the release drops it.
fn a_connection_killed_while_in_use_is_dropped_on_release<P: PgPool>(server: Server) {
    let mut admin = server.admin();
    let pool = P::with(server.manager(RecycleCheck::Fast), 2);
    let mut client = pool.get().unwrap();
    let dead = backend_pid(&mut client);
    server.terminate(&mut admin, dead);
    assert!(client.query_one("SELECT 1", &[]).is_err());
    assert!(client.is_closed());
    drop(client);
    let status = pool.status();
    assert_eq!((status.size, status.idle), (0, 0), "dropped, slot freed");
    let replacement = backend_pid(&mut pool.get().unwrap());
    assert_ne!(replacement, dead);
}

/// A connection killed in the middle of its holder's query: the holder gets
/// the server's FATAL `admin_shutdown`. The driver usually notices the closed
/// socket only on the connection's next request, so on release the client
/// still looks open. `Verified` finds it dead at the next checkout; under `Fast`
/// the next caller's request fails at once with "connection closed", and the
/// release drops it. Nobody meets it after that.
fn a_connection_killed_mid_query_is_met_by_one_more_caller_at_most<P: PgPool>(server: Server) {
    for check in [RecycleCheck::Verified, RecycleCheck::Fast] {
        let pool = P::with(server.manager(check), 1);
        let mut client = pool.get().unwrap();
        let dead = backend_pid(&mut client);
        let mut admin = server.admin();
        let killer = thread::spawn(move || {
            for _ in 0..1_000 {
                let sleeping = admin
                    .query_opt(
                        "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
                        &[&dead],
                    )
                    .expect("pg_stat_activity answers")
                    .is_some();
                if sleeping {
                    admin
                        .execute("SELECT pg_terminate_backend($1, 5000)", &[&dead])
                        .expect("pg_terminate_backend answers");
                    return;
                }
                thread::sleep(Duration::from_millis(5));
            }
            panic!("backend {dead} never started sleeping");
        });
        let error = client
            .query_one("SELECT pg_sleep(30)", &[])
            .expect_err("the backend was killed mid-query");
        killer.join().expect("the killer finished");
        // Usually the FATAL error arrives before the socket's close, and the
        // client still looks open; if both arrived together, it is closed.
        let looks_open = !client.is_closed();
        if looks_open {
            assert_eq!(error.code(), Some(&SqlState::ADMIN_SHUTDOWN), "{error:?}");
        }
        drop(client);

        let seen = checkouts(&pool, 4);
        let failed = seen.iter().filter(|pid| pid.is_none()).count();
        let expected_failures = match check {
            RecycleCheck::Fast if looks_open => 1,
            _ => 0,
        };
        assert_eq!(failed, expected_failures, "{check:?}: {seen:?}");
        assert!(!seen.contains(&Some(dead)), "{check:?}: {seen:?}");
        assert_eq!(pool.status().size, 1, "{check:?}");
    }
}

/// Under load: 6 threads on 3 connections; one connection is killed midway,
/// idle or held. Callers retry a failed query. Under `Verified` at most one
/// caller meets the dead backend (its holder), under `Fast` at most two (see
/// the mid-query test); nobody is answered by it after the kill, and the
/// pool stays within `max_size`.
fn a_kill_under_load_is_seen_at_most_once<P: PgPool>(server: Server) {
    const THREADS: usize = 6;
    const ROUNDS: usize = 150;
    let mut admin = server.admin();
    for check in [RecycleCheck::Verified, RecycleCheck::Fast] {
        let pool = P::with(server.manager(check), 3);
        let warm: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
        let mut pids: Vec<i32> = Vec::new();
        for mut client in warm {
            pids.push(backend_pid(&mut client));
        }
        let victim = pids[1];
        let failures = Mutex::new(Vec::new());
        let after_kill = Mutex::new(HashSet::new());
        let killed = AtomicBool::new(false);
        thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..ROUNDS {
                        loop {
                            let mut client = pool.get().expect("a connection");
                            let was_killed = killed.load(SeqCst);
                            match client.query_one("SELECT pg_backend_pid()", &[]) {
                                Ok(row) => {
                                    if was_killed {
                                        after_kill.lock().unwrap().insert(row.get::<_, i32>(0));
                                    }
                                    break;
                                }
                                Err(error) => failures.lock().unwrap().push(error.to_string()),
                            }
                        }
                    }
                });
            }
            thread::sleep(Duration::from_millis(20));
            server.terminate(&mut admin, victim);
            killed.store(true, SeqCst);
        });
        let failures = failures.into_inner().unwrap();
        let most = match check {
            RecycleCheck::Verified => 1,
            _ => 2,
        };
        assert!(failures.len() <= most, "{check:?}: {failures:?}");
        assert!(!after_kill.lock().unwrap().contains(&victim), "{check:?}");
        let status = pool.status();
        assert!(status.size <= 3, "{check:?}: {status:?}");
        assert!(server.pooled_on_server(&mut admin) <= 3, "{check:?}");
    }
}

/// Nothing listens on port 1: `get` returns the driver's connect error as
/// `Error::Create` at once, long before the acquire timeout, and does not
/// retry.
fn an_unreachable_server_fails_the_get_at_once<P: PgPool>() {
    let mut config = Config::new();
    config
        .host("127.0.0.1")
        .port(1)
        .user("zeropool")
        .connect_timeout(Duration::from_secs(5));
    let pool = P::with(PostgresManager::new(config, NoTls), 2);
    for _ in 0..2 {
        let started = Instant::now();
        let error = match pool.get() {
            Err(zeropool::Error::Create(error)) => error,
            Err(other) => panic!("expected Error::Create, got {other}"),
            Ok(_) => panic!("something answered on port 1"),
        };
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
        let io = std::error::Error::source(&error)
            .and_then(|source| source.downcast_ref::<std::io::Error>())
            .unwrap_or_else(|| panic!("the driver's error carries the io error: {error:?}"));
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused, "{error}");
        assert_eq!(pool.status().size, 0, "the failed create freed its slot");
    }
}

both!(
    server: [
        a_connection_killed_while_idle_is_replaced,
        a_connection_killed_while_in_use_is_dropped_on_release,
        a_connection_killed_mid_query_is_met_by_one_more_caller_at_most,
        a_kill_under_load_is_seen_at_most_once,
    ],
    offline: [an_unreachable_server_fails_the_get_at_once],
);
