//! The worker agent's gRPC service: it answers the oracle's four stages. It trusts nothing
//! it receives and claims nothing the oracle cannot check: the handshake is signed with
//! the node key, the product is checked by Freivalds' test, speed and network figures are
//! measured on the oracle's clock.

use crate::inventory::{Inventory, InventorySource};
use crate::stress::{Mangle, StressSessions};
use io_poc::handshake::{answer, HandshakeChallenge};
use io_poc::netaudit::ProbeServer;
use io_poc::{commitment, Backend, Challenge};
use io_proto::v1::worker_server::Worker;
use io_proto::v1::{self as pb, stress_chunk::Part};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// Result bytes per stream message (1 MiB).
const CHUNK_FLOATS: usize = 256 * 1024;

/// Ways a worker misbehaves, for the tests and the demo that show the oracle catching them.
/// An honest agent runs with `Honest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conduct {
    Honest,
    /// Returns the product with one entry off by one (version 1), or every tenth row off
    /// by one (version 2: the stress test checks sampled blocks).
    WrongResult,
    /// Multiplies the matrices of another seed.
    OtherSeed,
    /// Answers every handshake with the first signature it ever made.
    ReplayHandshake,
    /// Reports these GPU UUIDs instead of its own (signed correctly).
    ForeignUuids(Vec<String>),
}

pub struct WorkerAgent {
    node_key: Keypair,
    inventory: Inventory,
    backend: Arc<dyn Backend + Send + Sync>,
    probe: ProbeServer,
    conduct: Conduct,
    first_handshake: std::sync::Mutex<Option<pb::HandshakeReply>>,
    stress: StressSessions,
    /// The probe TCP port oracles are told, when it is not the probe server's own (a
    /// port forwarded to it, or a proxy in front of it).
    advertised_probe_port: Option<u16>,
}

impl WorkerAgent {
    pub fn new(node_key: Keypair, inventory: Inventory, backend: Arc<dyn Backend + Send + Sync>, probe: ProbeServer) -> Self {
        Self::with_conduct(node_key, inventory, backend, probe, Conduct::Honest)
    }

    pub fn with_conduct(
        node_key: Keypair,
        inventory: Inventory,
        backend: Arc<dyn Backend + Send + Sync>,
        probe: ProbeServer,
        conduct: Conduct,
    ) -> Self {
        Self::with_devices(node_key, inventory, vec![backend], probe, conduct)
    }

    /// An agent with one compute device per GPU (`devices[g]` answers GPU g's challenge;
    /// with fewer devices than GPUs claimed, devices take several challenges in turn).
    /// The version-1 stress test runs on the first device.
    pub fn with_devices(
        node_key: Keypair,
        inventory: Inventory,
        devices: Vec<Arc<dyn Backend + Send + Sync>>,
        probe: ProbeServer,
        conduct: Conduct,
    ) -> Self {
        let mangle = match conduct {
            Conduct::WrongResult => Some(Mangle::TenthOfRows),
            Conduct::OtherSeed => Some(Mangle::OtherSeed),
            _ => None,
        };
        let backend = devices.first().expect("at least one device").clone();
        let stress = StressSessions::new(devices, mangle);
        Self {
            node_key,
            inventory,
            backend,
            probe,
            conduct,
            first_handshake: std::sync::Mutex::new(None),
            stress,
            advertised_probe_port: None,
        }
    }

    /// Tells oracles to reach the probe server on `tcp_port` of the agent's host (the UDP
    /// port comes from the server's hello, which a forwarder rewrites).
    pub fn advertising_probe_port(mut self, tcp_port: u16) -> Self {
        self.advertised_probe_port = Some(tcp_port);
        self
    }

    pub fn node(&self) -> Pubkey {
        self.node_key.pubkey()
    }
}

