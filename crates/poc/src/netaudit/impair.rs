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
        self.deliveries
            .push(spawn("impair-udp-to-client", move || deliver_to_client(to_client_queue, &socket, &shared))?);
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

// ---------------------------------------------------------------------------------------
// UDP.
// ---------------------------------------------------------------------------------------

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
struct UdpFront {
    socket: Arc<UdpSocket>,
    worker_udp: SocketAddr,
    delay: Duration,
    to_worker: SyncSender<ToWorker>,
    /// Cloned into each session's thread.
    to_client: SyncSender<ToClient>,
    shared: Arc<Shared>,
}

impl UdpFront {
    fn run(self) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        while !self.shared.stopped() {
            // An error is the read timeout: look at the stop flag again.
            let Ok((len, client)) = self.socket.recv_from(&mut buf) else { continue };
            let timed = Timed::after(self.delay, buf[..len].to_vec());
            self.route(client, timed);
        }
    }

    fn route(&self, client: SocketAddr, datagram: Timed<Vec<u8>>) {
        let leg = &self.shared.to_worker;
        let Some(upstream) = self.session(client) else {
            leg.count_failed();
            return;
        };
        if leg.drops() {
            return;
        }
        enqueue(&self.to_worker, Timed { due: datagram.due, item: (upstream, datagram.item) }, leg);
    }

    /// The client's upstream socket, opening its session on its first datagram.
    fn session(&self, client: SocketAddr) -> Option<Arc<UdpSocket>> {
        let mut sessions = lock(&self.shared.sessions);
        if let Some(session) = sessions.get_mut(&client) {
            session.last_seen = Instant::now();
            return Some(Arc::clone(&session.upstream));
        }
        if sessions.len() >= MAX_SESSIONS {
            return None;
        }
        let upstream = Arc::new(open_upstream(self.worker_udp).ok()?);
        let echoes = SessionEchoes {
            upstream: Arc::clone(&upstream),
            client,
            delay: self.delay,
            to_client: self.to_client.clone(),
            shared: Arc::clone(&self.shared),
        };
        // Spawned under the table's lock: the thread removes its own entry when it ends,
        // which must come after this insertion.
        let thread = spawn("impair-udp-session", move || echoes.run()).ok()?;
        sessions.insert(client, Session { upstream: Arc::clone(&upstream), last_seen: Instant::now(), thread });
        self.shared.udp_sessions.fetch_add(1, Ordering::Relaxed);
        Some(upstream)
    }
}

/// A socket of the worker's address family, connected to the worker's UDP endpoint so
/// that it only hears the worker.
fn open_upstream(worker_udp: SocketAddr) -> io::Result<UdpSocket> {
    let local: IpAddr = if worker_udp.is_ipv4() { Ipv4Addr::UNSPECIFIED.into() } else { Ipv6Addr::UNSPECIFIED.into() };
    let socket = UdpSocket::bind((local, 0))?;
    socket.connect(worker_udp)?;
    socket.set_read_timeout(Some(POLL))?;
    Ok(socket)
}

/// Reads the worker's echoes of one client's session.
struct SessionEchoes {
    upstream: Arc<UdpSocket>,
    client: SocketAddr,
    delay: Duration,
    to_client: SyncSender<ToClient>,
    shared: Arc<Shared>,
}

impl SessionEchoes {
    fn run(self) {
        // Longer than any datagram of the session can be in flight, so a session is never
        // ended with an echo still to come.
        let idle = SESSION_IDLE + self.delay * 2;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        while !self.shared.stopped() {
            match self.upstream.recv(&mut buf) {
                Ok(len) => self.forward(&buf[..len]),
                // The read timeout, or an ICMP error from the worker (reported once each).
                Err(_) => {
                    if self.ended(idle) {
                        return;
                    }
                }
            }
        }
    }

    fn forward(&self, datagram: &[u8]) {
        let timed = Timed::after(self.delay, (self.client, datagram.to_vec()));
        let leg = &self.shared.to_client;
        if !leg.drops() {
            enqueue(&self.to_client, timed, leg);
        }
    }

    /// Removes the session once its client has been silent for `idle`; true when the
    /// session is over (also when the proxy's shutdown took it out of the table).
    fn ended(&self, idle: Duration) -> bool {
        let mut sessions = lock(&self.shared.sessions);
        match sessions.get(&self.client) {
            Some(session) if session.last_seen.elapsed() < idle => false,
            // Removing the entry detaches this very thread, which returns at once.
            _ => {
                sessions.remove(&self.client);
                true
            }
        }
    }
}

