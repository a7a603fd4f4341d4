//! One audit of one node, stage by stage:
//! 1. inventory (what the worker says; informative),
//! 2. handshake: a fresh challenge signed by the node key with the GPU UUIDs, which must
//!    hash to the record's `gpu_uuids_hash` (`io_poc::handshake`),
//! 3. stress test: the seeded product sized for the claimed GPU, timed on the oracle's
//!    clock up to the worker's commitment, then the result checked against the commitment
//!    and by Freivalds' test (`io_poc::freivalds`), and the speed against the catalogue,
//! 4. network: RTT, loss and bandwidth measured against the worker's probe server.
//! Every failure is a named `Finding`; a node is verified only with none.

use io_poc::handshake::{ChallengeLedger, HandshakeChallenge, HandshakeError, HandshakeReply};
use io_poc::netaudit::{self, NetAuditError};
use io_poc::{check_prepared, commitment, speed_verdict, CheckFailure, Challenge, Prepared};
use io_proto::v1::worker_client::WorkerClient;
use io_proto::v1::{self as pb, stress_chunk::Part};
use io_registry::NodeMetrics;
use rand::{RngCore, SeedableRng};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};
use thiserror::Error;

/// What the oracle knows of the node from the registry and the catalogue.
#[derive(Clone, Debug)]
pub struct NodeUnderAudit {
    pub node: Pubkey,
    pub gpu_uuids_hash: [u8; 32],
    /// The catalogue's expected TFLOPS of one GPU of the node's model, x 100.
    pub expected_centi_tflops: u32,
}

/// How the oracle audits.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    pub handshake_ttl_secs: i64,
    /// A wrong product passes with probability at most 2^-k.
    pub soundness_bits: u32,
    /// The stress test's size; `None` sizes it for the claimed GPU (`io_poc::challenge_size`).
    pub stress_n: Option<u32>,
    /// A node must reach this share of its model's expected TFLOPS.
    pub min_speed_share_bps: u16,
    pub network: netaudit::AuditConfig,
    /// Limit on every gRPC call (the stress test's included).
    pub call_timeout: Duration,
}

impl AuditSettings {
    /// Refuses settings no audit could run with, before any node is audited (a bad
    /// setting must never read as a finding against a node).
    pub fn validate(&self) -> Result<(), String> {
        if let Some(n) = self.stress_n {
            if n == 0 || n > io_poc::MAX_N {
                return Err(format!("stress_n must be within 1..={}", io_poc::MAX_N));
            }
        }
        if self.soundness_bits == 0 || self.soundness_bits > 256 {
            return Err("soundness_bits must be within 1..=256".into());
        }
        if self.min_speed_share_bps > 10_000 {
            return Err("min_speed_share_bps is at most 10000".into());
        }
        if self.handshake_ttl_secs <= 0 || self.call_timeout.is_zero() {
            return Err("the handshake lifetime and the call timeout must be positive".into());
        }
        self.network.validate().map_err(|e| e.to_string())
    }
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            handshake_ttl_secs: 30,
            // One round at n <= 2896 (25 bits a round at n = 2048).
            soundness_bits: 24,
            stress_n: None,
            min_speed_share_bps: 5_000,
            network: netaudit::AuditConfig::default(),
            call_timeout: Duration::from_secs(120),
        }
    }
}

/// A reason a node fails its audit.
#[derive(Debug, Error)]
pub enum Finding {
    #[error("worker unreachable: {0}")]
    Unreachable(String),
    #[error("handshake refused: {0}")]
    Handshake(HandshakeError),
    #[error("malformed handshake: {0}")]
    MalformedHandshake(String),
    #[error("the result does not match the worker's commitment")]
    CommitmentMismatch,
    #[error("the product is wrong: {0}")]
    WrongProduct(CheckFailure),
    #[error("measured {measured_centi_tflops} centi-TFLOPS, below the share required of the model's {expected_centi_tflops}")]
    TooSlow { measured_centi_tflops: u32, expected_centi_tflops: u32 },
    #[error("network audit failed: {0}")]
    Network(NetAuditError),
}

/// The audit's result: verified (no finding) or not, and the metrics measured.
#[derive(Debug)]
pub struct AuditOutcome {
    pub findings: Vec<Finding>,
    pub metrics: NodeMetrics,
    pub stress_n: u32,
    pub stress_elapsed: Duration,
    pub backend: String,
}