fn bytes32(bytes: &[u8], what: &str) -> Result<[u8; 32], Status> {
    bytes.try_into().map_err(|_| Status::invalid_argument(format!("{what} must be 32 bytes")))
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<pb::StressChunk, Status>> + Send>>;
type CommitmentStream = Pin<Box<dyn Stream<Item = Result<pb::GpuCommitment, Status>> + Send>>;
type BeatStream = Pin<Box<dyn Stream<Item = Result<pb::Beat, Status>> + Send>>;

#[tonic::async_trait]
impl Worker for WorkerAgent {
    async fn inventory(&self, _: Request<pb::InventoryRequest>) -> Result<Response<pb::InventoryReply>, Status> {
        let inv = &self.inventory;
        Ok(Response::new(pb::InventoryReply {
            node: self.node().to_string(),
            source: match inv.source {
                InventorySource::Nvml => "nvml",
                InventorySource::AppleSilicon => "apple",
                InventorySource::Cpu => "cpu",
            }
            .into(),
            accelerators: inv
                .accelerators
                .iter()
                .map(|a| pb::Accelerator { uuid: a.uuid.clone(), name: a.name.clone(), memory_bytes: a.memory_bytes })
                .collect(),
            driver_version: inv.driver_version.clone(),
            cuda_major: inv.cuda.0.into(),
            cuda_minor: inv.cuda.1.into(),
            backend: self.backend.name(),
        }))
    }

    async fn handshake(&self, request: Request<pb::HandshakeRequest>) -> Result<Response<pb::HandshakeReply>, Status> {
        let r = request.into_inner();
        let node = Pubkey::from_str(&r.node).map_err(|_| Status::invalid_argument("node is not a public key"))?;
        if node != self.node() {
            return Err(Status::failed_precondition(format!("this agent is node {}, not {node}", self.node())));
        }
        let challenge = HandshakeChallenge {
            nonce: bytes32(&r.nonce, "nonce")?,
            oracle: Pubkey::from_str(&r.oracle).map_err(|_| Status::invalid_argument("oracle is not a public key"))?,
            node,
            issued_at: r.issued_at,
        };
        let uuids = match &self.conduct {
            Conduct::ForeignUuids(uuids) => uuids.clone(),
            _ => self.inventory.uuids(),
        };
        let reply = answer(&challenge, &self.node_key, uuids, self.inventory.driver_version.clone(), self.inventory.cuda);
        let reply = pb::HandshakeReply {
            gpu_uuids: reply.gpu_uuids,
            driver_version: reply.driver_version,
            cuda_major: reply.cuda.0.into(),
            cuda_minor: reply.cuda.1.into(),
            signature: reply.signature.as_ref().to_vec(),
        };
        let mut first = self.first_handshake.lock().expect("lock");
        if self.conduct == Conduct::ReplayHandshake {
            if let Some(old) = first.as_ref() {
                return Ok(Response::new(old.clone()));
            }
        }
        first.get_or_insert_with(|| reply.clone());
        Ok(Response::new(reply))
    }

    async fn load_stress(&self, request: Request<pb::LoadStressRequest>) -> Result<Response<pb::LoadStressReply>, Status> {
        Ok(Response::new(self.stress.load(request.into_inner()).await?))
    }

    type RunStressStream = CommitmentStream;

    async fn run_stress(&self, request: Request<pb::RunStressRequest>) -> Result<Response<CommitmentStream>, Status> {
        let (tx, rx) = tokio::sync::mpsc::channel(io_poc::stress::MAX_GPUS as usize);
        self.stress.run(request.into_inner(), tx)?;
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn open_stress(&self, request: Request<pb::OpenStressRequest>) -> Result<Response<pb::OpenStressReply>, Status> {
        Ok(Response::new(self.stress.open(request.get_ref())?))
    }

    type StressTestStream = ChunkStream;

    async fn stress_test(&self, request: Request<pb::StressRequest>) -> Result<Response<ChunkStream>, Status> {
        let r = request.into_inner();
        let mut seed = bytes32(&r.seed, "seed")?;
        if self.conduct == Conduct::OtherSeed {
            seed[0] ^= 1;
        }
        let challenge = Challenge::new(seed, r.n).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let backend = self.backend.clone();
        let wrong = self.conduct == Conduct::WrongResult;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            let result = backend.multiply(&challenge).map(|mut c| {
                if wrong {
                    let middle = c.len() / 2;
                    c[middle] += 1.0;
                }
                c
            });
            let c = match result {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.blocking_send(Err(Status::internal(format!("the compute backend failed: {e}"))));
                    return;
                }
            };
            // The commitment first: the oracle stops its clock when it arrives.
            if tx.blocking_send(Ok(pb::StressChunk { part: Some(Part::Commitment(commitment(&c).to_vec())) })).is_err() {
                return;
            }
            for chunk in c.chunks(CHUNK_FLOATS) {
                let bytes = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
                if tx.blocking_send(Ok(pb::StressChunk { part: Some(Part::Result(bytes)) })).is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn probe(&self, _: Request<pb::ProbeRequest>) -> Result<Response<pb::ProbeReply>, Status> {
        Ok(Response::new(pb::ProbeReply {
            tcp_port: self.advertised_probe_port.unwrap_or(self.probe.tcp_addr().port()).into(),
            udp_port: self.probe.udp_addr().port().into(),
        }))
    }

    type HeartbeatStream = BeatStream;

    async fn heartbeat(&self, request: Request<pb::HeartbeatRequest>) -> Result<Response<BeatStream>, Status> {
        let interval = Duration::from_millis(u64::from(request.into_inner().interval_ms.clamp(10, 60_000)));
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            for sequence in 0u64.. {
                ticker.tick().await;
                let sent_at_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
                if tx.send(Ok(pb::Beat { sequence, sent_at_ms })).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
