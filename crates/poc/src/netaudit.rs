//! The network audit: the worker agent runs a [`ProbeServer`]; the oracle calls
//! [`measure`] against it and gets a [`NetworkReport`] whose `rtt_us`, `packet_loss_bps`
//! and `bandwidth_mbps` are the registry's `NodeMetrics` network figures.
//!
//! Every figure is timed with the oracle's own clock ([`Instant`]): the worker only echoes
//! and streams bytes, it never reports a time, so it cannot claim a better link than the
//! one the oracle sees.
//!
//! # What is measured, and how
//!
//! * **Round-trip time** (`rtt_us`): the median of [`AuditConfig::rtt_probes`] sequential
//!   echoes of a 16-byte frame over one TCP connection (`TCP_NODELAY` on both ends), each
//!   timed from just before the request is written to just after the whole echo is read.
//!   The minimum and the 90th percentile come with it ([`RttStats`]). The median is robust
//!   to the few probes a lost segment delays by a retransmission timeout.
//! * **Packet loss** (`packet_loss_bps`): [`AuditConfig::loss_probes`] UDP datagrams, each
//!   carrying its sequence number and a per-audit nonce, sent one every
//!   [`AuditConfig::loss_interval`]. A probe is answered when its echo (same sequence
//!   number, same nonce) comes back within [`AuditConfig::reply_timeout`] of its sending;
//!   every other probe is lost, so a loss in either direction counts. The figure is
//!   lost / sent in basis points (10,000 = all lost), rounded to nearest.
//! * **Bandwidth** (`bandwidth_mbps`): [`AuditConfig::bulk_bytes`] bytes streamed by the
//!   worker to the oracle (download) and by the oracle to the worker (upload), each over
//!   TCP and timed from the request being written to the last byte being read (download)
//!   or to the worker's receipt being read (upload). The time includes one round trip and
//!   TCP slow start, so the figure is conservative; choose `bulk_bytes` well above
//!   bandwidth x RTT. Megabits per second (10^6 bits/s), rounded down; the report's
//!   `bandwidth_mbps` is the slower direction.
//!
//! # Wire format (version [`VERSION`])
//!
//! Every message, TCP or UDP, starts with (or is) one 16-byte [`Frame`], big-endian:
//!
//! ```text
//! offset  size  field
//!      0     2  magic    b"IO" (0x49 0x4F)
//!      2     1  version  1
//!      3     1  kind     see below; replies are the request's kind | 0x80
//!      4     4  seq      u32, sequence number (echoed back)
//!      8     8  arg      u64, per kind (echoed back unless stated)
//! ```
//!
//! | kind | name       | transport | request `arg`          | reply                                   |
//! |------|------------|-----------|------------------------|-----------------------------------------|
//! | 0x01 | `Hello`    | TCP       | 0                      | 0x81, `arg` = the server's UDP port     |
//! | 0x02 | `Echo`     | TCP, UDP  | any (a nonce)          | 0x82, same `seq` and `arg`              |
//! | 0x03 | `Download` | TCP       | N bytes wanted         | 0x83, `arg` = N, then N payload bytes    |
//! | 0x04 | `Upload`   | TCP       | N, then N payload bytes| 0x84, `arg` = N, once all N are read     |
//! | 0x7F | `Refused`  | both      | (server to client only)| `arg` = a [`Refusal`] code              |
//!
//! A server that gets a frame with its magic but another version answers `Refused`
//! (reason [`Refusal::Version`]) in *its own* version and closes the connection, so the
//! client names the mismatch ([`NetAuditError::VersionMismatch`]) instead of misreading
//! bytes. Frames without the magic are dropped without an answer (TCP: the connection is
//! closed).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use thiserror::Error;

/// First two bytes of every frame.
pub const MAGIC: [u8; 2] = *b"IO";
/// The wire format version this build speaks.
pub const VERSION: u8 = 1;
/// Size of a [`Frame`] on the wire.
pub const FRAME_LEN: usize = 16;
/// Largest bulk transfer a [`ProbeServer`] accepts in one request (1 GiB).
pub const MAX_BULK_BYTES: u64 = 1 << 30;
/// Marks a reply kind.
pub const REPLY: u8 = 0x80;

const CHUNK: usize = 64 * 1024;
/// How often the server's threads look at the stop flag.
const POLL: Duration = Duration::from_millis(20);
/// A server connection with no request for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What a frame asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    Hello = 0x01,
    Echo = 0x02,
    Download = 0x03,
    Upload = 0x04,
    Refused = 0x7F,
}

impl Kind {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0x01 => Kind::Hello,
            0x02 => Kind::Echo,
            0x03 => Kind::Download,
            0x04 => Kind::Upload,
            0x7F => Kind::Refused,
            _ => return None,
        })
    }
}