impl AuditOutcome {
    pub fn verified(&self) -> bool {
        self.findings.is_empty()
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Audits `node` through its worker agent at `endpoint` ("http://host:port"). The stages
/// run in order and stop at the first that fails; `ledger` holds this oracle's open and
/// answered handshake challenges (a replay is refused across audits).
pub async fn audit_node(
    oracle: &Pubkey,
    endpoint: &str,
    node: &NodeUnderAudit,
    ledger: &mut ChallengeLedger,
    settings: &AuditSettings,
) -> AuditOutcome {
    let mut outcome = AuditOutcome {
        findings: vec![],
        metrics: NodeMetrics { verified_centi_tflops: 0, rtt_us: 0, bandwidth_mbps: 0, packet_loss_bps: 0 },
        stress_n: 0,
        stress_elapsed: Duration::ZERO,
        backend: String::new(),
    };
    if let Err(finding) = run_stages(oracle, endpoint, node, ledger, settings, &mut outcome).await {
        outcome.findings.push(finding);
    }
    outcome
}

async fn run_stages(
    oracle: &Pubkey,
    endpoint: &str,
    node: &NodeUnderAudit,
    ledger: &mut ChallengeLedger,
    settings: &AuditSettings,
    outcome: &mut AuditOutcome,
) -> Result<(), Finding> {
    let unreachable = |e: &dyn std::fmt::Display| Finding::Unreachable(e.to_string());
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_string())
        .map_err(|e| unreachable(&e))?
        .timeout(settings.call_timeout)
        .connect()
        .await
        .map_err(|e| unreachable(&e))?;
    let mut worker = WorkerClient::new(channel).max_decoding_message_size(64 << 20);

    // Stage 1.
    let inventory = worker.inventory(pb::InventoryRequest {}).await.map_err(|e| unreachable(&e))?.into_inner();
    outcome.backend = inventory.backend;

    // Stage 2.
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let challenge = HandshakeChallenge { nonce, oracle: *oracle, node: node.node, issued_at: unix_now() };
    ledger.issue(challenge);
    let request = pb::HandshakeRequest { nonce: nonce.to_vec(), oracle: oracle.to_string(), node: node.node.to_string(), issued_at: challenge.issued_at };
    let reply = worker.handshake(request).await.map_err(|e| unreachable(&e))?.into_inner();
    let signature = Signature::try_from(reply.signature.as_slice()).map_err(|_| Finding::MalformedHandshake("signature is not 64 bytes".into()))?;
    let cuda = (u8::try_from(reply.cuda_major).unwrap_or(u8::MAX), u8::try_from(reply.cuda_minor).unwrap_or(u8::MAX));
    let reply = HandshakeReply { gpu_uuids: reply.gpu_uuids, driver_version: reply.driver_version, cuda, signature };
    ledger.verify(&nonce, &reply, &node.gpu_uuids_hash, unix_now(), settings.handshake_ttl_secs).map_err(Finding::Handshake)?;

    // Stage 3: the oracle prepares its side while the worker computes.
    let n = settings.stress_n.unwrap_or_else(|| io_poc::challenge_size(node.expected_centi_tflops, Duration::from_millis(200)));
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let challenge = Challenge::new(seed, n).map_err(|e| Finding::Unreachable(e.to_string()))?;
    outcome.stress_n = n;
    let started = Instant::now();
    let mut stream = worker.stress_test(pb::StressRequest { seed: seed.to_vec(), n }).await.map_err(|e| unreachable(&e))?.into_inner();
    let bits = settings.soundness_bits;
    let prepared = tokio::task::spawn_blocking(move || Prepared::new(challenge, bits, &mut rand::rngs::StdRng::from_entropy()));
    let committed = match stream.message().await.map_err(|e| unreachable(&e))? {
        Some(pb::StressChunk { part: Some(Part::Commitment(c)) }) => c,
        _ => return Err(Finding::Unreachable("the stress test did not start with a commitment".into())),
    };
    outcome.stress_elapsed = started.elapsed();
    let mut result: Vec<f32> = Vec::with_capacity(challenge.size() * challenge.size());
    while let Some(chunk) = stream.message().await.map_err(|e| unreachable(&e))? {
        let Some(Part::Result(bytes)) = chunk.part else {
            return Err(Finding::Unreachable("unexpected message in the result stream".into()));
        };
        if bytes.len() % 4 != 0 || result.len() + bytes.len() / 4 > challenge.size() * challenge.size() {
            return Err(Finding::WrongProduct(CheckFailure::WrongSize { got: result.len() + bytes.len() / 4, expected: challenge.size() * challenge.size() }));
        }
        result.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))));
    }
    let prepared = prepared.await.map_err(|e| Finding::Unreachable(e.to_string()))?;
    if commitment(&result).as_slice() != committed.as_slice() {
        return Err(Finding::CommitmentMismatch);
    }
    let checked = tokio::task::spawn_blocking(move || check_prepared(&prepared, &result))
    .await
    .map_err(|e| Finding::Unreachable(e.to_string()))?;
    checked.map_err(Finding::WrongProduct)?;
    let speed = speed_verdict(challenge.flops(), outcome.stress_elapsed, node.expected_centi_tflops, settings.min_speed_share_bps);
    outcome.metrics.verified_centi_tflops = speed.measured_centi_tflops;
    if !speed.plausible {
        return Err(Finding::TooSlow { measured_centi_tflops: speed.measured_centi_tflops, expected_centi_tflops: speed.expected_centi_tflops });
    }
    // A node fast enough for its model is credited at least the smallest unit: the
    // registry takes a verified node's speed as non-zero, and a slow model's measured
    // speed can round down to nothing.
    outcome.metrics.verified_centi_tflops = speed.measured_centi_tflops.max(1);

    // Stage 4: against the probe server on the worker's host.
    let ports = worker.probe(pb::ProbeRequest {}).await.map_err(|e| unreachable(&e))?.into_inner();
    let uri: tonic::transport::Uri = endpoint.parse().map_err(|e| unreachable(&e))?;
    let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let target: SocketAddr = (host, u16::try_from(ports.tcp_port).unwrap_or(0))
        .to_socket_addrs()
        .map_err(|e| unreachable(&e))?
        .next()
        .ok_or_else(|| Finding::Unreachable(format!("{host} does not resolve")))?;
    let network = settings.network.clone();
    let report = tokio::task::spawn_blocking(move || netaudit::measure(target, &network))
        .await
        .map_err(|e| Finding::Unreachable(e.to_string()))?
        .map_err(Finding::Network)?;
    outcome.metrics.rtt_us = report.rtt_us;
    outcome.metrics.bandwidth_mbps = report.bandwidth_mbps;
    outcome.metrics.packet_loss_bps = report.packet_loss_bps;
    Ok(())
}
