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
//!
//! The wire format lives in `wire`, the oracle's side in `client`, the worker's in `server`;
//! this file holds what both sides report: the configuration, the figures and the errors.
//! `impair` is for tests: an [`ImpairmentProxy`] on loopback that delays and drops
//! traffic between the two sides, so the figures can be checked against known values.

mod client;
pub mod impair;
mod server;
mod wire;

pub use client::measure;
pub use impair::{DirectionStats, Impairment, ImpairmentError, ImpairmentProxy, ImpairmentStats};
pub use server::{ProbeServer, ProbeServerStats};
pub use wire::{Frame, Kind, Refusal, FRAME_LEN, MAGIC, MAX_BULK_BYTES, REPLY, VERSION};

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

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
        Some(RttStats { samples: us.len() as u32, min_us: us[0], median_us: rank(50), p90_us: rank(90), max_us: us[us.len() - 1] })
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
