//! A userspace link impairment for testing the network audit: an [`ImpairmentProxy`] sits
//! on loopback between the oracle's [`measure`](super::measure) and a worker's
//! [`ProbeServer`](super::ProbeServer), delays every TCP chunk and UDP datagram by a fixed
//! one-way delay in each direction, and drops UDP datagrams with a seeded probability. The
//! audit's RTT and loss figures can then be checked against known values on any machine;
//! netem needs root and network namespaces, this needs neither.
//!
//! # Model
//!
//! * **Delay**: every direction (client to worker, worker to client) of every TCP
//!   connection, and of UDP, has its own queue. A reader stamps each chunk it reads (each
//!   datagram it receives) with `now + delay` and queues it; a delivery thread releases it
//!   when due. The delay is the same for every item, so the due times in a queue are in
//!   order and a FIFO releases each on time: a burst of n items takes `delay`, not
//!   n x `delay`. A round trip through the proxy takes 2 x `delay` more than without it.
//! * **Loss**: UDP only. A userspace proxy sees a TCP byte stream, not segments, and TCP
//!   would retransmit a lost segment anyway. Each direction draws one `f64` in [0, 1) per
//!   datagram it receives from its own `StdRng` and drops the datagram when the draw is
//!   below its probability: [`Impairment::loss_to_worker`] for the probes,
//!   [`Impairment::loss_to_client`] for the echoes. The to-worker stream is seeded with
//!   [`Impairment::seed`], the to-client stream with `seed + 1` (`seed_from_u64` scrambles
//!   its seed, so the two are unrelated). A probe is answered only if both legs survive:
//!   the audit should see [`Impairment::round_trip_loss`]. The same seed and the same
//!   datagrams in the same order drop the same datagrams; with several clients at once the
//!   draws are shared out in arrival order.
//! * **Hello**: the worker's hello reply names its UDP port. The proxy rewrites it to its
//!   own UDP port so the client's probes come through the proxy too; it learns the
//!   worker's UDP port with a hello of its own when it starts.
//! * **UDP sessions**: each client address gets its own upstream socket, so the worker's
//!   echoes can be told apart and sent back to the right client, and a thread reading it.
//!   A session with no datagram from its client for [`SESSION_IDLE`] (plus twice the
//!   delay) ends; a later datagram opens a new one.
//!
//! Threads: one accepts TCP, one receives the clients' datagrams, one per UDP direction
//! delivers, one per UDP session, and four per TCP connection (a reader and a delivery
//! thread per direction). All end when the proxy is stopped or dropped.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use thiserror::Error;

use super::{Frame, Kind, NetAuditError, Stage, FRAME_LEN, REPLY, VERSION};

/// How often blocked threads look at the stop flag (and sessions at their idle time).
const POLL: Duration = Duration::from_millis(20);
/// Limit on connecting to the worker (the proxy's own hello and each relayed connection).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest TCP chunk read at once: the probe protocol's bulk chunk.
const READ_CHUNK: usize = 64 * 1024;
/// Chunks a TCP direction may hold in flight. A full queue stops the reader, so TCP flow
/// control slows the sender instead of the proxy buffering without bound; 256 chunks are
/// enough for loopback rates at delays of tens of milliseconds.
const TCP_QUEUE: usize = 256;
/// Datagrams a UDP direction may hold in flight; more are dropped, as a full router
/// queue would (and counted apart from the injected loss).
const UDP_QUEUE: usize = 4096;
/// Largest datagram forwarded whole (probe frames are 16 bytes).
const MAX_DATAGRAM: usize = 64 * 1024;
/// Clients with a UDP session at once; a datagram from one more is not forwarded.
const MAX_SESSIONS: usize = 256;
/// A UDP session with no datagram from its client for this long (plus twice the delay)
/// ends, so a long-lived proxy does not keep a thread per past audit.
pub const SESSION_IDLE: Duration = Duration::from_secs(30);

/// What the proxy does to the link. The default is a transparent proxy: no delay, no loss.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Added to every TCP chunk and UDP datagram in each direction: a round trip grows by
    /// twice this.
    pub delay: Duration,
    /// Probability (0..=1) that a UDP datagram from the client to the worker is dropped.
    pub loss_to_worker: f64,
    /// Probability (0..=1) that a UDP datagram from the worker to the client is dropped.
    pub loss_to_client: f64,
    /// Seeds the loss draws (see the module documentation).
    pub seed: u64,
}

