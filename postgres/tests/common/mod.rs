//! Shared by the real-database tests: finding the server (or saying in one
//! line why a test did not run), building either backend over a
//! `PostgresManager`, reading a session's state, a scratch table, a watchdog,
//! and the `both!` macro that runs a generic test once per backend.
//!
//! The server is the one `ZEROPOOL_PG` names, or else the one
//! `scripts/postgres.sh` starts on 127.0.0.1:5432. With `ZEROPOOL_PG` set and
//! no server answering, every test that needs one fails.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::Duration;

use postgres::{Client, Config, GenericClient, NoTls};
use zeropool::{ChannelPool, Pool, StackPool};
use zeropool_postgres::{PostgresManager, RecycleCheck};

/// Where `scripts/postgres.sh` starts the server.
pub const DEFAULT_URL: &str = "postgres://zeropool@127.0.0.1:5432/zeropool";

/// The manager every test pool holds.
pub type Manager = PostgresManager<NoTls>;

/// The server a test runs against, with a name that marks its connections.
pub struct Server {
    pub url: String,
    /// `application_name` of this test's pooled connections, so the server's
    /// `pg_stat_activity` can be asked how many the pool holds.
    pub application_name: String,
}

impl Server {
    /// Connection settings for the pool: marked, with a connect timeout.
    pub fn config(&self) -> Config {
        let mut config: Config = self.url.parse().expect("a valid connection string");
        config
            .application_name(&self.application_name)
            .connect_timeout(Duration::from_secs(10));
        config
    }

    /// A manager for this test's pool.
    pub fn manager(&self, check: RecycleCheck) -> Manager {
        PostgresManager::new(self.config(), NoTls).with_recycle_check(check)
    }

    /// A connection outside the pool, to watch and to kill pooled ones.
    pub fn admin(&self) -> Client {
        let mut config: Config = self.url.parse().expect("a valid connection string");
        config
            .application_name("zeropool-test-admin")
            .connect_timeout(Duration::from_secs(10));
        config.connect(NoTls).expect("the admin connection opens")
    }

    /// How many connections this test's pool holds, as the server sees them.
    pub fn pooled_on_server(&self, admin: &mut Client) -> i64 {
        admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&self.application_name],
            )
            .expect("pg_stat_activity answers")
            .get(0)
    }

    /// Terminates the backend `pid` and waits (up to 5 s) until it is gone.
    pub fn terminate(&self, admin: &mut Client, pid: i32) {
        let terminated: bool = admin
            .query_one("SELECT pg_terminate_backend($1, 5000)", &[&pid])
            .expect("pg_terminate_backend answers")
            .get(0);
        assert!(terminated, "backend {pid} was terminated");
    }
}

/// The server, or why there is none: looked up once per test binary.
fn lookup() -> &'static Result<String, String> {
    static FOUND: OnceLock<Result<String, String>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let named = std::env::var("ZEROPOOL_PG")
            .ok()
            .filter(|url| !url.is_empty());
        let url = named.clone().unwrap_or_else(|| DEFAULT_URL.to_string());
        let mut config: Config = match url.parse() {
            Ok(config) => config,
            Err(error) => panic!("ZEROPOOL_PG={url} is not a connection string: {error}"),
        };
        config.connect_timeout(Duration::from_secs(5));
        match (config.connect(NoTls), named) {
            (Ok(_), _) => Ok(url),
            (Err(error), Some(_)) => panic!(
                "ZEROPOOL_PG={url} is set but no PostgreSQL server answered: {}",
                chain(&error)
            ),
            (Err(error), None) => Err(format!(
                "no PostgreSQL server at 127.0.0.1:5432 ({}) and ZEROPOOL_PG is not set; \
                 start one with `bash scripts/postgres.sh`",
                chain(&error)
            )),
        }
    })
}

/// An error and its sources, as one line.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// The server for the test `test` on backend `backend`, or `None` after
/// printing one line saying the test did not run and why. Written straight to
/// stderr, past the test harness's capture, so it shows in a passing run.
pub fn server(test: &str, backend: &str) -> Option<Server> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    match lookup() {
        Ok(url) => Some(Server {
            url: url.clone(),
            application_name: format!(
                "zp-{}-{}-{test}",
                std::process::id(),
                NEXT.fetch_add(1, SeqCst)
            ),
        }),
        Err(reason) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "zeropool-postgres test {test} ({backend}) did not run: {reason}"
            );
            None
        }
    }
}

