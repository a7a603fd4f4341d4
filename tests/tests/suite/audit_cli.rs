//! `io audit` end to end: a node registered on the embedded bank, its worker agent served
//! over gRPC on loopback, and the oracle's audit read from the node's record and model.

use io_cli::poc_cmd::{run_audit, AuditArgs, AuditTuning};
use io_poc::netaudit::ProbeServer;
use io_poc::CpuBackend;
use io_proto::v1::worker_server::WorkerServer;
use io_tests::Harness;
use io_worker::{Inventory, WorkerAgent};
use solana_sdk::signature::{Keypair, Signer};
use std::sync::Arc;

const UUIDS: [&str; 2] = ["GPU-0d5e0c4a-1111-4c8b-8f6e-00000000000a", "GPU-0d5e0c4a-1111-4c8b-8f6e-00000000000b"];

/// Serves `node_key`'s agent on loopback from a thread of its own; returns the endpoint.
fn serve_agent(node_key: Keypair) -> String {
    let inventory = Inventory::declared("NVIDIA GeForce RTX 4090", &UUIDS, 24 << 30, "550.54.15", (12, 4));
    let probe = ProbeServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let agent = WorkerAgent::new(node_key, inventory, Arc::new(CpuBackend), probe);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            tonic::transport::Server::builder().add_service(WorkerServer::new(agent)).serve_with_incoming(incoming).await.unwrap();
        });
    });
    format!("http://{addr}")
}

#[test]
fn io_audit_checks_a_registered_node_against_its_record_and_model() {
    let mut h = Harness::new();
    let operator = h.operator();
    let mut spec = h.spec("RTX 4090", 2, 11);
    spec.gpu_uuids_hash = io_sdk::gpu_uuids_hash(&UUIDS);
    let (node, _) = h.register(&operator, spec);
    let node_id = node.pubkey();
    let endpoint = serve_agent(node);
    let tuning = |min_speed_bps| AuditTuning { stress_n: Some(256), openings: 192, second_look: false, k: 24, min_speed_bps };
    let args = |min_speed_bps| AuditArgs { node: node_id, endpoint: endpoint.clone(), tuning: tuning(min_speed_bps) };

    // No speed requirement: every stage passes, with the metrics the oracle measured.
    let out = run_audit(&mut h.net, args(0)).unwrap();
    assert!(out.contains("(RTX 4090, expected 82.60 TFLOPS)") && out.contains("verdict   verified"), "{out}");
    assert!(out.contains("loss 0 bps") && out.contains("n = 256, 2 GPU(s)"), "{out}");
    assert!(out.contains("per GPU   "), "each GPU's speed is shown: {out}");
    // The second look streams a whole product too, and an honest worker passes it.
    let second = AuditArgs { tuning: AuditTuning { second_look: true, ..tuning(0) }, ..args(0) };
    let out = run_audit(&mut h.net, second).unwrap();
    assert!(out.contains("verdict   verified"), "{out}");
    // At half the catalogue's speed this CPU is found out as no pair of RTX 4090s.
    let out = run_audit(&mut h.net, args(5_000)).unwrap();
    assert!(out.contains("verdict   failed: 2 GPUs claimed, but they worked as"), "{out}");
    // A node the registry does not know.
    let unknown = AuditArgs { node: Keypair::new().pubkey(), ..args(0) };
    assert!(run_audit(&mut h.net, unknown).unwrap_err().to_string().contains("is not in the registry"));
    // A setting no audit can run with is refused before any stage, not blamed on the node.
    let oversized = AuditArgs { tuning: AuditTuning { stress_n: Some(io_poc::MAX_N + 1), ..tuning(0) }, ..args(0) };
    assert!(run_audit(&mut h.net, oversized).unwrap_err().to_string().contains("stress_n must be within"));
    let no_openings = AuditArgs { tuning: AuditTuning { openings: 0, ..tuning(0) }, ..args(0) };
    assert!(run_audit(&mut h.net, no_openings).unwrap_err().to_string().contains("openings must be within"));
}