/// Why a server refused a request (the `arg` of a `Refused` frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The request's version is not the server's.
    Version,
    /// The request's kind is unknown to the server (or not valid on that transport).
    UnknownKind,
    /// A bulk transfer above [`MAX_BULK_BYTES`].
    TooLarge,
    /// A code this build does not know.
    Other(u64),
}

impl Refusal {
    pub fn code(self) -> u64 {
        match self {
            Refusal::Version => 1,
            Refusal::UnknownKind => 2,
            Refusal::TooLarge => 3,
            Refusal::Other(code) => code,
        }
    }

    pub fn from_code(code: u64) -> Self {
        match code {
            1 => Refusal::Version,
            2 => Refusal::UnknownKind,
            3 => Refusal::TooLarge,
            other => Refusal::Other(other),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Version => write!(f, "version mismatch"),
            Refusal::UnknownKind => write!(f, "unknown request kind"),
            Refusal::TooLarge => write!(f, "bulk transfer above {MAX_BULK_BYTES} bytes"),
            Refusal::Other(code) => write!(f, "refusal code {code}"),
        }
    }
}

/// One 16-byte header (see the module documentation for the layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    pub version: u8,
    /// The raw kind byte: a [`Kind`], with [`REPLY`] set on replies.
    pub kind: u8,
    pub seq: u32,
    pub arg: u64,
}

impl Frame {
    /// A request of this build's version.
    pub fn request(kind: Kind, seq: u32, arg: u64) -> Self {
        Frame { version: VERSION, kind: kind as u8, seq, arg }
    }

    /// The reply to a request of `kind`, in this build's version.
    pub fn reply(kind: Kind, seq: u32, arg: u64) -> Self {
        Frame { version: VERSION, kind: kind as u8 | REPLY, seq, arg }
    }

    pub fn encode(&self) -> [u8; FRAME_LEN] {
        let mut bytes = [0u8; FRAME_LEN];
        bytes[0..2].copy_from_slice(&MAGIC);
        bytes[2] = self.version;
        bytes[3] = self.kind;
        bytes[4..8].copy_from_slice(&self.seq.to_be_bytes());
        bytes[8..16].copy_from_slice(&self.arg.to_be_bytes());
        bytes
    }

    /// Parses a header of any version; only the magic and the length are checked.
    pub fn decode(bytes: &[u8]) -> Result<Self, NetAuditError> {
        if bytes.len() < FRAME_LEN {
            return Err(NetAuditError::ShortFrame { len: bytes.len() });
        }
        if bytes[0..2] != MAGIC {
            return Err(NetAuditError::BadMagic { got: [bytes[0], bytes[1]] });
        }
        Ok(Frame {
            version: bytes[2],
            kind: bytes[3],
            seq: u32::from_be_bytes(bytes[4..8].try_into().expect("4 bytes")),
            arg: u64::from_be_bytes(bytes[8..16].try_into().expect("8 bytes")),
        })
    }
}

/// The stage of the audit an error happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Connect,
    Hello,
    Rtt,
    Loss,
    Download,
    Upload,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connect",
            Stage::Hello => "hello",
            Stage::Rtt => "rtt",
            Stage::Loss => "packet loss",
            Stage::Download => "download",
            Stage::Upload => "upload",
        })
    }
}

#[derive(Debug, Error)]
pub enum NetAuditError {
    #[error("invalid audit configuration: {0}")]
    InvalidConfig(&'static str),
    #[error("cannot bind the probe server on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("target {addr} is unreachable ({stage}): {source}")]
    Unreachable { addr: SocketAddr, stage: Stage, source: io::Error },
    #[error("no answer from {addr} within {after:?} ({stage})")]
    Timeout { addr: SocketAddr, stage: Stage, after: Duration },
    #[error("{addr} closed the connection during {stage}")]
    Closed { addr: SocketAddr, stage: Stage },
    #[error("network error with {addr} during {stage}: {source}")]
    Io { addr: SocketAddr, stage: Stage, source: io::Error },
    #[error("frame of {len} bytes is shorter than {FRAME_LEN}")]
    ShortFrame { len: usize },
    #[error("not a probe frame: magic {got:02x?}, expected {MAGIC:02x?}")]
    BadMagic { got: [u8; 2] },
    #[error("peer speaks probe protocol version {theirs}, this build speaks {ours}")]
    VersionMismatch { ours: u8, theirs: u8 },
    #[error("peer refused the {stage} request: {reason}")]
    Refused { stage: Stage, reason: Refusal },
    #[error("protocol error during {stage}: {detail}")]
    Protocol { stage: Stage, detail: String },
}

/// How the oracle audits a worker's link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    /// Limit on establishing the TCP connection.
    pub connect_timeout: Duration,
    /// Limit on each TCP read or write (an echo, a bulk chunk, a receipt).
    pub io_timeout: Duration,
    /// TCP echoes for the round-trip time (at least 1).
    pub rtt_probes: u32,
    /// UDP probes for the packet loss (at least 1).
    pub loss_probes: u32,
    /// Pace of the UDP probes: one is sent every `loss_interval` (zero: back to back).
    pub loss_interval: Duration,
    /// A UDP probe whose echo is not back this long after its sending is lost.
    pub reply_timeout: Duration,
    /// Size of each bulk transfer, download and upload (1..=[`MAX_BULK_BYTES`]).
    pub bulk_bytes: u64,
}

