//! What the indexer's benches share: a registration's record.

use io_registry::{CudaVersion, NodeMetrics, NodeRecord, NodeStatus, Tier, NODE_RECORD_VERSION};
use solana_sdk::pubkey::Pubkey;

/// A pending 8-GPU record at leaf `i` with a fresh node key.
pub fn record(i: u32) -> NodeRecord {
    NodeRecord {
        version: NODE_RECORD_VERSION,
        node_id: Pubkey::new_unique(),
        operator: Pubkey::new_from_array([(i % 251) as u8; 32]),
        leaf_index: i,
        gpu_model: (i % 23) as u16,
        gpu_count: 8,
        tier: Tier::Enterprise,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: 0x8928308280fffff,
        gpu_uuids_hash: [(i % 256) as u8; 32],
        status: NodeStatus::Pending,
        metrics: NodeMetrics::default(),
        last_attested_epoch: 0,
        score: 0,
        registered_at: 1_700_000_000,
        deposit_lamports: 0,
        lease_end_epoch: 0,
    }
}