fn deliver_to_worker(queue: Receiver<ToWorker>, shared: &Shared) {
    run_delay_line(queue, &shared.stop, |(upstream, datagram)| {
        shared.to_worker.count_send(upstream.send(&datagram));
        true
    });
}

fn deliver_to_client(queue: Receiver<ToClient>, socket: &UdpSocket, shared: &Shared) {
    run_delay_line(queue, &shared.stop, |(client, datagram)| {
        shared.to_client.count_send(socket.send_to(&datagram, client));
        true
    });
}

// ---------------------------------------------------------------------------------------
// TCP.
// ---------------------------------------------------------------------------------------

/// Where and how a relayed TCP connection goes.
#[derive(Clone, Copy)]
struct TcpRoute {
    worker: SocketAddr,
    /// The proxy's UDP port, written into the worker's hello replies.
    udp_port: u16,
    delay: Duration,
}

fn accept_loop(listener: TcpListener, route: TcpRoute, shared: Arc<Shared>) {
    let mut next_id = 0u64;
    while !shared.stopped() {
        match listener.accept() {
            Ok((client, _peer)) => {
                // A connection the worker refuses is closed on the client, as the worker
                // itself would have.
                let _ = open_connection(client, next_id, route, &shared);
                next_id += 1;
            }
            // Nothing to accept (the listener does not block): look at the stop flag again soon.
            Err(_) => thread::sleep(POLL / 4),
        }
    }
}

/// Connects to the worker for `client` and starts relaying. The worker is dialled here
/// rather than in the connection's thread so both streams are in the table, where a
/// shutdown finds them, before anything is relayed.
fn open_connection(client: TcpStream, id: u64, route: TcpRoute, shared: &Arc<Shared>) -> io::Result<()> {
    let upstream = TcpStream::connect_timeout(&route.worker, CONNECT_TIMEOUT)?;
    for stream in [&client, &upstream] {
        stream.set_nonblocking(false)?;
        // Echoes are 16 bytes: without this Nagle would hold them back, adding to the RTT.
        stream.set_nodelay(true)?;
    }
    let (client_handle, upstream_handle) = (client.try_clone()?, upstream.try_clone()?);
    shared.tcp_connections.fetch_add(1, Ordering::Relaxed);
    let mut conns = lock(&shared.conns);
    let conn_shared = Arc::clone(shared);
    // Spawned under the table's lock: the thread removes its own entry when it ends,
    // which must come after this insertion.
    let thread = thread::Builder::new().name("impair-tcp-conn".into()).spawn(move || {
        relay_connection(client, upstream, route, &conn_shared);
        lock(&conn_shared.conns).remove(&id);
    })?;
    conns.insert(id, TcpConn { client: client_handle, upstream: upstream_handle, thread });
    Ok(())
}

/// Relays both directions until both are done (or the connection breaks).
fn relay_connection(client: TcpStream, upstream: TcpStream, route: TcpRoute, shared: &Shared) {
    let (Ok(client_reader), Ok(upstream_writer)) = (client.try_clone(), upstream.try_clone()) else {
        sever(&client, &upstream);
        return;
    };
    let to_worker = Pipe { src: client_reader, dst: upstream_writer, rewriter: None, leg: &shared.to_worker };
    let to_client =
        Pipe { src: upstream, dst: client, rewriter: Some(HelloRewriter::new(route.udp_port)), leg: &shared.to_client };
    thread::scope(|scope| {
        let spawned = thread::Builder::new()
            .name("impair-tcp-to-worker".into())
            .spawn_scoped(scope, move || to_worker.run(route.delay, &shared.stop));
        if spawned.is_err() {
            // Without the other direction the connection is useless: close it.
            sever(&to_client.src, &to_client.dst);
            return;
        }
        to_client.run(route.delay, &shared.stop);
    });
}

/// What a TCP reader queues for its delivery thread.
enum Segment {
    Data(Vec<u8>),
    /// The source closed its sending side: close the destination's the same way.
    End,
    /// The source failed: the connection is broken.
    Reset,
}

/// One direction of a relayed TCP connection.
struct Pipe<'a> {
    src: TcpStream,
    dst: TcpStream,
    /// Set on the worker-to-client direction.
    rewriter: Option<HelloRewriter>,
    leg: &'a Leg,
}

