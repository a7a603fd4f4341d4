//! One audit of one node, stage by stage:
//! 1. inventory (what the worker says; informative),
//! 2. handshake: a fresh challenge signed by the node key with the GPU UUIDs, which must
//!    hash to the record's `gpu_uuids_hash` (`io_poc::handshake`),
//!    The number of UUIDs must be the record's GPU count.
//! 3. stress test (`io_poc::stress`): one seeded product per claimed GPU, loaded before the
//!    clock starts, run in one window that opens when the oracle reveals the secret
//!    diagonals and closes per GPU at its Merkle root; then sampled blocks of every
//!    product opened and checked, and each GPU's speed against the catalogue. A node
//!    whose GPUs together deliver less than half of what its claim must is proposed for
//!    slashing (`Finding::CountNotProven`). On request (`second_look`) the version-1 test
//!    follows: one whole product streamed and checked in full by Freivalds' test,
//! 4. network: RTT, loss and bandwidth measured against the worker's probe server.
//!
//! Every failure is a named `Finding`; a node is verified only with none.

mod stress;
pub use stress::judge_speed;
use stress::{centi, second_look, stress};

use crate::window::WindowTicket;
use io_poc::handshake::{ChallengeLedger, HandshakeChallenge, HandshakeError, HandshakeReply};
use io_poc::netaudit::{self, NetAuditError};
use io_poc::stress::{StressFailure, StressSpec};
use io_poc::CheckFailure;
use io_proto::v1 as pb;
use io_proto::v1::worker_client::WorkerClient;
use io_registry::NodeMetrics;
use rand::RngCore;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;
use thiserror::Error;

/// What the oracle knows of the node from the registry and the catalogue.
#[derive(Clone, Debug)]
pub struct NodeUnderAudit {
    pub node: Pubkey,
    pub gpu_uuids_hash: [u8; 32],
    /// GPUs the record claims: every one is challenged, none is taken on trust.
    pub gpu_count: u16,
    /// The catalogue's expected TFLOPS of one GPU of the node's model, x 100.
    pub expected_centi_tflops: u32,
}

/// How the oracle audits.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    pub handshake_ttl_secs: i64,
    /// Blocks opened per GPU: a worker faking a fraction f of its product escapes with
    /// probability (1-f)^openings.
    pub openings: u32,
    /// Also run the version-1 test (the whole product streamed and checked in full): a
    /// second look at a suspect node, at 4 n^2 bytes of transfer.
    pub second_look: bool,
    /// The second look's Freivalds check: a wrong product passes with probability at most
    /// 2^-k.
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
        if self.openings == 0 || self.openings > io_poc::stress::MAX_OPENINGS {
            return Err(format!("openings must be within 1..={}", io_poc::stress::MAX_OPENINGS));
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
            openings: io_poc::stress::DEFAULT_OPENINGS,
            second_look: false,
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
    #[error("the record claims {claimed} GPUs, the worker signed for {reported}")]
    GpuCountMismatch { claimed: u16, reported: usize },
    #[error("GPU {gpu}: {failure}")]
    WrongBlock { gpu: u32, failure: StressFailure },
    #[error("the result does not match the worker's commitment")]
    CommitmentMismatch,
    #[error("the product is wrong: {0}")]
    WrongProduct(CheckFailure),
    #[error("GPU {gpu} measured {measured_centi_tflops} centi-TFLOPS, below the share required of the model's {expected_centi_tflops}")]
    TooSlow { gpu: u32, measured_centi_tflops: u32, expected_centi_tflops: u32 },
    #[error("{claimed} GPUs claimed, but they worked as {equivalent_centi_gpus} hundredths of GPUs (less than half the claim)")]
    CountNotProven { claimed: u16, equivalent_centi_gpus: u32 },
    #[error("network audit failed: {0}")]
    Network(NetAuditError),
    #[error("GPU {gpu} already counts for node {node}: one GPU is counted once")]
    GpuCountedElsewhere { gpu: String, node: Pubkey },
    /// The worker refused the stress test's load for want of room: its stress slot or its
    /// sessions are taken by other oracles' audits. Not a failure of the node: the audit
    /// is inconclusive and nothing is attested (see [`AuditOutcome::inconclusive`]).
    #[error("the worker is busy with other audits: {0}")]
    WorkerBusy(String),
}

