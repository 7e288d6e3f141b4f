//! [`PostgresManager`]: connects, checks and retires pooled
//! `postgres::Client`s, and [`RecycleCheck`], how much it checks at checkout.
//!
//! The manager is the only PostgreSQL-specific part: the pool itself is
//! zeropool's, so the same guarantees (capacity, fairness, no allocation on
//! acquire) hold for database connections.

use std::fmt;

use postgres::error::SqlState;
use postgres::tls::{MakeTlsConnect, TlsConnect};
use postgres::{Client, Config, Error, Socket};
use zeropool::Manager;

/// Ends a transaction the previous user left open, in one round trip: in a
/// clean session `BEGIN` opens a transaction that `ROLLBACK` ends; inside an
/// open one `BEGIN` only warns and `ROLLBACK` ends the user's transaction.
const RESET: &str = "BEGIN; ROLLBACK";

/// How much [`PostgresManager`] checks an idle connection before handing it
/// out.
///
/// Both settings reject a connection the driver already knows is closed, and
/// both leave session state (`SET`, temporary tables, prepared statements,
/// `LISTEN`) to the next user, as `r2d2_postgres` does.
///
/// # Examples
///
/// ```
/// use zeropool_postgres::{postgres::NoTls, PostgresManager, RecycleCheck};
///
/// let config = "host=127.0.0.1 user=zeropool".parse()?;
/// let manager = PostgresManager::new(config, NoTls).with_recycle_check(RecycleCheck::Verified);
/// assert_eq!(manager.recycle_check(), RecycleCheck::Verified);
/// assert_eq!(RecycleCheck::default(), RecycleCheck::Fast);
/// # Ok::<(), postgres::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RecycleCheck {
    /// No round trip: only [`Client::is_closed`]. The synchronous driver reads
    /// its socket only during a request, so a connection the server ended
    /// after its last request still looks open:
    ///
    /// - ended while idle in the pool: the next caller's first request fails
    ///   (the driver then reads the server's error and the close), and the
    ///   pool drops the connection on release;
    /// - ended in the middle of a caller's request (`pg_terminate_backend`,
    ///   a server restart): that caller gets the server's FATAL error, the
    ///   close usually arrives just after, and the next caller's first
    ///   request fails at once with "connection closed" before the pool
    ///   drops it. Two callers meet it.
    ///
    /// A transaction opened with raw SQL (`BEGIN`) and left open is not
    /// seen. The default.
    #[default]
    Fast,
    /// One round trip (`BEGIN; ROLLBACK`, about as cheap as an empty query)
    /// that proves the server answers and ends any transaction the previous
    /// user left open, uncommitted: a session inside a failed transaction
    /// gets one more `ROLLBACK`. A connection that fails it is dropped and
    /// the get goes on with another, so the only caller that meets a
    /// connection the server ended is one holding it at that moment.
    Verified,
}

/// A [`zeropool::Manager`] for the synchronous `postgres` crate's [`Client`].
///
/// `create` connects with the [`Config`] and TLS connector given to
/// [`new`](Self::new); `recycle` rejects a closed client and, under
/// [`RecycleCheck::Verified`], resets the session's transaction state;
/// `has_broken` is [`Client::is_closed`].
///
/// # Transactions
///
/// A connection never goes back to the pool inside an open transaction
/// started through the driver: a [`postgres::Transaction`] rolls back when
/// dropped, which happens before the guard that lent its `Client` is
/// released, also on an early return (`?`) or a panic. A guard dropped while
/// its thread panics drops its connection (the server then rolls back). A
/// transaction opened with raw SQL (`batch_execute("BEGIN")`) and left open
/// is rolled back at the next checkout under [`RecycleCheck::Verified`];
/// [`RecycleCheck::Fast`] spends no round trip and does not see it.
///
/// # Examples
///
/// A pool is built without connecting; connections open on first use:
///
/// ```
/// use zeropool::{Pool, StackPool};
/// use zeropool_postgres::{postgres::NoTls, PostgresManager};
///
/// let manager = PostgresManager::new("postgres://zeropool@127.0.0.1/zeropool".parse()?, NoTls);
/// let pool: StackPool<PostgresManager<NoTls>> = StackPool::builder(manager).max_size(8).build()?;
/// assert_eq!(pool.status().size, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Using it (needs a server):
///
/// ```no_run
/// use zeropool::{Pool, StackPool};
/// use zeropool_postgres::{postgres::NoTls, PostgresManager};
///
/// let manager = PostgresManager::new("postgres://zeropool@127.0.0.1/zeropool".parse()?, NoTls);
/// let pool = StackPool::builder(manager).max_size(8).build()?;
/// let mut client = pool.get()?;
/// let one: i32 = client.query_one("SELECT 1", &[])?.get(0);
/// assert_eq!(one, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PostgresManager<T> {
    config: Config,
    tls: T,
    check: RecycleCheck,
}