impl Pipe<'_> {
    /// Reads `src` on this thread and delivers to `dst` on another, `delay` later.
    fn run(self, delay: Duration, stop: &AtomicBool) {
        let Pipe { src, dst, rewriter, leg } = self;
        let (queue, deliveries) = mpsc::sync_channel(TCP_QUEUE);
        thread::scope(|scope| {
            let (src, dst) = (&src, &dst);
            let spawned = thread::Builder::new()
                .name("impair-tcp-deliver".into())
                .spawn_scoped(scope, move || deliver_stream(deliveries, src, dst, leg, stop));
            if spawned.is_err() {
                sever(src, dst);
                return;
            }
            read_stream(src, queue, delay, rewriter);
        });
    }
}

/// Reads chunks from `src` and queues each with its due time, until the end of the
/// stream, an error, or the delivery thread's end.
/// The queue is taken by value so that it closes when the reader is done.
fn read_stream(
    mut src: &TcpStream,
    queue: SyncSender<Timed<Segment>>,
    delay: Duration,
    mut rewriter: Option<HelloRewriter>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    let last = loop {
        let len = match src.read(&mut buf) {
            Ok(0) => break Segment::End,
            Ok(len) => len,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break Segment::Reset,
        };
        let due = Instant::now() + delay;
        let bytes = match rewriter.as_mut() {
            Some(rewriter) => rewriter.feed(&buf[..len]),
            None => buf[..len].to_vec(),
        };
        // An empty result: the start of a header, held until the rest arrives.
        if !bytes.is_empty() && queue.send(Timed { due, item: Segment::Data(bytes) }).is_err() {
            return; // the delivery thread has ended: the connection is over
        }
    };
    // A header cut short by the end of the stream goes out as it came.
    if let Some(tail) = rewriter.map(HelloRewriter::finish).filter(|tail| !tail.is_empty()) {
        let _ = queue.send(Timed::after(delay, Segment::Data(tail)));
    }
    let _ = queue.send(Timed::after(delay, last));
}

/// Writes each queued segment to `dst` when due.
fn deliver_stream(queue: Receiver<Timed<Segment>>, src: &TcpStream, mut dst: &TcpStream, leg: &Leg, stop: &AtomicBool) {
    run_delay_line(queue, stop, |segment| match segment {
        Segment::Data(bytes) => {
            if dst.write_all(&bytes).is_err() {
                // The receiver is gone: end the whole connection, which also wakes this
                // direction's reader.
                sever(src, dst);
                return false;
            }
            leg.tcp_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            true
        }
        Segment::End => {
            let _ = dst.shutdown(Shutdown::Write);
            false
        }
        Segment::Reset => {
            sever(src, dst);
            false
        }
    });
}

// ---------------------------------------------------------------------------------------
// The hello rewrite.
// ---------------------------------------------------------------------------------------

/// Follows the worker-to-client byte stream frame by frame and writes the proxy's UDP port
/// into every hello reply. The stream is a sequence of reply headers, a download reply
/// being followed by its `arg` payload bytes; a header of another version or without the
/// magic cannot be followed further, and from there everything passes untouched, so the
/// client sees exactly what the worker sent and names the problem itself.
struct HelloRewriter {
    udp_port: u16,
    state: ReplyStream,
}

enum ReplyStream {
    /// Collecting a header: only whole headers are passed on, so one split across reads
    /// is still rewritten.
    Header { bytes: [u8; FRAME_LEN], filled: usize },
    /// Inside a download's payload.
    Payload { left: u64 },
    /// Not followed any more.
    Opaque,
}

impl ReplyStream {
    fn header() -> Self {
        ReplyStream::Header { bytes: [0; FRAME_LEN], filled: 0 }
    }
}

impl HelloRewriter {
    fn new(udp_port: u16) -> Self {
        HelloRewriter { udp_port, state: ReplyStream::header() }
    }