/// The audit's result: verified (no finding) or not, and the metrics measured.
#[derive(Debug)]
pub struct AuditOutcome {
    pub findings: Vec<Finding>,
    pub metrics: NodeMetrics,
    pub stress_n: u32,
    /// The whole window: from the secret's reveal to the last GPU's root.
    pub stress_elapsed: Duration,
    /// Each GPU's measured speed, centi-TFLOPS, in GPU order.
    pub gpu_centi_tflops: Vec<u32>,
    /// Bytes of stress-test payload the oracle received (roots and openings).
    pub stress_bytes: usize,
    pub backend: String,
    /// The UUIDs the worker signed for in its handshake (once it passed).
    pub gpu_uuids: Vec<String>,
}

impl AuditOutcome {
    pub fn verified(&self) -> bool {
        self.findings.is_empty()
    }

    /// Whether the audit could not measure the node at all because its worker was busy
    /// with other audits: no verdict either way, the node is audited again later. (A
    /// worker that always says so is never verified, and a verified one lapses with its
    /// lease.)
    pub fn inconclusive(&self) -> bool {
        self.findings.iter().any(|f| matches!(f, Finding::WorkerBusy(_)))
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
    let shared = tokio::sync::Mutex::new(std::mem::take(ledger));
    let outcome = audit_node_shared(oracle, endpoint, node, &shared, settings, None).await;
    *ledger = shared.into_inner();
    outcome
}

/// [`audit_node`] for audits that run at once: the ledger is locked only while a
/// challenge is issued or checked, and with a `window` ticket the stress test starts when
/// every audit of its group has loaded its challenges (`crate::window`).
pub async fn audit_node_shared(
    oracle: &Pubkey,
    endpoint: &str,
    node: &NodeUnderAudit,
    ledger: &tokio::sync::Mutex<ChallengeLedger>,
    settings: &AuditSettings,
    window: Option<WindowTicket>,
) -> AuditOutcome {
    let mut outcome = AuditOutcome {
        findings: vec![],
        metrics: NodeMetrics { verified_centi_tflops: 0, rtt_us: 0, bandwidth_mbps: 0, packet_loss_bps: 0 },
        stress_n: 0,
        stress_elapsed: Duration::ZERO,
        gpu_centi_tflops: vec![],
        stress_bytes: 0,
        backend: String::new(),
        gpu_uuids: vec![],
    };
    if let Err(finding) = run_stages(oracle, endpoint, node, ledger, settings, window, &mut outcome).await {
        outcome.findings.push(finding);
    }
    outcome
}

async fn run_stages(
    oracle: &Pubkey,
    endpoint: &str,
    node: &NodeUnderAudit,
    ledger: &tokio::sync::Mutex<ChallengeLedger>,
    settings: &AuditSettings,
    window: Option<WindowTicket>,
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
    ledger.lock().await.issue(challenge);
    let request = pb::HandshakeRequest {
        nonce: nonce.to_vec(),
        oracle: oracle.to_string(),
        node: node.node.to_string(),
        issued_at: challenge.issued_at,
    };
    let reply = worker.handshake(request).await.map_err(|e| unreachable(&e))?.into_inner();
    let signature =
        Signature::try_from(reply.signature.as_slice()).map_err(|_| Finding::MalformedHandshake("signature is not 64 bytes".into()))?;
    let cuda = (u8::try_from(reply.cuda_major).unwrap_or(u8::MAX), u8::try_from(reply.cuda_minor).unwrap_or(u8::MAX));
    let reply = HandshakeReply { gpu_uuids: reply.gpu_uuids, driver_version: reply.driver_version, cuda, signature };
    ledger
        .lock()
        .await
        .verify(&nonce, &reply, &node.gpu_uuids_hash, unix_now(), settings.handshake_ttl_secs)
        .map_err(Finding::Handshake)?;

    if reply.gpu_uuids.len() != usize::from(node.gpu_count) {
        return Err(Finding::GpuCountMismatch { claimed: node.gpu_count, reported: reply.gpu_uuids.len() });
    }
    outcome.gpu_uuids = reply.gpu_uuids;

    // Stage 3.
    let n = settings.stress_n.unwrap_or_else(|| io_poc::challenge_size(node.expected_centi_tflops, Duration::from_millis(200)));
    outcome.stress_n = n;
    let elapsed = stress(&mut worker, node, settings, n, window, outcome).await?;
    let flops = StressSpec::new([0; 32], n, 1).map_or(0.0, |s| s.flops_per_gpu());
    outcome.gpu_centi_tflops = elapsed.iter().map(|e| centi(flops / e.as_secs_f64().max(1e-9))).collect();
    outcome.metrics.verified_centi_tflops = judge_speed(flops, &elapsed, node.expected_centi_tflops, settings.min_speed_share_bps)?;
    if settings.second_look {
        second_look(&mut worker, settings, n).await?;
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 x 4096^3 FLOP = 0.137 TFLOP: 1 s of a GPU rated 13.7 centi-TFLOPS.
    const FLOPS: f64 = 2.0 * 4096.0 * 4096.0 * 4096.0;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn eight_gpus_each_at_their_models_speed_are_credited_it() {
        // Rated 14 centi-TFLOPS, half required: every GPU done in about a second.
        let elapsed: Vec<Duration> = (0..8).map(|g| MS(1_000 + 10 * g)).collect();
        assert_eq!(judge_speed(FLOPS, &elapsed, 14, 5_000).unwrap(), 13); // 8 x FLOPS / 1.07 s / 8 = 12.8
    }

    #[test]
    fn one_device_answering_for_eight_is_a_count_not_proven_in_turn_or_at_once() {
        // In turn: roots at 1, 2, ..., 8 s. Together 8 products in 8 s: one GPU's worth,
        // an eighth of the claim; the required half of eight at half speed is two.
        let in_turn: Vec<Duration> = (1..=8).map(|g| MS(1_000 * g)).collect();
        // 13.74 / 7 = 1.96 GPUs at the required speed.
        match judge_speed(FLOPS, &in_turn, 14, 5_000) {
            Err(Finding::CountNotProven { claimed: 8, equivalent_centi_gpus }) => assert_eq!(equivalent_centi_gpus, 196),
            other => panic!("{other:?}"),
        }
        // At once: all eight roots after 8 s.
        let at_once = vec![MS(8_000); 8];
        assert!(matches!(judge_speed(FLOPS, &at_once, 14, 5_000), Err(Finding::CountNotProven { claimed: 8, .. })));
        // In turn on a device rated far below what it does (or a model rated 0): the
        // roots' spacing alone counts 1 + 1/2 + ... + 1/8 = 2.72 concurrent GPUs.
        for rating in [0, 1] {
            match judge_speed(FLOPS, &in_turn, rating, 5_000) {
                Err(Finding::CountNotProven { claimed: 8, equivalent_centi_gpus: 272 }) => {}
                other => panic!("rated {rating}: {other:?}"),
            }
        }
        // Two devices for four claimed GPUs at a 70% share: half of the claim's speed
        // delivered, 0.5 / 0.7 = 71% of what the claim needs at least ...
        let two_for_four = vec![MS(1_000), MS(1_000), MS(2_000), MS(2_000)];
        match judge_speed(FLOPS, &two_for_four, 14, 7_000) {
            // ... which is more than half: no slash, but the later two are too slow.
            Err(Finding::TooSlow { gpu: 2, measured_centi_tflops: 7, expected_centi_tflops: 14 }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_slow_gpu_of_eight_is_too_slow_and_not_a_spoof() {
        let mut elapsed = vec![MS(1_000); 8];
        elapsed[5] = MS(2_500); // 5.5 of 14 centi-TFLOPS: 39% of the model's speed
        match judge_speed(FLOPS, &elapsed, 14, 5_000) {
            Err(Finding::TooSlow { gpu: 5, measured_centi_tflops: 5, expected_centi_tflops: 14 }) => {}
            other => panic!("{other:?}"),
        }
        // Rated low enough, the throttled GPU passes: 7.4 of 8 worked concurrently.
        assert_eq!(judge_speed(FLOPS, &elapsed, 1, 5_000).unwrap(), 5); // 8 x FLOPS / 2.5 s / 8
                                                                        // No speed claim (a model of 0 TFLOPS): nothing is too slow, at least 1 credited.
        assert_eq!(judge_speed(1.0, &[MS(1_000)], 0, 5_000).unwrap(), 1);
    }
}