impl Impairment {
    pub fn validate(&self) -> Result<(), ImpairmentError> {
        for (direction, probability) in [("to-worker", self.loss_to_worker), ("to-client", self.loss_to_client)] {
            // Written so that NaN fails too.
            if !(0.0..=1.0).contains(&probability) {
                return Err(ImpairmentError::InvalidLoss { direction, probability });
            }
        }
        Ok(())
    }

    /// The loss an audit's UDP probe sees: the probe is lost on the way there, or its
    /// echo on the way back.
    pub fn round_trip_loss(&self) -> f64 {
        1.0 - (1.0 - self.loss_to_worker) * (1.0 - self.loss_to_client)
    }
}

#[derive(Debug, Error)]
pub enum ImpairmentError {
    #[error("{direction} loss probability {probability} is not within 0..=1")]
    InvalidLoss { direction: &'static str, probability: f64 },
    #[error("cannot bind the proxy's {transport} socket: {source}")]
    Bind { transport: &'static str, source: io::Error },
    #[error("cannot learn the UDP port of the probe server at {worker}: {source}")]
    Hello { worker: SocketAddr, source: NetAuditError },
    #[error("cannot start the proxy's {name} thread: {source}")]
    Spawn { name: &'static str, source: io::Error },
}

/// Counters of one direction of an [`ImpairmentProxy`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// UDP datagrams sent on, after their delay.
    pub udp_forwarded: u64,
    /// UDP datagrams dropped by the seeded loss draw: the injected loss.
    pub udp_dropped: u64,
    /// UDP datagrams not forwarded for another reason (a full queue, too many clients, a
    /// send error). 0 on a healthy run: a test can then equate the loss it measured with
    /// `udp_dropped`.
    pub udp_failed: u64,
    /// TCP bytes delivered.
    pub tcp_bytes: u64,
}

/// Counters of an [`ImpairmentProxy`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImpairmentStats {
    /// Client to worker.
    pub to_worker: DirectionStats,
    /// Worker to client.
    pub to_client: DirectionStats,
    /// TCP connections relayed (the proxy's own hello at start is not one).
    pub tcp_connections: u64,
    /// UDP sessions opened (one per client address, again after an idle end).
    pub udp_sessions: u64,
}

impl ImpairmentStats {
    /// Datagrams dropped by the loss draws, both directions.
    pub fn udp_dropped(&self) -> u64 {
        self.to_worker.udp_dropped + self.to_client.udp_dropped
    }
}

/// A loopback proxy in front of a worker's probe server that delays both directions and
/// drops UDP datagrams (see the module documentation). Give [`ImpairmentProxy::tcp_addr`]
/// to [`measure`](super::measure) instead of the server's address. Serves until
/// [`ImpairmentProxy::stop`] or drop.
pub struct ImpairmentProxy {
    tcp_addr: SocketAddr,
    udp_addr: SocketAddr,
    worker_udp: SocketAddr,
    impairment: Impairment,
    shared: Arc<Shared>,
    /// The TCP accept thread and the UDP receive thread: joined first on shutdown, since
    /// they open connections and sessions.
    entries: Vec<JoinHandle<()>>,
    /// The UDP delivery threads: joined last, once nothing can queue a datagram.
    deliveries: Vec<JoinHandle<()>>,
}

impl ImpairmentProxy {
    /// Learns the worker's UDP port with a hello to `worker` (the probe server's TCP
    /// endpoint), then listens on 127.0.0.1, TCP and UDP, each on an ephemeral port.
    pub fn start(worker: SocketAddr, impairment: Impairment) -> Result<Self, ImpairmentError> {
        impairment.validate()?;
        let worker_port = learn_udp_port(worker).map_err(|source| ImpairmentError::Hello { worker, source })?;
        let worker_udp = SocketAddr::new(worker.ip(), worker_port);

        let tcp_err = |source| ImpairmentError::Bind { transport: "TCP", source };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(tcp_err)?;
        let tcp_addr = listener.local_addr().map_err(tcp_err)?;
        // Non-blocking so the accept thread can look at the stop flag.
        listener.set_nonblocking(true).map_err(tcp_err)?;
        // On the TCP listener's address: the client takes the hello's UDP port on the IP
        // it connected to.
        let udp_err = |source| ImpairmentError::Bind { transport: "UDP", source };
        let front = UdpSocket::bind((tcp_addr.ip(), 0)).map_err(udp_err)?;
        let udp_addr = front.local_addr().map_err(udp_err)?;
        front.set_read_timeout(Some(POLL)).map_err(udp_err)?;

        let mut proxy = ImpairmentProxy {
            tcp_addr,
            udp_addr,
            worker_udp,
            impairment,
            shared: Arc::new(Shared::new(&impairment)),
            entries: Vec::new(),
            deliveries: Vec::new(),
        };
        // On an error from here on, dropping `proxy` stops the threads already started.
        proxy.start_udp(Arc::new(front))?;
        let route = TcpRoute { worker, udp_port: udp_addr.port(), delay: impairment.delay };
        let shared = Arc::clone(&proxy.shared);
        proxy.entries.push(spawn("impair-tcp-accept", move || accept_loop(listener, route, shared))?);
        Ok(proxy)
    }