    /// The bytes to pass on for `input` (a header's start is held back).
    fn feed(&mut self, mut input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() + FRAME_LEN);
        while !input.is_empty() {
            input = self.step(input, &mut out);
        }
        out
    }

    /// Consumes what the current state takes of `input`; returns the rest.
    fn step<'a>(&mut self, input: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
        match &mut self.state {
            ReplyStream::Opaque => {
                out.extend_from_slice(input);
                &[]
            }
            ReplyStream::Payload { left } => {
                let take = usize::try_from(*left).unwrap_or(usize::MAX).min(input.len());
                out.extend_from_slice(&input[..take]);
                *left -= take as u64;
                if *left == 0 {
                    self.state = ReplyStream::header();
                }
                &input[take..]
            }
            ReplyStream::Header { bytes, filled } => {
                let take = (FRAME_LEN - *filled).min(input.len());
                bytes[*filled..*filled + take].copy_from_slice(&input[..take]);
                *filled += take;
                if *filled == FRAME_LEN {
                    let header = *bytes;
                    self.state = self.pass_header(header, out);
                }
                &input[take..]
            }
        }
    }

    /// Passes a whole header on (rewritten if it is a hello reply); returns what follows it.
    fn pass_header(&self, header: [u8; FRAME_LEN], out: &mut Vec<u8>) -> ReplyStream {
        let frame = match Frame::decode(&header) {
            Ok(frame) if frame.version == VERSION => frame,
            _ => {
                out.extend_from_slice(&header);
                return ReplyStream::Opaque;
            }
        };
        if frame.kind == Kind::Hello as u8 | REPLY {
            out.extend_from_slice(&Frame { arg: u64::from(self.udp_port), ..frame }.encode());
            return ReplyStream::header();
        }
        out.extend_from_slice(&header);
        if frame.kind == Kind::Download as u8 | REPLY && frame.arg > 0 {
            ReplyStream::Payload { left: frame.arg }
        } else {
            ReplyStream::header()
        }
    }

    /// What is still held back: the start of a header the stream ended in.
    fn finish(self) -> Vec<u8> {
        match self.state {
            ReplyStream::Header { bytes, filled } => bytes[..filled].to_vec(),
            ReplyStream::Payload { .. } | ReplyStream::Opaque => Vec::new(),
        }
    }
}