impl Default for AuditConfig {
    /// 50 echoes, 1,000 UDP probes at 1 ms (5 points of loss is then known to within
    /// about +-1.4 points at two standard deviations), a 1 s reply timeout, and 16 MiB each
    /// way for bandwidth.
    fn default() -> Self {
        AuditConfig {
            connect_timeout: Duration::from_secs(3),
            io_timeout: Duration::from_secs(5),
            rtt_probes: 50,
            loss_probes: 1_000,
            loss_interval: Duration::from_millis(1),
            reply_timeout: Duration::from_secs(1),
            bulk_bytes: 16 << 20,
        }
    }
}

impl AuditConfig {
    pub fn validate(&self) -> Result<(), NetAuditError> {
        if self.rtt_probes == 0 {
            return Err(NetAuditError::InvalidConfig("rtt_probes must be at least 1"));
        }
        if self.loss_probes == 0 {
            return Err(NetAuditError::InvalidConfig("loss_probes must be at least 1"));
        }
        if self.bulk_bytes == 0 || self.bulk_bytes > MAX_BULK_BYTES {
            return Err(NetAuditError::InvalidConfig("bulk_bytes must be within 1..=MAX_BULK_BYTES"));
        }
        if self.connect_timeout.is_zero() || self.io_timeout.is_zero() || self.reply_timeout.is_zero() {
            return Err(NetAuditError::InvalidConfig("timeouts must be positive"));
        }
        Ok(())
    }
}

/// Order statistics of round-trip samples, in microseconds of the oracle's clock.
/// Percentiles are nearest-rank: the p-th is the smallest sample with at least p% of the
/// samples at or below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RttStats {
    /// Samples taken (TCP: the configured `rtt_probes`; UDP: the answered probes).
    pub samples: u32,
    pub min_us: u32,
    pub median_us: u32,
    pub p90_us: u32,
    pub max_us: u32,
}

impl RttStats {
    /// `None` for no samples.
    pub fn from_samples(samples: &[Duration]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut us: Vec<u32> = samples.iter().map(|d| d.as_micros().min(u128::from(u32::MAX)) as u32).collect();
        us.sort_unstable();
        let rank = |percent: usize| us[(us.len() * percent).div_ceil(100).max(1) - 1];
        Some(RttStats {
            samples: us.len() as u32,
            min_us: us[0],
            median_us: rank(50),
            p90_us: rank(90),
            max_us: us[us.len() - 1],
        })
    }
}

/// The UDP probes' fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossStats {
    pub sent: u32,
    /// Probes whose echo came back within the reply timeout.
    pub answered: u32,
    /// Echoes that came back after the reply timeout (their probes count as lost).
    pub late: u32,
    /// Echoes of an already answered probe (ignored).
    pub duplicates: u32,
    /// Round trips of the answered probes; `None` when none was answered.
    pub rtt: Option<RttStats>,
}

impl LossStats {
    pub fn lost(&self) -> u32 {
        self.sent - self.answered
    }

    /// lost / sent in basis points, rounded to nearest (10,000 = all lost).
    pub fn loss_bps(&self) -> u16 {
        loss_bps(self.lost(), self.sent)
    }
}

/// `lost` of `sent` in basis points, rounded to nearest; 0 when nothing was sent.
pub fn loss_bps(lost: u32, sent: u32) -> u16 {
    if sent == 0 {
        return 0;
    }
    let lost = u64::from(lost.min(sent));
    let sent = u64::from(sent);
    ((lost * 10_000 + sent / 2) / sent) as u16
}

/// One timed bulk transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub bytes: u64,
    /// Request written to last byte read (download) or to the receipt read (upload).
    pub elapsed: Duration,
    /// bytes x 8 / elapsed in megabits (10^6 bits) per second, rounded down.
    pub mbps: u32,
}

impl Transfer {
    pub fn new(bytes: u64, elapsed: Duration) -> Self {
        Transfer { bytes, elapsed, mbps: megabits_per_second(bytes, elapsed) }
    }
}