    fn start_udp(&mut self, front: Arc<UdpSocket>) -> Result<(), ImpairmentError> {
        let (to_worker, to_worker_queue) = mpsc::sync_channel(UDP_QUEUE);
        let (to_client, to_client_queue) = mpsc::sync_channel(UDP_QUEUE);
        let shared = Arc::clone(&self.shared);
        self.deliveries.push(spawn("impair-udp-to-worker", move || deliver_to_worker(to_worker_queue, &shared))?);
        let (shared, socket) = (Arc::clone(&self.shared), Arc::clone(&front));
        self.deliveries.push(spawn("impair-udp-to-client", move || deliver_to_client(to_client_queue, &socket, &shared))?);
        let receiver = UdpFront {
            socket: front,
            worker_udp: self.worker_udp,
            delay: self.impairment.delay,
            to_worker,
            to_client,
            shared: Arc::clone(&self.shared),
        };
        self.entries.push(spawn("impair-udp-receive", move || receiver.run())?);
        Ok(())
    }

    /// The TCP endpoint: the target to give [`measure`](super::measure).
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp_addr
    }

    /// The UDP endpoint, the port the rewritten hello replies announce.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    /// The worker's UDP endpoint, as learned from its hello.
    pub fn worker_udp_addr(&self) -> SocketAddr {
        self.worker_udp
    }

    pub fn impairment(&self) -> Impairment {
        self.impairment
    }

    pub fn stats(&self) -> ImpairmentStats {
        ImpairmentStats {
            to_worker: self.shared.to_worker.snapshot(),
            to_client: self.shared.to_client.snapshot(),
            tcp_connections: self.shared.tcp_connections.load(Ordering::Relaxed),
            udp_sessions: self.shared.udp_sessions.load(Ordering::Relaxed),
        }
    }

    /// Stops relaying: closes both endpoints and every relayed connection, drops what is
    /// still queued, and joins the threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        join_all(self.entries.drain(..));
        // The accept and receive threads have ended: no connection or session is added
        // from here on. Drain the tables before joining: a finishing thread takes the
        // table's lock to remove itself.
        let conns: Vec<TcpConn> = lock(&self.shared.conns).drain().map(|(_, conn)| conn).collect();
        for conn in conns {
            sever(&conn.client, &conn.upstream);
            let _ = conn.thread.join();
        }
        let sessions: Vec<Session> = lock(&self.shared.sessions).drain().map(|(_, session)| session).collect();
        join_all(sessions.into_iter().map(|session| session.thread));
        join_all(self.deliveries.drain(..));
    }
}

impl Drop for ImpairmentProxy {
    fn drop(&mut self) {
        self.shutdown();
    }
}

// ---------------------------------------------------------------------------------------
// State shared by the proxy's threads.
// ---------------------------------------------------------------------------------------

struct Shared {
    stop: AtomicBool,
    to_worker: Leg,
    to_client: Leg,
    tcp_connections: AtomicU64,
    udp_sessions: AtomicU64,
    conns: Mutex<HashMap<u64, TcpConn>>,
    sessions: Mutex<HashMap<SocketAddr, Session>>,
}