impl<T> PostgresManager<T>
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::TlsConnect: Send,
    T::Stream: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    /// A manager that connects with `config` through `tls` (for example
    /// [`postgres::NoTls`], or a connector from `postgres-openssl` or
    /// `postgres-native-tls`), with [`RecycleCheck::Fast`].
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool_postgres::{postgres::{Config, NoTls}, PostgresManager};
    ///
    /// let mut config = Config::new();
    /// config.host("127.0.0.1").user("zeropool").dbname("zeropool");
    /// let manager = PostgresManager::new(config, NoTls);
    /// assert_eq!(manager.config().get_dbname(), Some("zeropool"));
    /// ```
    pub fn new(config: Config, tls: T) -> Self {
        Self {
            config,
            tls,
            check: RecycleCheck::Fast,
        }
    }
}

impl<T> PostgresManager<T> {
    /// Sets how much an idle connection is checked before it is handed out.
    /// Defaults to [`RecycleCheck::Fast`].
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool_postgres::{postgres::NoTls, PostgresManager, RecycleCheck};
    ///
    /// let manager = PostgresManager::new("host=127.0.0.1".parse()?, NoTls)
    ///     .with_recycle_check(RecycleCheck::Verified);
    /// assert_eq!(manager.recycle_check(), RecycleCheck::Verified);
    /// # Ok::<(), postgres::Error>(())
    /// ```
    #[must_use]
    pub fn with_recycle_check(mut self, check: RecycleCheck) -> Self {
        self.check = check;
        self
    }

    /// The recycle check in force.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool_postgres::{postgres::NoTls, PostgresManager, RecycleCheck};
    ///
    /// let manager = PostgresManager::new("host=127.0.0.1".parse()?, NoTls);
    /// assert_eq!(manager.recycle_check(), RecycleCheck::Fast);
    /// # Ok::<(), postgres::Error>(())
    /// ```
    pub fn recycle_check(&self) -> RecycleCheck {
        self.check
    }

    /// The connection settings.
    ///
    /// # Examples
    ///
    /// ```
    /// use zeropool_postgres::{postgres::NoTls, PostgresManager};
    ///
    /// let manager = PostgresManager::new("host=127.0.0.1 port=5433".parse()?, NoTls);
    /// assert_eq!(manager.config().get_ports(), [5433]);
    /// # Ok::<(), postgres::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl<T> Manager for PostgresManager<T>
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::TlsConnect: Send,
    T::Stream: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    type Resource = Client;
    type Error = Error;

    /// Connects. The driver's error (refused, timed out, authentication
    /// failed) reaches the caller of the get as `zeropool::Error::Create`.
    fn create(&self) -> Result<Client, Error> {
        self.config.connect(self.tls.clone())
    }

    /// Rejects a closed client; under [`RecycleCheck::Verified`], also runs
    /// the reset round trip.
    fn recycle(&self, client: &mut Client) -> Result<(), Error> {
        match self.check {
            RecycleCheck::Fast if client.is_closed() => closed_error(client),
            RecycleCheck::Fast => Ok(()),
            RecycleCheck::Verified => reset(client),
        }
    }

    fn has_broken(&self, client: &mut Client) -> bool {
        client.is_closed()
    }
}

/// The driver's own error for a closed client: the driver has no public
/// constructor for its errors, but any request on a closed client fails at
/// once, without touching the network.
fn closed_error(client: &mut Client) -> Result<(), Error> {
    client.batch_execute("")
}

/// Ends whatever transaction the session is in; errors if the server does not
/// answer.
fn reset(client: &mut Client) -> Result<(), Error> {
    match client.batch_execute(RESET) {
        // A failed transaction accepts nothing but its end.
        Err(error) if error.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => {
            client.batch_execute("ROLLBACK")
        }
        result => result,
    }
}

impl<T> fmt::Debug for PostgresManager<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresManager")
            .field("config", &self.config)
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}
