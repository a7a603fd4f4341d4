//! The worker's side: the [`ProbeServer`].

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::wire::{payload_chunk, CHUNK};
use super::*;

/// How often the server's threads look at the stop flag.
const POLL: Duration = Duration::from_millis(20);
/// A server connection with no request for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Counters of a [`ProbeServer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbeServerStats {
    pub tcp_connections: u64,
    pub udp_received: u64,
    pub udp_echoed: u64,
    /// UDP probes dropped on purpose ([`ProbeServer::with_drop_every`]).
    pub udp_dropped: u64,
    /// Requests refused (wrong version, unknown kind, too large).
    pub refused: u64,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    drop_every: AtomicU32,
    tcp_connections: AtomicU64,
    udp_received: AtomicU64,
    udp_echoed: AtomicU64,
    udp_dropped: AtomicU64,
    refused: AtomicU64,
    /// Open connections (a clone of the stream to shut down, and the serving thread).
    conns: Mutex<HashMap<u64, (TcpStream, JoinHandle<()>)>>,
}

/// The worker's probe endpoint: a TCP listener (hello, echo, download, upload) and a UDP
/// socket (echo) on the same port number when it is free, each served by its own thread
/// (one more per TCP connection). Serves until [`ProbeServer::stop`] or drop.
pub struct ProbeServer {
    tcp_addr: SocketAddr,
    udp_addr: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl ProbeServer {
    /// Binds TCP on `addr` and UDP on the same address and port. With port 0 the TCP port
    /// is chosen by the system and UDP takes the same number if it is free, else another
    /// one (clients learn it from the hello either way).
    pub fn bind(addr: SocketAddr) -> Result<Self, NetAuditError> {
        let bind_err = |source| NetAuditError::Bind { addr, source };
        let listener = TcpListener::bind(addr).map_err(bind_err)?;
        let tcp_addr = listener.local_addr().map_err(bind_err)?;
        let udp = match UdpSocket::bind(tcp_addr) {
            Ok(udp) => udp,
            Err(_) if addr.port() == 0 => UdpSocket::bind(addr).map_err(bind_err)?,
            Err(e) => return Err(bind_err(e)),
        };
        let udp_addr = udp.local_addr().map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        udp.set_read_timeout(Some(POLL)).map_err(bind_err)?;

        let shared = Arc::new(Shared::default());
        let accept = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("probe-tcp".into())
                .spawn(move || accept_loop(listener, udp_addr.port(), shared))
                .map_err(bind_err)?
        };
        let echo = {
            let shared = Arc::clone(&shared);
            thread::Builder::new().name("probe-udp".into()).spawn(move || udp_loop(udp, shared)).map_err(bind_err)?
        };
        Ok(ProbeServer { tcp_addr, udp_addr, shared, threads: vec![accept, echo] })
    }

    /// For tests: drop every `n`-th UDP probe, by sequence number (the probes with
    /// `(seq + 1) % n == 0`), so an audit of `k` probes loses exactly `k / n` of them.
    /// 0 (the default) drops none.
    pub fn with_drop_every(self, n: u32) -> Self {
        self.shared.drop_every.store(n, Ordering::Relaxed);
        self
    }

    /// The TCP endpoint: the target to give [`measure`].
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp_addr
    }

    /// The UDP echo endpoint.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    pub fn stats(&self) -> ProbeServerStats {
        let s = &self.shared;
        ProbeServerStats {
            tcp_connections: s.tcp_connections.load(Ordering::Relaxed),
            udp_received: s.udp_received.load(Ordering::Relaxed),
            udp_echoed: s.udp_echoed.load(Ordering::Relaxed),
            udp_dropped: s.udp_dropped.load(Ordering::Relaxed),
            refused: s.refused.load(Ordering::Relaxed),
        }
    }

    /// Stops serving: closes the listener, the UDP socket and every open connection, and
    /// joins the threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        // The accept thread has ended: no connection is added from here on.
        let conns: Vec<_> = self.shared.conns.lock().expect("connection table").drain().map(|(_, c)| c).collect();
        for (stream, thread) in conns {
            let _ = stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}