impl Shared {
    fn new(impairment: &Impairment) -> Self {
        Shared {
            stop: AtomicBool::new(false),
            to_worker: Leg::new(impairment.loss_to_worker, impairment.seed),
            to_client: Leg::new(impairment.loss_to_client, impairment.seed.wrapping_add(1)),
            tcp_connections: AtomicU64::new(0),
            udp_sessions: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// One direction: its loss draw and its counters.
struct Leg {
    loss: f64,
    /// Behind a lock because every UDP session draws from its direction's one stream.
    rng: Mutex<StdRng>,
    udp_forwarded: AtomicU64,
    udp_dropped: AtomicU64,
    udp_failed: AtomicU64,
    tcp_bytes: AtomicU64,
}

impl Leg {
    fn new(loss: f64, seed: u64) -> Self {
        Leg {
            loss,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            udp_forwarded: AtomicU64::new(0),
            udp_dropped: AtomicU64::new(0),
            udp_failed: AtomicU64::new(0),
            tcp_bytes: AtomicU64::new(0),
        }
    }

    /// Draws for one datagram; true (and counted) when it is to be dropped. One draw per
    /// datagram whatever the probability, so the n-th datagram always meets the n-th draw.
    fn drops(&self) -> bool {
        let draw: f64 = lock(&self.rng).gen();
        let dropped = draw < self.loss;
        if dropped {
            self.udp_dropped.fetch_add(1, Ordering::Relaxed);
        }
        dropped
    }

    fn count_send(&self, sent: io::Result<usize>) {
        let counter = if sent.is_ok() { &self.udp_forwarded } else { &self.udp_failed };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn count_failed(&self) {
        self.udp_failed.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> DirectionStats {
        DirectionStats {
            udp_forwarded: self.udp_forwarded.load(Ordering::Relaxed),
            udp_dropped: self.udp_dropped.load(Ordering::Relaxed),
            udp_failed: self.udp_failed.load(Ordering::Relaxed),
            tcp_bytes: self.tcp_bytes.load(Ordering::Relaxed),
        }
    }
}

/// A relayed TCP connection: both streams (for shutdown) and its thread.
struct TcpConn {
    client: TcpStream,
    upstream: TcpStream,
    thread: JoinHandle<()>,
}

/// A client's UDP session: its upstream socket and the thread reading the echoes.
struct Session {
    upstream: Arc<UdpSocket>,
    last_seen: Instant,
    thread: JoinHandle<()>,
}

/// A lock whose holder panicked still guards consistent data here (counters, tables,
/// a random stream), so a poisoned lock is used as it is rather than spreading the panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn spawn(name: &'static str, body: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, ImpairmentError> {
    thread::Builder::new().name(name.into()).spawn(body).map_err(|source| ImpairmentError::Spawn { name, source })
}

fn join_all(threads: impl IntoIterator<Item = JoinHandle<()>>) {
    for thread in threads {
        let _ = thread.join();
    }
}

/// Shuts a relayed connection down both ways on both sides, which ends every thread of it
/// that is blocked reading or writing.
fn sever(a: &TcpStream, b: &TcpStream) {
    let _ = a.shutdown(Shutdown::Both);
    let _ = b.shutdown(Shutdown::Both);
}

// ---------------------------------------------------------------------------------------
// The delay line.
// ---------------------------------------------------------------------------------------

/// An item and the instant it may leave the proxy.
struct Timed<T> {
    due: Instant,
    item: T,
}

impl<T> Timed<T> {
    fn after(delay: Duration, item: T) -> Self {
        Timed { due: Instant::now() + delay, item }
    }
}

/// Releases each queued item at its due time, in queue order (due times are in order, the
/// delay being the same for all). Returns when the queue is closed, the proxy stops, or
/// `deliver` returns false (the way out is broken).
fn run_delay_line<T>(queue: Receiver<Timed<T>>, stop: &AtomicBool, mut deliver: impl FnMut(T) -> bool) {
    for Timed { due, item } in queue {
        if !wait_until(due, stop) || !deliver(item) {
            return;
        }
    }
}

/// Sleeps until `due`, in slices of at most [`POLL`] so a stop is seen; false on a stop.
fn wait_until(due: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        thread::sleep((due - now).min(POLL));
    }
}

type ToWorker = Timed<(Arc<UdpSocket>, Vec<u8>)>;
type ToClient = Timed<(SocketAddr, Vec<u8>)>;

/// Queues a datagram without waiting: a full queue drops it, as a congested router would,
/// rather than stall the receiving thread.
fn enqueue<T>(queue: &SyncSender<T>, item: T, leg: &Leg) {
    if queue.try_send(item).is_err() {
        leg.count_failed();
    }
}

/// Receives the clients' datagrams on the proxy's UDP port.
mod tcp;
mod udp;

use tcp::{accept_loop, learn_udp_port, TcpRoute};
use udp::{deliver_to_client, deliver_to_worker, UdpFront};

#[cfg(test)]
mod tests;
