//! What the next user of a connection finds: never a transaction the last
//! user left open, whether it dropped a `Transaction`, panicked, or opened
//! one with raw SQL (under `Verified`).

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;

use common::{backend_pid, leftover_transaction, PgPool, Server, Table};
use zeropool_postgres::RecycleCheck;

/// Checks that `client`'s session is clean: outside any transaction, not
/// seeing the rows the last user wrote, and able to commit on its own.
fn assert_clean_session(client: &mut postgres::Client, table: &mut Table) {
    assert_eq!(
        leftover_transaction(client),
        None,
        "still inside the last user's transaction"
    );
    assert_eq!(
        table.rows_seen_by(client),
        0,
        "the last user's row survived"
    );
    client
        .execute(&table.insert(), &[])
        .expect("the session accepts a write");
    assert_eq!(table.committed_rows(), 1, "the write committed on its own");
}

/// A `Transaction` dropped without commit rolls back before its guard
/// returns the connection; the next user, on the same connection, finds a
/// clean session.
fn a_transaction_dropped_midway_rolls_back<P: PgPool>(server: Server) {
    for check in [RecycleCheck::Fast, RecycleCheck::Verified] {
        let mut table = Table::new(&server);
        let pool = P::with(server.manager(check), 1);
        let mut guard = pool.get().unwrap();
        let pid = backend_pid(&mut guard);
        let mut transaction = guard.transaction().unwrap();
        transaction.execute(&table.insert(), &[]).unwrap();
        assert_eq!(table.rows_seen_by(&mut transaction), 1);
        // An early return: the transaction, then the guard, are dropped.
        drop(transaction);
        drop(guard);

        let mut next = pool.get().unwrap();
        assert_eq!(
            backend_pid(&mut next),
            pid,
            "{check:?}: the same connection"
        );
        assert_clean_session(&mut next, &mut table);
    }
}

/// A thread panics inside a transaction: the transaction rolls back while
/// unwinding, and the pool drops the connection instead of keeping it. The
/// next user gets a new, clean connection.
fn a_panic_inside_a_transaction_leaves_a_clean_pool<P: PgPool>(server: Server) {
    for check in [RecycleCheck::Fast, RecycleCheck::Verified] {
        let mut table = Table::new(&server);
        let pool = P::with(server.manager(check), 1);
        let pid = backend_pid(&mut pool.get().unwrap());
        let insert = table.insert();
        let panicked = thread::scope(|scope| {
            scope
                .spawn(|| {
                    let mut guard = pool.get().unwrap();
                    let mut transaction = guard.transaction().unwrap();
                    transaction.execute(&insert, &[]).unwrap();
                    panic!("the caller panics mid-transaction");
                })
                .join()
        });
        assert!(panicked.is_err());
        assert_eq!(
            pool.status().size,
            0,
            "{check:?}: the connection was dropped"
        );

        let mut next = pool.get().unwrap();
        assert_ne!(backend_pid(&mut next), pid, "{check:?}: a new connection");
        assert_clean_session(&mut next, &mut table);
    }
}

/// The same with a transaction opened by raw SQL: the pool drops the
/// connection of a panicking thread under either check, and the server rolls
/// back what it left.
fn a_panic_inside_a_raw_transaction_leaves_a_clean_pool<P: PgPool>(server: Server) {
    for check in [RecycleCheck::Fast, RecycleCheck::Verified] {
        let mut table = Table::new(&server);
        let pool = P::with(server.manager(check), 1);
        let pid = backend_pid(&mut pool.get().unwrap());
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            let mut guard = pool.get().unwrap();
            guard.batch_execute("BEGIN").unwrap();
            guard.execute(&table.insert(), &[]).unwrap();
            panic!("the caller panics inside BEGIN");
        }));
        assert!(panicked.is_err());
        assert_eq!(
            pool.status().size,
            0,
            "{check:?}: the connection was dropped"
        );

        let mut next = pool.get().unwrap();
        assert_ne!(backend_pid(&mut next), pid, "{check:?}: a new connection");
        assert_clean_session(&mut next, &mut table);
    }
}

/// Under `Verified`, a transaction opened with raw SQL and left open is
/// rolled back at the next checkout; the connection is kept.
fn verified_rolls_back_a_raw_transaction_left_open<P: PgPool>(server: Server) {
    let mut table = Table::new(&server);
    let pool = P::with(server.manager(RecycleCheck::Verified), 1);
    let mut guard = pool.get().unwrap();
    let pid = backend_pid(&mut guard);
    guard.batch_execute("BEGIN").unwrap();
    guard.execute(&table.insert(), &[]).unwrap();
    assert!(leftover_transaction(&mut *guard).is_some());
    drop(guard);

    let mut next = pool.get().unwrap();
    assert_eq!(backend_pid(&mut next), pid, "the same connection");
    assert_clean_session(&mut next, &mut table);
}

/// Under `Verified`, a raw transaction that failed (and so accepts nothing
/// but its end) is rolled back at the next checkout too.
fn verified_rolls_back_a_failed_raw_transaction<P: PgPool>(server: Server) {
    let mut table = Table::new(&server);
    let pool = P::with(server.manager(RecycleCheck::Verified), 1);
    let mut guard = pool.get().unwrap();
    let pid = backend_pid(&mut guard);
    guard.batch_execute("BEGIN").unwrap();
    guard.execute(&table.insert(), &[]).unwrap();
    let failed = guard.batch_execute("SELECT 1 / 0").unwrap_err();
    assert!(failed.as_db_error().is_some(), "{failed}");
    let refused = guard.batch_execute("SELECT 1").unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION)
    );
    drop(guard);

    let mut next = pool.get().unwrap();
    assert_eq!(backend_pid(&mut next), pid, "the same connection");
    assert_clean_session(&mut next, &mut table);
}

both!(
    server: [
        a_transaction_dropped_midway_rolls_back,
        a_panic_inside_a_transaction_leaves_a_clean_pool,
        a_panic_inside_a_raw_transaction_leaves_a_clean_pool,
        verified_rolls_back_a_raw_transaction_left_open,
        verified_rolls_back_a_failed_raw_transaction,
    ]
);