/// The proxy's own hello to the worker: the worker's UDP port.
fn learn_udp_port(worker: SocketAddr) -> Result<u16, NetAuditError> {
    let stage = Stage::Hello;
    let mut stream = TcpStream::connect_timeout(&worker, CONNECT_TIMEOUT)
        .map_err(|source| NetAuditError::Unreachable { addr: worker, stage, source })?;
    let io_err = |source: io::Error| match source.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            NetAuditError::Timeout { addr: worker, stage, after: CONNECT_TIMEOUT }
        }
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => NetAuditError::Closed { addr: worker, stage },
        _ => NetAuditError::Io { addr: worker, stage, source },
    };
    stream.set_read_timeout(Some(CONNECT_TIMEOUT)).map_err(io_err)?;
    stream.write_all(&Frame::request(Kind::Hello, 1, 0).encode()).map_err(io_err)?;
    let mut header = [0u8; FRAME_LEN];
    stream.read_exact(&mut header).map_err(io_err)?;
    let reply = Frame::decode(&header)?;
    if reply.version != VERSION {
        return Err(NetAuditError::VersionMismatch { ours: VERSION, theirs: reply.version });
    }
    if reply.kind != Kind::Hello as u8 | REPLY {
        let detail = format!("expected a hello reply, got kind {:#04x}", reply.kind);
        return Err(NetAuditError::Protocol { stage, detail });
    }
    u16::try_from(reply.arg)
        .ok()
        .filter(|&port| port != 0)
        .ok_or_else(|| NetAuditError::Protocol { stage, detail: format!("UDP port {} out of range", reply.arg) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello_reply(port: u64) -> [u8; FRAME_LEN] {
        Frame::reply(Kind::Hello, 1, port).encode()
    }

    #[test]
    fn hello_replies_are_rewritten_even_when_split() {
        let mut stream = Vec::new();
        stream.extend_from_slice(&hello_reply(5000));
        stream.extend_from_slice(&Frame::reply(Kind::Echo, 2, 5000).encode());
        stream.extend_from_slice(&hello_reply(5000));
        // Every split point, including one inside each header.
        for cut in 0..=stream.len() {
            let mut rewriter = HelloRewriter::new(7);
            let mut out = rewriter.feed(&stream[..cut]);
            out.extend(rewriter.feed(&stream[cut..]));
            assert!(rewriter.finish().is_empty());
            let frames: Vec<Frame> = out.chunks(FRAME_LEN).map(|c| Frame::decode(c).unwrap()).collect();
            assert_eq!(frames.iter().map(|f| f.arg).collect::<Vec<_>>(), [7, 5000, 7], "cut at {cut}");
            assert_eq!(frames[1], Frame::reply(Kind::Echo, 2, 5000));
        }
    }

    #[test]
    fn download_payload_and_foreign_bytes_pass_untouched() {
        // A payload that happens to hold a hello reply is payload, not a reply.
        let mut stream = Frame::reply(Kind::Download, 3, FRAME_LEN as u64).encode().to_vec();
        stream.extend_from_slice(&hello_reply(5000));
        stream.extend_from_slice(&hello_reply(5000));
        let mut rewriter = HelloRewriter::new(7);
        let out = rewriter.feed(&stream);
        assert_eq!(out[..2 * FRAME_LEN], stream[..2 * FRAME_LEN]);
        assert_eq!(Frame::decode(&out[2 * FRAME_LEN..]).unwrap().arg, 7);

        // Another version: everything after passes as it is, hello-looking or not.
        let mut other = Frame { version: VERSION + 1, ..Frame::reply(Kind::Hello, 1, 5000) }.encode().to_vec();
        other.extend_from_slice(&hello_reply(5000));
        assert_eq!(HelloRewriter::new(7).feed(&other), other);
        // Not the protocol at all, and a stream that ends inside a header.
        assert_eq!(HelloRewriter::new(7).feed(b"HTTP/1.1 400 Bad\r\n\r\n"), b"HTTP/1.1 400 Bad\r\n\r\n");
        let mut cut = HelloRewriter::new(7);
        assert!(cut.feed(&hello_reply(5000)[..5]).is_empty());
        assert_eq!(cut.finish(), hello_reply(5000)[..5]);
    }

    #[test]
    fn loss_draws_follow_the_seed_and_the_rate() {
        let pattern = |seed| {
            let leg = Leg::new(0.25, seed);
            (0..2_000).map(|_| leg.drops()).collect::<Vec<bool>>()
        };
        assert_eq!(pattern(11), pattern(11));
        assert_ne!(pattern(11), pattern(12));
        // 2,000 draws at 25%: sd = sqrt(2000 x 0.25 x 0.75) = 19.4; +-100 is over 5 sd.
        let dropped = pattern(11).iter().filter(|&&d| d).count();
        assert!(dropped.abs_diff(500) <= 100, "{dropped} of 2000 dropped at 25%");
        let never = Leg::new(0.0, 1);
        let always = Leg::new(1.0, 1);
        assert!((0..1_000).all(|_| !never.drops() && always.drops()));
        assert_eq!((never.snapshot().udp_dropped, always.snapshot().udp_dropped), (0, 1_000));
    }

    #[test]
    fn a_burst_is_delayed_once_not_once_per_item() {
        let delay = Duration::from_millis(50);
        let (queue, deliveries) = mpsc::sync_channel(1_000);
        let start = Instant::now();
        for i in 0..200 {
            queue.send(Timed::after(delay, i)).unwrap();
        }
        drop(queue);
        let stop = AtomicBool::new(false);
        let mut released = Vec::new();
        run_delay_line(deliveries, &stop, |i| {
            released.push((i, start.elapsed()));
            true
        });
        assert_eq!(released.iter().map(|&(i, _)| i).collect::<Vec<_>>(), (0..200).collect::<Vec<_>>());
        assert!(released.iter().all(|&(_, at)| at >= delay), "released before its delay");
        // Serialised, 200 items would take 10 s; 1 s leaves room for a loaded machine.
        let last = released[199].1;
        assert!(last < Duration::from_secs(1), "the burst took {last:?}");
    }

    #[test]
    fn a_stop_ends_a_waiting_delay_line() {
        let (queue, deliveries) = mpsc::sync_channel(1);
        queue.send(Timed::after(Duration::from_secs(3_600), ())).unwrap();
        let stop = AtomicBool::new(true);
        let mut delivered = false;
        run_delay_line(deliveries, &stop, |()| {
            delivered = true;
            true
        });
        assert!(!delivered);
    }

    #[test]
    fn impossible_probabilities_are_refused_by_name() {
        for (to_worker, to_client) in [(-0.1, 0.0), (0.0, 1.5), (f64::NAN, 0.0)] {
            let impairment =
                Impairment { loss_to_worker: to_worker, loss_to_client: to_client, ..Impairment::default() };
            let err = impairment.validate().unwrap_err();
            assert!(matches!(err, ImpairmentError::InvalidLoss { .. }), "{err}");
        }
        let fine = Impairment { loss_to_worker: 0.025, loss_to_client: 0.025, ..Impairment::default() };
        assert!(fine.validate().is_ok());
        assert!((fine.round_trip_loss() - 0.049_375).abs() < 1e-12);
    }
}
