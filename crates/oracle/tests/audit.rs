//! Real worker agents on loopback, audited by the oracle over gRPC: an honest one passes,
//! and each way of cheating is caught by name.

use io_oracle::{audit_node, AuditSettings, Finding, NodeUnderAudit};
use io_poc::handshake::{ChallengeLedger, HandshakeError};
use io_poc::netaudit::{AuditConfig, ProbeServer};
use io_poc::stress::StressFailure;
use io_poc::CpuBackend;
use io_proto::v1::worker_server::WorkerServer;
use io_worker::{Conduct, Inventory, WorkerAgent};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::wrappers::TcpListenerStream;

const UUIDS: [&str; 2] = ["GPU-6a1c2f0e-aaaa-4d6e-9a51-000000000001", "GPU-6a1c2f0e-aaaa-4d6e-9a51-000000000002"];

/// Starts a worker agent on loopback; returns its endpoint and node key.
async fn worker(conduct: Conduct) -> (String, Pubkey) {
    let key = Keypair::new();
    let node = key.pubkey();
    let inventory = Inventory::declared("NVIDIA GeForce RTX 4090", &UUIDS, 24 << 30, "550.54.15", (12, 4));
    let probe = ProbeServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let agent = WorkerAgent::with_conduct(key, inventory, Arc::new(CpuBackend), probe, conduct);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder().add_service(WorkerServer::new(agent)).serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (format!("http://{addr}"), node)
}

fn settings() -> AuditSettings {
    AuditSettings {
        stress_n: Some(256),
        network: AuditConfig {
            rtt_probes: 10,
            loss_probes: 50,
            loss_interval: Duration::ZERO,
            bulk_bytes: 1 << 20,
            ..AuditConfig::default()
        },
        ..AuditSettings::default()
    }
}

