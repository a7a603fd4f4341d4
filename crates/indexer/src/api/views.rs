//! What the API returns, as JSON: keys and hashes in base58 (as Solana tools print them),
//! enums by name, H3 cells in their usual hexadecimal form.

use io_registry::{CudaVersion, GpuCatalogue, NodeMetrics, NodeRecord, NodeStatus, Tier};
use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;
use utoipa::ToSchema;

/// A 32-byte hash in base58, the form DAS proofs use.
pub fn b58(bytes: [u8; 32]) -> String {
    Pubkey::new_from_array(bytes).to_string()
}

/// One leaf's record.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NodeView {
    /// The tree holding the record.
    pub tree: String,
    pub leaf_index: u32,
    /// The record's layout version.
    pub version: u8,
    pub node_id: String,
    pub operator: String,
    /// Pending, Verified, Suspended or Retired.
    pub status: String,
    /// Catalogue id of the GPU model.
    pub gpu_model: u16,
    /// The model's catalogue name, when the server has the catalogue.
    pub gpu_model_name: Option<String>,
    pub gpu_count: u16,
    /// Enterprise, MidMarket or Consumer.
    pub tier: String,
    /// "major.minor".
    pub cuda: String,
    /// The node's H3 cell, hexadecimal.
    pub region: String,
    /// The hash of the node's GPU set.
    pub gpu_uuids_hash: String,
    /// Per-GPU throughput the oracles measured, hundredths of a TFLOPS.
    pub verified_centi_tflops: u32,
    pub rtt_us: u32,
    pub bandwidth_mbps: u32,
    /// Packet loss in basis points.
    pub packet_loss_bps: u16,
    /// Score in basis points.
    pub score: u16,
    pub last_attested_epoch: u64,
    pub lease_end_epoch: u64,
    pub registered_at: i64,
    pub deposit_lamports: u64,
}

impl NodeView {
    pub fn new(tree: &Pubkey, r: &NodeRecord, catalogue: Option<&GpuCatalogue>) -> Self {
        Self {
            tree: tree.to_string(),
            leaf_index: r.leaf_index,
            version: r.version,
            node_id: r.node_id.to_string(),
            operator: r.operator.to_string(),
            status: format!("{:?}", r.status),
            gpu_model: r.gpu_model,
            gpu_model_name: catalogue.and_then(|c| c.models.iter().find(|m| m.id == r.gpu_model)).map(|m| m.name.clone()),
            gpu_count: r.gpu_count,
            tier: format!("{:?}", r.tier),
            cuda: format!("{}.{}", r.cuda.major, r.cuda.minor),
            region: format!("{:x}", r.region),
            gpu_uuids_hash: b58(r.gpu_uuids_hash),
            verified_centi_tflops: r.metrics.verified_centi_tflops,
            rtt_us: r.metrics.rtt_us,
            bandwidth_mbps: r.metrics.bandwidth_mbps,
            packet_loss_bps: r.metrics.packet_loss_bps,
            score: r.score,
            last_attested_epoch: r.last_attested_epoch,
            lease_end_epoch: r.lease_end_epoch,
            registered_at: r.registered_at,
            deposit_lamports: r.deposit_lamports,
        }
    }
}

/// Why a view does not convert back into a record.
#[derive(Debug, thiserror::Error)]
#[error("node view field {field}: {value:?} does not parse")]
pub struct ViewError {
    pub field: &'static str,
    pub value: String,
}

fn parse<T: std::str::FromStr>(field: &'static str, value: &str) -> Result<T, ViewError> {
    value.parse().map_err(|_| ViewError { field, value: value.to_string() })
}

fn named<T: Copy + std::fmt::Debug>(field: &'static str, value: &str, all: &[T]) -> Result<T, ViewError> {
    all.iter().find(|v| format!("{v:?}") == value).copied().ok_or_else(|| ViewError { field, value: value.to_string() })
}