/// bytes x 8 / elapsed in megabits per second (bits per microsecond), rounded down,
/// saturating at `u32::MAX`; an elapsed time under 1 us counts as 1 us.
pub fn megabits_per_second(bytes: u64, elapsed: Duration) -> u32 {
    let us = elapsed.as_micros().max(1);
    (u128::from(bytes) * 8 / us).min(u128::from(u32::MAX)) as u32
}

/// What the oracle measured of a worker's link. The three registry figures come first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkReport {
    /// Median TCP round trip, microseconds (= `rtt.median_us`).
    pub rtt_us: u32,
    /// UDP probes lost, basis points (= `loss.loss_bps()`).
    pub packet_loss_bps: u16,
    /// The slower of download and upload, megabits per second.
    pub bandwidth_mbps: u32,
    pub rtt: RttStats,
    pub loss: LossStats,
    /// Worker to oracle.
    pub download: Transfer,
    /// Oracle to worker.
    pub upload: Transfer,
    /// The worker's UDP endpoint, as learned from its hello.
    pub udp_target: SocketAddr,
}

/// Audits the probe server whose TCP endpoint is `target`: a hello (which checks the
/// version and gives the UDP port), the TCP round trips, the UDP loss probes, then the
/// download and the upload. See the module documentation for each figure.
pub fn measure(target: SocketAddr, config: &AuditConfig) -> Result<NetworkReport, NetAuditError> {
    config.validate()?;
    let mut conn = Conn::connect(target, config)?;

    let hello = conn.request(Stage::Hello, Frame::request(Kind::Hello, 0, 0))?;
    let udp_port = u16::try_from(hello.arg).map_err(|_| NetAuditError::Protocol {
        stage: Stage::Hello,
        detail: format!("UDP port {} out of range", hello.arg),
    })?;
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
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => NetAuditError::Closed { addr, stage },
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
            return Err(NetAuditError::Protocol {
                stage,
                detail: format!("asked for {bytes} bytes, the worker announces {}", reply.arg),
            });
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

fn payload_chunk() -> Vec<u8> {
    (0..CHUNK).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)).collect()
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
    let mut drain = |deadline: Instant,
                     all: bool,
                     sent_at: &[Option<Instant>],
                     stats: &mut LossStats|
     -> Result<(), NetAuditError> {
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
        match socket.send(&frame) {
            Ok(_) => {}
            // The kernel's queue is full: the probe is lost on our side of the link, which
            // the pace should prevent; count it as sent and lost rather than abort.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(io(e)),
        }
        sent_at[seq] = Some(Instant::now());
        stats.sent += 1;
    }
    let last = sent_at[n - 1].expect("every probe is sent");
    drain(last + config.reply_timeout, true, &sent_at, &mut stats)?;
    stats.rtt = RttStats::from_samples(&rtts);
    Ok(stats)
}

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
            Some(Kind::Hello) => {
                stream.write_all(&Frame::reply(Kind::Hello, frame.seq, u64::from(udp_port)).encode())?
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trips() {
        let frame = Frame::request(Kind::Download, 7, 1 << 40);
        let bytes = frame.encode();
        assert_eq!(&bytes[0..4], &[b'I', b'O', VERSION, 0x03]);
        assert_eq!(Frame::decode(&bytes).unwrap(), frame);
        assert!(matches!(Frame::decode(&bytes[..15]), Err(NetAuditError::ShortFrame { len: 15 })));
        let mut bad = bytes;
        bad[0] = b'X';
        assert!(matches!(Frame::decode(&bad), Err(NetAuditError::BadMagic { got: [b'X', b'O'] })));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=10).rev().map(Duration::from_micros).collect();
        let stats = RttStats::from_samples(&samples).unwrap();
        assert_eq!((stats.min_us, stats.median_us, stats.p90_us, stats.max_us, stats.samples), (1, 5, 9, 10, 10));
        let one = RttStats::from_samples(&[Duration::from_micros(42)]).unwrap();
        assert_eq!((one.min_us, one.median_us, one.p90_us, one.max_us), (42, 42, 42, 42));
        assert_eq!(RttStats::from_samples(&[]), None);
    }

    #[test]
    fn loss_and_bandwidth_units() {
        assert_eq!(loss_bps(0, 1000), 0);
        assert_eq!(loss_bps(50, 1000), 500);
        assert_eq!(loss_bps(1, 3), 3_333);
        assert_eq!(loss_bps(2, 3), 6_667);
        assert_eq!(loss_bps(7, 7), 10_000);
        assert_eq!(loss_bps(0, 0), 0);
        // 125,000 bytes in 1 s = 1 Mbit/s.
        assert_eq!(megabits_per_second(125_000, Duration::from_secs(1)), 1);
        assert_eq!(megabits_per_second(1 << 30, Duration::from_millis(100)), 85_899);
        assert_eq!(megabits_per_second(u64::MAX, Duration::ZERO), u32::MAX);
    }
}
