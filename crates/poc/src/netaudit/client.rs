//! The oracle's side: [`measure`] against a worker's probe server.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use super::wire::{payload_chunk, CHUNK};
use super::*;

/// Audits the probe server whose TCP endpoint is `target`: a hello (which checks the
/// version and gives the UDP port), the TCP round trips, the UDP loss probes, then the
/// download and the upload. See the module documentation for each figure.
pub fn measure(target: SocketAddr, config: &AuditConfig) -> Result<NetworkReport, NetAuditError> {
    config.validate()?;
    let mut conn = Conn::connect(target, config)?;

    let hello = conn.request(Stage::Hello, Frame::request(Kind::Hello, 0, 0))?;
    let udp_port = u16::try_from(hello.arg)
        .map_err(|_| NetAuditError::Protocol { stage: Stage::Hello, detail: format!("UDP port {} out of range", hello.arg) })?;
    if udp_port == 0 {
        return Err(NetAuditError::Protocol { stage: Stage::Hello, detail: "UDP port 0".into() });
    }
    let udp_target = SocketAddr::new(target.ip(), udp_port);

    let rtt = conn.rtt(config.rtt_probes)?;
    let loss = measure_loss(udp_target, config)?;
    let download = conn.download(config.bulk_bytes)?;
    let upload = conn.upload(config.bulk_bytes)?;

    Ok(NetworkReport {
        rtt_us: rtt.median_us,
        packet_loss_bps: loss.loss_bps(),
        bandwidth_mbps: download.mbps.min(upload.mbps),
        rtt,
        loss,
        download,
        upload,
        udp_target,
    })
}

/// The oracle's TCP connection to a probe server.
struct Conn {
    stream: TcpStream,
    addr: SocketAddr,
    io_timeout: Duration,
    seq: u32,
}

fn classify(addr: SocketAddr, stage: Stage, after: Duration, source: io::Error) -> NetAuditError {
    match source.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => NetAuditError::Timeout { addr, stage, after },
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe => {
            NetAuditError::Closed { addr, stage }
        }
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::AddrNotAvailable => NetAuditError::Unreachable { addr, stage, source },
        _ => NetAuditError::Io { addr, stage, source },
    }
}

/// Checks a reply header: this version, the expected kind, else the refusal by name.
fn check_reply(frame: Frame, stage: Stage, request: Kind) -> Result<Frame, NetAuditError> {
    if frame.version != VERSION {
        return Err(NetAuditError::VersionMismatch { ours: VERSION, theirs: frame.version });
    }
    if frame.kind == Kind::Refused as u8 {
        return Err(NetAuditError::Refused { stage, reason: Refusal::from_code(frame.arg) });
    }
    if frame.kind != request as u8 | REPLY {
        return Err(NetAuditError::Protocol {
            stage,
            detail: format!("expected reply kind {:#04x}, got {:#04x}", request as u8 | REPLY, frame.kind),
        });
    }
    Ok(frame)
}

impl Conn {
    fn connect(addr: SocketAddr, config: &AuditConfig) -> Result<Self, NetAuditError> {
        let stream = TcpStream::connect_timeout(&addr, config.connect_timeout)
            .map_err(|e| classify(addr, Stage::Connect, config.connect_timeout, e))?;
        let setup = |e| NetAuditError::Io { addr, stage: Stage::Connect, source: e };
        stream.set_nodelay(true).map_err(setup)?;
        stream.set_read_timeout(Some(config.io_timeout)).map_err(setup)?;
        stream.set_write_timeout(Some(config.io_timeout)).map_err(setup)?;
        Ok(Conn { stream, addr, io_timeout: config.io_timeout, seq: 0 })
    }

