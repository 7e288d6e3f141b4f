//! A real workload: pooled TCP connections to a line-protocol server.
//!
//! The example starts an echo server on 127.0.0.1 (port 0), then 8 threads
//! run 20,000 request/response round trips in total through each backend.
//! Midway the server kills one connection: the pool notices (an I/O error
//! flags it through `has_broken`, or `recycle` finds it closed) and opens a
//! replacement. It prints requests/s and how many connections were opened.
//!
//! Run: `cargo run --release --example tcp`.

use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use zeropool::{ChannelPool, Manager, Pool};

const THREADS: usize = 8;
const REQUESTS: usize = 20_000;
const MAX_SIZE: usize = 4;

/// The server: answers each line `x` with `ok x`; keeps its sockets so the
/// example can kill one.
struct Server {
    addr: SocketAddr,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
}

impl Server {
    fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let accepted = sockets.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Ok(clone) = stream.try_clone() {
                    accepted.lock().unwrap().push(clone);
                }
                thread::spawn(move || serve(stream));
            }
        });
        Ok(Self { addr, sockets })
    }

    /// Closes the oldest live connection from the server side.
    fn kill_one(&self) -> bool {
        let mut sockets = self.sockets.lock().unwrap();
        if sockets.is_empty() {
            return false;
        }
        let victim = sockets.remove(0);
        victim.shutdown(Shutdown::Both).is_ok()
    }
}

fn serve(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    if writer.set_nodelay(true).is_err() {
        return;
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut reply = Vec::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                reply.clear();
                reply.extend_from_slice(b"ok ");
                reply.extend_from_slice(line.as_bytes());
                if writer.write_all(&reply).is_err() {
                    return;
                }
            }
        }
    }
}

/// A pooled client connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Set when a request on it failed.
    failed: bool,
    line: String,
}

impl Conn {
    fn request(&mut self, message: &str) -> io::Result<()> {
        self.line.clear();
        let result = (|| {
            self.writer.write_all(format!("{message}\n").as_bytes())?;
            if self.reader.read_line(&mut self.line)? == 0 {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ));
            }
            if self.line.trim_end() != format!("ok {message}") {
                return Err(io::Error::new(ErrorKind::InvalidData, "unexpected reply"));
            }
            Ok(())
        })();
        self.failed |= result.is_err();
        result
    }
}

/// Opens connections to the server and checks them.
struct TcpManager {
    addr: SocketAddr,
    stats: Arc<Stats>,
}

/// What the manager saw.
#[derive(Default)]
struct Stats {
    opened: AtomicUsize,
    alive: Arc<AtomicUsize>,
    peak_alive: AtomicUsize,
    rejected_at_checkout: AtomicUsize,
}

/// Counts a live connection down when dropped.
struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl Manager for TcpManager {
    type Resource = (Conn, Live);
    type Error = io::Error;

    fn create(&self) -> io::Result<(Conn, Live)> {
        let writer = TcpStream::connect(self.addr)?;
        writer.set_nodelay(true)?;
        let reader = BufReader::new(writer.try_clone()?);
        let stats = &self.stats;
        stats.opened.fetch_add(1, SeqCst);
        let alive = stats.alive.fetch_add(1, SeqCst) + 1;
        stats.peak_alive.fetch_max(alive, SeqCst);
        let conn = Conn {
            reader,
            writer,
            failed: false,
            line: String::new(),
        };
        Ok((conn, Live(stats.alive.clone())))
    }

    /// The socket must still be open: no EOF and no stray bytes waiting.
    fn recycle(&self, (conn, _): &mut (Conn, Live)) -> io::Result<()> {
        conn.writer.set_nonblocking(true)?;
        let mut probe = [0u8; 1];
        let peeked = conn.writer.peek(&mut probe);
        conn.writer.set_nonblocking(false)?;
        match peeked {
            Err(error) if error.kind() == ErrorKind::WouldBlock => Ok(()),
            Ok(0) => {
                self.stats.rejected_at_checkout.fetch_add(1, SeqCst);
                Err(io::Error::new(
                    ErrorKind::ConnectionAborted,
                    "closed by the server",
                ))
            }
            Ok(_) => {
                self.stats.rejected_at_checkout.fetch_add(1, SeqCst);
                Err(io::Error::new(
                    ErrorKind::InvalidData,
                    "unread bytes on an idle connection",
                ))
            }
            Err(error) => {
                self.stats.rejected_at_checkout.fetch_add(1, SeqCst);
                Err(error)
            }
        }
    }

    fn has_broken(&self, (conn, _): &mut (Conn, Live)) -> bool {
        conn.failed
    }
}

/// Runs the workload through `pool`; returns (requests/s, failed requests retried).
fn drive<P: Pool<Manager = TcpManager>>(pool: &P, server: &Server) -> (f64, usize) {
    let done = AtomicUsize::new(0);
    let retried = AtomicUsize::new(0);
    let killed = AtomicBool::new(false);
    let started = Instant::now();
    thread::scope(|scope| {
        for worker in 0..THREADS {
            let (done, retried, killed) = (&done, &retried, &killed);
            scope.spawn(move || {
                for i in 0..REQUESTS / THREADS {
                    let message = format!("req {worker} {i}");
                    loop {
                        let mut guard = match pool.get() {
                            Ok(guard) => guard,
                            Err(error) => panic!("no connection: {error}"),
                        };
                        if guard.0.request(&message).is_ok() {
                            break;
                        }
                        retried.fetch_add(1, SeqCst);
                    }
                    let finished = done.fetch_add(1, SeqCst) + 1;
                    if finished == REQUESTS / 2 && !killed.swap(true, SeqCst) {
                        assert!(server.kill_one(), "the server had a connection to kill");
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    (REQUESTS as f64 / elapsed, retried.load(SeqCst))
}

fn run<P: Pool<Manager = TcpManager>>(
    name: &str,
    build: impl FnOnce(TcpManager) -> P,
) -> io::Result<()> {
    let server = Server::start()?;
    let stats = Arc::new(Stats::default());
    let pool = build(TcpManager {
        addr: server.addr,
        stats: stats.clone(),
    });
    let (rate, retried) = drive(&pool, &server);
    let opened = stats.opened.load(SeqCst);
    let peak = stats.peak_alive.load(SeqCst);
    println!(
        "{name:<8} {rate:>10.0} requests/s   {opened} connections opened, at most {peak} alive (max_size {MAX_SIZE}); \
         killed connection caught by recycle: {}, by a failed request (retried): {retried}",
        stats.rejected_at_checkout.load(SeqCst),
    );
    assert!(peak <= MAX_SIZE, "more connections alive than max_size");
    let detected = stats.rejected_at_checkout.load(SeqCst) + retried;
    assert!(detected >= 1, "the killed connection was noticed");
    Ok(())
}

fn main() -> io::Result<()> {
    println!("{REQUESTS} round trips, {THREADS} threads, max_size {MAX_SIZE}; one connection killed midway");
    run("stack", |manager| {
        zeropool::StackPool::builder(manager)
            .max_size(MAX_SIZE)
            .build()
            .expect("valid settings")
    })?;
    run("channel", |manager| {
        ChannelPool::builder(manager)
            .max_size(MAX_SIZE)
            .build()
            .expect("valid settings")
    })?;
    Ok(())
}
