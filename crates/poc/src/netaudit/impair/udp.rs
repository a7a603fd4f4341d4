//! The UDP side of the proxy: one front socket, an upstream socket and session per
//! client address, the seeded loss and the delay lines both ways.

use super::*;

pub(super) struct UdpFront {
    pub(super) socket: Arc<UdpSocket>,
    pub(super) worker_udp: SocketAddr,
    pub(super) delay: Duration,
    pub(super) to_worker: SyncSender<ToWorker>,
    /// Cloned into each session's thread.
    pub(super) to_client: SyncSender<ToClient>,
    pub(super) shared: Arc<Shared>,
}

impl UdpFront {
    pub(super) fn run(self) {
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

pub(super) fn deliver_to_worker(queue: Receiver<ToWorker>, shared: &Shared) {
    run_delay_line(queue, &shared.stop, |(upstream, datagram)| {
        shared.to_worker.count_send(upstream.send(&datagram));
        true
    });
}

pub(super) fn deliver_to_client(queue: Receiver<ToClient>, socket: &UdpSocket, shared: &Shared) {
    run_delay_line(queue, &shared.stop, |(client, datagram)| {
        shared.to_client.count_send(socket.send_to(&datagram, client));
        true
    });
}