    fn err(&self, stage: Stage) -> impl Fn(io::Error) -> NetAuditError + '_ {
        move |e| classify(self.addr, stage, self.io_timeout, e)
    }

    fn send(&mut self, stage: Stage, frame: Frame) -> Result<(), NetAuditError> {
        let bytes = frame.encode();
        self.stream.write_all(&bytes).map_err(|e| classify(self.addr, stage, self.io_timeout, e))
    }

    fn receive(&mut self, stage: Stage, request: Kind) -> Result<Frame, NetAuditError> {
        let mut bytes = [0u8; FRAME_LEN];
        self.stream.read_exact(&mut bytes).map_err(|e| classify(self.addr, stage, self.io_timeout, e))?;
        check_reply(Frame::decode(&bytes)?, stage, request)
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends `frame` and reads its reply, checking that it echoes the sequence number.
    fn request(&mut self, stage: Stage, mut frame: Frame) -> Result<Frame, NetAuditError> {
        frame.seq = self.next_seq();
        self.send(stage, frame)?;
        let kind = Kind::from_code(frame.kind).expect("requests use known kinds");
        let reply = self.receive(stage, kind)?;
        if reply.seq != frame.seq {
            return Err(NetAuditError::Protocol {
                stage,
                detail: format!("reply to request {} carries sequence number {}", frame.seq, reply.seq),
            });
        }
        Ok(reply)
    }

    fn rtt(&mut self, probes: u32) -> Result<RttStats, NetAuditError> {
        let nonce: u64 = rand::random();
        let mut samples = Vec::with_capacity(probes as usize);
        for i in 0..probes {
            let arg = nonce ^ u64::from(i);
            let start = Instant::now();
            let reply = self.request(Stage::Rtt, Frame::request(Kind::Echo, 0, arg))?;
            samples.push(start.elapsed());
            if reply.arg != arg {
                return Err(NetAuditError::Protocol { stage: Stage::Rtt, detail: "echo altered the payload".into() });
            }
        }
        Ok(RttStats::from_samples(&samples).expect("at least one probe"))
    }

    fn download(&mut self, bytes: u64) -> Result<Transfer, NetAuditError> {
        let stage = Stage::Download;
        let start = Instant::now();
        let reply = self.request(stage, Frame::request(Kind::Download, 0, bytes))?;
        if reply.arg != bytes {
            return Err(NetAuditError::Protocol { stage, detail: format!("asked for {bytes} bytes, the worker announces {}", reply.arg) });
        }
        let mut buf = vec![0u8; CHUNK];
        let mut left = bytes;
        while left > 0 {
            let want = left.min(CHUNK as u64) as usize;
            let n = self.stream.read(&mut buf[..want]).map_err(self.err(stage))?;
            if n == 0 {
                return Err(NetAuditError::Closed { addr: self.addr, stage });
            }
            left -= n as u64;
        }
        Ok(Transfer::new(bytes, start.elapsed()))
    }

    fn upload(&mut self, bytes: u64) -> Result<Transfer, NetAuditError> {
        let stage = Stage::Upload;
        let buf = payload_chunk();
        let seq = self.next_seq();
        let start = Instant::now();
        self.send(stage, Frame { version: VERSION, kind: Kind::Upload as u8, seq, arg: bytes })?;
        let mut left = bytes;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            if let Err(e) = self.stream.write_all(&buf[..n]) {
                // A server that refuses (e.g. another version) closes while we write: read
                // its refusal if there is one, it names the problem better than the reset.
                return Err(self.receive(stage, Kind::Upload).err().unwrap_or_else(|| self.err(stage)(e)));
            }
            left -= n as u64;
        }
        let receipt = self.receive(stage, Kind::Upload)?;
        let elapsed = start.elapsed();
        if receipt.seq != seq || receipt.arg != bytes {
            return Err(NetAuditError::Protocol {
                stage,
                detail: format!("sent {bytes} bytes, the worker's receipt says {}", receipt.arg),
            });
        }
        Ok(Transfer::new(bytes, elapsed))
    }
}

/// Sends the UDP probes at the configured pace and collects their echoes (see the module
/// documentation). One thread: between two sends it reads echoes until the next send is
/// due; after the last send it reads until every probe is answered or the last probe's
/// reply timeout has passed.
fn measure_loss(target: SocketAddr, config: &AuditConfig) -> Result<LossStats, NetAuditError> {
    let stage = Stage::Loss;
    let local: IpAddr = if target.is_ipv4() { Ipv4Addr::UNSPECIFIED.into() } else { Ipv6Addr::UNSPECIFIED.into() };
    let io = |e: io::Error| classify(target, stage, config.reply_timeout, e);
    let socket = UdpSocket::bind(SocketAddr::new(local, 0)).map_err(io)?;
    socket.connect(target).map_err(io)?;

    let n = config.loss_probes as usize;
    let nonce: u64 = rand::random();
    let mut sent_at: Vec<Option<Instant>> = vec![None; n];
    let mut answered = vec![false; n];
    let mut stats = LossStats { sent: 0, answered: 0, late: 0, duplicates: 0, rtt: None };
    let mut rtts = Vec::with_capacity(n);
    let mut buf = [0u8; 64];

    // Reads echoes until `deadline` (or until every probe is answered, when `all` is set).
    let mut drain = |deadline: Instant, all: bool, sent_at: &[Option<Instant>], stats: &mut LossStats| -> Result<(), NetAuditError> {
        loop {
            if all && stats.answered == stats.sent {
                return Ok(());
            }
            let now = Instant::now();
            let Some(wait) = deadline.checked_duration_since(now).filter(|d| !d.is_zero()) else {
                return Ok(());
            };
            socket.set_read_timeout(Some(wait)).map_err(io)?;
            let len = match socket.recv(&mut buf) {
                Ok(len) => len,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io(e)),
            };
            let arrived = Instant::now();
            let frame = check_reply(Frame::decode(&buf[..len])?, stage, Kind::Echo)?;
            let seq = frame.seq as usize;
            if frame.arg != nonce || seq >= n {
                continue; // an echo from an earlier audit
            }
            let Some(sent) = sent_at[seq] else { continue };
            if answered[seq] {
                stats.duplicates += 1;
                continue;
            }
            let rtt = arrived - sent;
            if rtt > config.reply_timeout {
                stats.late += 1;
                continue;
            }
            answered[seq] = true;
            stats.answered += 1;
            rtts.push(rtt);
        }
    };

    let start = Instant::now();
    for seq in 0..n {
        let due = start + config.loss_interval * seq as u32;
        drain(due, false, &sent_at, &mut stats)?;
        let frame = Frame::request(Kind::Echo, seq as u32, nonce).encode();
        // Stamped before the send, as the TCP probes are: a thread descheduled between the
        // send returning and the stamp would otherwise shorten the round trip it records.
        let stamp = Instant::now();
        match socket.send(&frame) {
            Ok(_) => {}
            // The kernel's queue is full: the probe is lost on our side of the link, which
            // the pace should prevent; count it as sent and lost rather than abort.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(io(e)),
        }
        sent_at[seq] = Some(stamp);
        stats.sent += 1;
    }
    let last = sent_at[n - 1].expect("every probe is sent");
    drain(last + config.reply_timeout, true, &sent_at, &mut stats)?;
    stats.rtt = RttStats::from_samples(&rtts);
    Ok(stats)
}