/// The node as its registry record and the catalogue describe it; `expected` 0 makes no
/// speed claim (the honest CPU workers here are not GPUs).
fn record(node: Pubkey, expected_centi_tflops: u32) -> NodeUnderAudit {
    NodeUnderAudit { node, gpu_uuids_hash: io_sdk::gpu_uuids_hash(&UUIDS), gpu_count: UUIDS.len() as u16, expected_centi_tflops }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_worker_is_verified_with_measured_metrics() {
    let (endpoint, node) = worker(Conduct::Honest).await;
    let oracle = Pubkey::new_unique();
    let outcome = audit_node(&oracle, &endpoint, &record(node, 0), &mut ChallengeLedger::default(), &settings()).await;
    assert!(outcome.verified(), "{:?}", outcome.findings);
    assert_eq!(outcome.stress_n, 256);
    assert!(outcome.backend.starts_with("cpu"), "{}", outcome.backend);
    assert_eq!(outcome.metrics.packet_loss_bps, 0, "nothing is lost on loopback");
    assert!(outcome.metrics.bandwidth_mbps > 0);
    // Both claimed GPUs were challenged and timed, and the audit moved kilobytes: two
    // roots and at most 192 openings of a 1 KiB block (n = 256) with 8 proof hashes each.
    assert_eq!(outcome.gpu_centi_tflops.len(), 2);
    assert!(outcome.stress_bytes > 64 && outcome.stress_bytes <= 2 * io_poc::stress::wire_bytes(256, 192), "{}", outcome.stress_bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_claiming_more_gpus_than_the_worker_signs_for_is_caught() {
    let (endpoint, node) = worker(Conduct::Honest).await;
    let claims_eight = NodeUnderAudit { gpu_count: 8, ..record(node, 0) };
    let outcome = audit_node(&Pubkey::new_unique(), &endpoint, &claims_eight, &mut ChallengeLedger::default(), &settings()).await;
    assert!(matches!(outcome.findings[..], [Finding::GpuCountMismatch { claimed: 8, reported: 2 }]), "{:?}", outcome.findings);
    assert_eq!(io_oracle::policy::slash_reason(&outcome.findings), Some(io_staking::SlashReason::SpoofedHardware));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_product_is_caught() {
    let (endpoint, node) = worker(Conduct::WrongResult).await;
    let outcome = audit_node(&Pubkey::new_unique(), &endpoint, &record(node, 0), &mut ChallengeLedger::default(), &settings()).await;
    // Every tenth row is off: one of the 192 opened blocks lands on one (but with
    // probability 0.9^192 < 2e-9), and its Freivalds check fails.
    assert!(
        matches!(outcome.findings[..], [Finding::WrongBlock { failure: StressFailure::WrongBlock { .. }, .. }]),
        "{:?}",
        outcome.findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_for_another_seed_is_caught() {
    let (endpoint, node) = worker(Conduct::OtherSeed).await;
    let outcome = audit_node(&Pubkey::new_unique(), &endpoint, &record(node, 0), &mut ChallengeLedger::default(), &settings()).await;
    assert!(
        matches!(outcome.findings[..], [Finding::WrongBlock { gpu: 0, failure: StressFailure::WrongBlock { .. } }]),
        "{:?}",
        outcome.findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_handshake_is_caught() {
    let (endpoint, node) = worker(Conduct::ReplayHandshake).await;
    let oracle = Pubkey::new_unique();
    let mut ledger = ChallengeLedger::default();
    let first = audit_node(&oracle, &endpoint, &record(node, 0), &mut ledger, &settings()).await;
    assert!(first.verified(), "{:?}", first.findings);
    // The next audit's challenge is fresh; the old signature does not cover it.
    let second = audit_node(&oracle, &endpoint, &record(node, 0), &mut ledger, &settings()).await;
    assert!(matches!(second.findings[..], [Finding::Handshake(HandshakeError::BadSignature)]), "{:?}", second.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_uuids_that_do_not_match_the_record_are_caught() {
    let (endpoint, node) = worker(Conduct::ForeignUuids(vec!["GPU-ffffffff-0000-0000-0000-000000000000".into()])).await;
    let outcome = audit_node(&Pubkey::new_unique(), &endpoint, &record(node, 0), &mut ChallengeLedger::default(), &settings()).await;
    assert!(matches!(outcome.findings[..], [Finding::Handshake(HandshakeError::UuidMismatch)]), "{:?}", outcome.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_claiming_a_far_faster_gpu_is_caught() {
    // Registered as an H100 (66.90 TFLOPS), running on this machine's CPU.
    let (endpoint, node) = worker(Conduct::Honest).await;
    let outcome = audit_node(&Pubkey::new_unique(), &endpoint, &record(node, 6_690), &mut ChallengeLedger::default(), &settings()).await;
    match &outcome.findings[..] {
        [Finding::CountNotProven { claimed: 2, equivalent_centi_gpus }] => assert!(*equivalent_centi_gpus < 100),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_of_another_node_and_a_dead_endpoint_are_findings() {
    let (endpoint, _) = worker(Conduct::Honest).await;
    let outcome =
        audit_node(&Pubkey::new_unique(), &endpoint, &record(Pubkey::new_unique(), 0), &mut ChallengeLedger::default(), &settings()).await;
    assert!(matches!(outcome.findings[..], [Finding::Unreachable(_)]), "{:?}", outcome.findings);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let outcome =
        audit_node(&Pubkey::new_unique(), &dead, &record(Pubkey::new_unique(), 0), &mut ChallengeLedger::default(), &settings()).await;
    assert!(matches!(outcome.findings[..], [Finding::Unreachable(_)]), "{:?}", outcome.findings);
}

/// A worker keeps each finished stress test for its openings (minutes), at most
/// `MAX_SESSIONS` of them: once other audits hold them all, it refuses the next load. That
/// is the worker busy, not the node failing: the audit is inconclusive, with no slash and
/// (in the daemon) no verdict. Before, it was "worker unreachable", and a quorum of busy
/// audits suspended an honest node (the validator check's three oracles did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_stress_sessions_are_all_taken_is_busy_not_failed() {
    let (endpoint, node) = worker(Conduct::Honest).await;
    let oracle = Pubkey::new_unique();
    let mut ledger = ChallengeLedger::default();
    for i in 0..io_worker::stress::MAX_SESSIONS {
        let outcome = audit_node(&oracle, &endpoint, &record(node, 0), &mut ledger, &settings()).await;
        assert!(outcome.verified(), "audit {i}: {:?}", outcome.findings);
        assert!(!outcome.inconclusive());
    }
    let outcome = audit_node(&oracle, &endpoint, &record(node, 0), &mut ledger, &settings()).await;
    match &outcome.findings[..] {
        [Finding::WorkerBusy(why)] => assert_eq!(why, &format!("{} stress sessions are open", io_worker::stress::MAX_SESSIONS)),
        other => panic!("{other:?}"),
    }
    assert!(outcome.inconclusive() && !outcome.verified());
    assert_eq!(io_oracle::policy::slash_reason(&outcome.findings), None);
}