impl Drop for ProbeServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, udp_port: u16, shared: Arc<Shared>) {
    let mut next_id = 0u64;
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _peer)) => {
                shared.tcp_connections.fetch_add(1, Ordering::Relaxed);
                let Ok(handle) = stream.try_clone() else { continue };
                let id = next_id;
                next_id += 1;
                let conn_shared = Arc::clone(&shared);
                // Hold the table while spawning: the thread removes its own entry when it
                // ends, which must come after the insertion.
                let mut conns = shared.conns.lock().expect("connection table");
                let spawned = thread::Builder::new().name("probe-conn".into()).spawn(move || {
                    let _ = serve_connection(stream, udp_port, &conn_shared);
                    conn_shared.conns.lock().expect("connection table").remove(&id);
                });
                if let Ok(thread) = spawned {
                    conns.insert(id, (handle, thread));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL / 4),
            Err(_) => thread::sleep(POLL / 4),
        }
    }
}

/// One TCP connection: requests in sequence until the client closes, an error, or a
/// refusal.
fn serve_connection(mut stream: TcpStream, udp_port: u16, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_write_timeout(Some(IDLE_TIMEOUT))?;
    let payload = payload_chunk();
    let mut buf = vec![0u8; CHUNK];
    let mut header = [0u8; FRAME_LEN];
    loop {
        if let Err(e) = stream.read_exact(&mut header) {
            return if e.kind() == io::ErrorKind::UnexpectedEof { Ok(()) } else { Err(e) };
        }
        let Ok(frame) = Frame::decode(&header) else {
            return Ok(()); // not our protocol: close without an answer
        };
        let refuse = |stream: &mut TcpStream, reason: Refusal| {
            shared.refused.fetch_add(1, Ordering::Relaxed);
            let refusal = Frame { version: VERSION, kind: Kind::Refused as u8, seq: frame.seq, arg: reason.code() };
            let _ = stream.write_all(&refusal.encode());
            let _ = stream.shutdown(Shutdown::Write);
            // Let the client read the refusal before the close resets the connection: drain
            // what it still sends for a while.
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let mut sink = [0u8; 4096];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        };
        if frame.version != VERSION {
            refuse(&mut stream, Refusal::Version);
            return Ok(());
        }
        match Kind::from_code(frame.kind) {
            Some(Kind::Hello) => stream.write_all(&Frame::reply(Kind::Hello, frame.seq, u64::from(udp_port)).encode())?,
            Some(Kind::Echo) => stream.write_all(&Frame::reply(Kind::Echo, frame.seq, frame.arg).encode())?,
            Some(Kind::Download) | Some(Kind::Upload) if frame.arg > MAX_BULK_BYTES => {
                refuse(&mut stream, Refusal::TooLarge);
                return Ok(());
            }
            Some(Kind::Download) => {
                stream.write_all(&Frame::reply(Kind::Download, frame.seq, frame.arg).encode())?;
                let mut left = frame.arg;
                while left > 0 {
                    let n = left.min(CHUNK as u64) as usize;
                    stream.write_all(&payload[..n])?;
                    left -= n as u64;
                }
            }
            Some(Kind::Upload) => {
                let mut left = frame.arg;
                while left > 0 {
                    let want = left.min(CHUNK as u64) as usize;
                    let n = stream.read(&mut buf[..want])?;
                    if n == 0 {
                        return Ok(());
                    }
                    left -= n as u64;
                }
                stream.write_all(&Frame::reply(Kind::Upload, frame.seq, frame.arg).encode())?;
            }
            Some(Kind::Refused) | None => {
                refuse(&mut stream, Refusal::UnknownKind);
                return Ok(());
            }
        }
    }
}

fn udp_loop(socket: UdpSocket, shared: Arc<Shared>) {
    let mut buf = [0u8; 512];
    while !shared.stop.load(Ordering::SeqCst) {
        let (len, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(_) => continue, // timeout (poll the stop flag), or an ICMP error from a past peer
        };
        let Ok(frame) = Frame::decode(&buf[..len]) else { continue };
        shared.udp_received.fetch_add(1, Ordering::Relaxed);
        let reply = if frame.version != VERSION {
            shared.refused.fetch_add(1, Ordering::Relaxed);
            Frame { version: VERSION, kind: Kind::Refused as u8, seq: frame.seq, arg: Refusal::Version.code() }
        } else if frame.kind == Kind::Echo as u8 {
            let every = shared.drop_every.load(Ordering::Relaxed);
            if every != 0 && (u64::from(frame.seq) + 1) % u64::from(every) == 0 {
                shared.udp_dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            shared.udp_echoed.fetch_add(1, Ordering::Relaxed);
            Frame::reply(Kind::Echo, frame.seq, frame.arg)
        } else {
            shared.refused.fetch_add(1, Ordering::Relaxed);
            Frame { version: VERSION, kind: Kind::Refused as u8, seq: frame.seq, arg: Refusal::UnknownKind.code() }
        };
        let _ = socket.send_to(&reply.encode(), peer);
    }
}
