//! PostgreSQL connections in a [zeropool](zeropool) pool.
//!
//! [`PostgresManager`] is a [`zeropool::Manager`] for the synchronous
//! [`postgres`] crate's [`Client`](postgres::Client), as `r2d2_postgres` is
//! for r2d2: either zeropool backend holds the connections, so
//! `StackPool<PostgresManager<NoTls>>` (hot connections first) and
//! `ChannelPool<PostgresManager<NoTls>>` (use spread over every connection)
//! keep zeropool's guarantees: never more than `max_size` connections, a
//! failed connect returned to its caller at once, and no waiter starved.
//!
//! Both crates are re-exported, so one dependency names matching versions.
//!
//! # Quick start
//!
//! Building a pool opens no connection, so this runs without a server:
//!
//! ```
//! use zeropool_postgres::postgres::NoTls;
//! use zeropool_postgres::zeropool::{Pool, StackPool};
//! use zeropool_postgres::PostgresManager;
//!
//! let config = "postgres://zeropool@127.0.0.1:5432/zeropool".parse()?;
//! let pool: StackPool<PostgresManager<NoTls>> =
//!     StackPool::builder(PostgresManager::new(config, NoTls)).max_size(8).build()?;
//! assert_eq!(pool.status().size, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each guard dereferences to a `Client` (this needs a server):
//!
//! ```no_run
//! # use zeropool_postgres::postgres::NoTls;
//! # use zeropool_postgres::zeropool::{Pool, StackPool};
//! # use zeropool_postgres::PostgresManager;
//! # let config = "postgres://zeropool@127.0.0.1:5432/zeropool".parse()?;
//! # let pool = StackPool::builder(PostgresManager::new(config, NoTls)).max_size(8).build()?;
//! let mut client = pool.get()?;
//! let mut transaction = client.transaction()?;
//! transaction.execute("CREATE TEMP TABLE seen (n int)", &[])?;
//! transaction.commit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Checks
//!
//! [`RecycleCheck::Fast`] (the default) checks an idle connection with no
//! round trip; [`RecycleCheck::Verified`] spends one to prove the server
//! answers and to end any transaction left open with raw SQL. See
//! [`PostgresManager`] for what happens to transactions and dead connections.

#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]

mod manager;

pub use manager::{PostgresManager, RecycleCheck};
pub use postgres;
pub use zeropool;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