/// A backend under test.
pub trait PgPool: Pool<Manager = Manager> + Clone + 'static {
    const NAME: &'static str;
    fn with(manager: Manager, max_size: usize) -> Self;
}

impl PgPool for StackPool<Manager> {
    const NAME: &'static str = "stack";
    fn with(manager: Manager, max_size: usize) -> Self {
        StackPool::builder(manager)
            .max_size(max_size)
            .acquire_timeout(Duration::from_secs(20))
            .build()
            .expect("valid test settings")
    }
}

impl PgPool for ChannelPool<Manager> {
    const NAME: &'static str = "channel";
    fn with(manager: Manager, max_size: usize) -> Self {
        ChannelPool::builder(manager)
            .max_size(max_size)
            .acquire_timeout(Duration::from_secs(20))
            .build()
            .expect("valid test settings")
    }
}

/// The server process behind a connection.
pub fn backend_pid(client: &mut Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("the connection answers")
        .get(0)
}

/// The id of a transaction the session is still inside, if it wrote in it:
/// `None` in a clean session, where each statement is its own transaction
/// and `SELECT` assigns no id.
pub fn leftover_transaction(client: &mut impl GenericClient) -> Option<String> {
    client
        .query_one("SELECT pg_current_xact_id_if_assigned()::text", &[])
        .expect("the connection answers")
        .get(0)
}

/// A table of one int column, unique to a test, dropped at the end.
pub struct Table {
    pub name: String,
    admin: Client,
}

impl Table {
    pub fn new(server: &Server) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "zp_scratch_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, SeqCst)
        );
        let mut admin = server.admin();
        admin
            .batch_execute(&format!("CREATE TABLE {name} (n int)"))
            .expect("the scratch table is created");
        Self { name, admin }
    }

    /// Rows seen by `client`'s session: its own uncommitted rows included.
    pub fn rows_seen_by(&self, client: &mut impl GenericClient) -> i64 {
        client
            .query_one(&format!("SELECT count(*) FROM {}", self.name), &[])
            .expect("the count answers")
            .get(0)
    }

    /// Committed rows, seen from outside the pool.
    pub fn committed_rows(&mut self) -> i64 {
        let query = format!("SELECT count(*) FROM {}", self.name);
        self.admin
            .query_one(&query, &[])
            .expect("the count answers")
            .get(0)
    }

    pub fn insert(&self) -> String {
        format!("INSERT INTO {} VALUES (1)", self.name)
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP TABLE IF EXISTS {}", self.name));
    }
}

/// Runs a test body on its own thread and fails if it takes over 60 s, so a
/// hang fails fast instead of stalling the run.
pub fn watchdog(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => runner.join().expect("test body finished"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = runner.join() {
                resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test still running after 60 s: a hang?"),
    }
}

/// Declares one `#[test]` per backend for each generic test function named:
/// `server: [...]` ones take the [`Server`] and are skipped (with one line
/// saying so) when there is none; `offline: [...]` ones need no server.
#[macro_export]
macro_rules! both {
    (server: [$($name:ident),* $(,)?] $(, offline: [$($offline:ident),* $(,)?])? $(,)?) => {
        $crate::both!(@backend stack, zeropool::StackPool<$crate::common::Manager>,
            [$($name),*], [$($($offline),*)?]);
        $crate::both!(@backend channel, zeropool::ChannelPool<$crate::common::Manager>,
            [$($name),*], [$($($offline),*)?]);
    };
    (@backend $module:ident, $pool:ty, [$($name:ident),*], [$($offline:ident),*]) => {
        mod $module {
            $(
                #[test]
                fn $name() {
                    type P = $pool;
                    let backend = <P as $crate::common::PgPool>::NAME;
                    if let Some(server) = $crate::common::server(stringify!($name), backend) {
                        $crate::common::watchdog(move || super::$name::<P>(server));
                    }
                }
            )*
            $(
                #[test]
                fn $offline() {
                    $crate::common::watchdog(super::$offline::<$pool>);
                }
            )*
        }
    };
}