impl NodeView {
    /// The tree and the record the view shows, exactly (every field round-trips).
    pub fn record(&self) -> Result<(Pubkey, NodeRecord), ViewError> {
        let (major, minor) = self.cuda.split_once('.').ok_or_else(|| ViewError { field: "cuda", value: self.cuda.clone() })?;
        let region = u64::from_str_radix(&self.region, 16).map_err(|_| ViewError { field: "region", value: self.region.clone() })?;
        let statuses = [NodeStatus::Pending, NodeStatus::Verified, NodeStatus::Suspended, NodeStatus::Retired];
        let record = NodeRecord {
            version: self.version,
            node_id: parse("node_id", &self.node_id)?,
            operator: parse("operator", &self.operator)?,
            leaf_index: self.leaf_index,
            gpu_model: self.gpu_model,
            gpu_count: self.gpu_count,
            tier: named("tier", &self.tier, &Tier::ALL)?,
            cuda: CudaVersion { major: parse("cuda", major)?, minor: parse("cuda", minor)? },
            region,
            gpu_uuids_hash: parse::<Pubkey>("gpu_uuids_hash", &self.gpu_uuids_hash)?.to_bytes(),
            status: named("status", &self.status, &statuses)?,
            metrics: NodeMetrics {
                verified_centi_tflops: self.verified_centi_tflops,
                rtt_us: self.rtt_us,
                bandwidth_mbps: self.bandwidth_mbps,
                packet_loss_bps: self.packet_loss_bps,
            },
            last_attested_epoch: self.last_attested_epoch,
            score: self.score,
            registered_at: self.registered_at,
            deposit_lamports: self.deposit_lamports,
            lease_end_epoch: self.lease_end_epoch,
        };
        Ok((parse("tree", &self.tree)?, record))
    }
}

/// A page of leaves, in (tree, leaf index) order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NodePage {
    pub nodes: Vec<NodeView>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next: Option<String>,
}

/// One change of a node key's leaves.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// The transaction's position in the indexed ledger.
    pub seq: u64,
    /// Registered, Updated, Retired or Attested.
    pub change: String,
    pub record: NodeView,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    pub node_id: String,
    pub events: Vec<HistoryEntry>,
}

/// What a client needs to update, retire or attest a leaf (like DAS `getAssetProof`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProofView {
    pub tree: String,
    pub leaf_index: u32,
    pub node_id: String,
    /// The leaf's hash.
    pub leaf: String,
    /// The tree's root as the indexer has it.
    pub root: String,
    /// One sibling per level, the leaf's level first; a transaction carries the levels
    /// below the tree's canopy.
    pub proof: Vec<String>,
    /// The record the leaf hashes.
    pub record: NodeView,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TreeView {
    pub tree: String,
    pub depth: u32,
    pub leaves: u64,
    pub root: String,
}

/// Leaves by status.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct StatusCounts {
    pub pending: u64,
    pub verified: u64,
    pub suspended: u64,
    pub retired: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OperatorView {
    pub operator: String,
    /// Every leaf the operator registered (a re-registered node has several).
    pub leaves: u64,
    pub by_status: StatusCounts,
    /// GPUs on the operator's verified leaves.
    pub verified_gpus: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    /// The last indexed transaction.
    pub cursor: Option<u64>,
    /// Whether ingestion has reached the source's newest transaction at least once.
    pub caught_up: bool,
    pub trees: u64,
    pub leaves: u64,
    pub by_status: StatusCounts,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlacementView {
    /// The catalogue name of the requested model.
    pub model: String,
    /// Its catalogue id.
    pub model_id: u16,
    /// Best first: lowest RTT, then highest bandwidth, then node id.
    pub candidates: Vec<NodeView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClusterView {
    pub model: String,
    /// Whether a group was found.
    pub found: bool,
    /// The group, best first; empty when none was found.
    pub nodes: Vec<NodeView>,
    /// The group's worst RTT.
    pub worst_rtt_us: Option<u32>,
}

/// Every refusal: a stable name and a sentence.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorView {
    pub error: String,
    pub message: String,
}
