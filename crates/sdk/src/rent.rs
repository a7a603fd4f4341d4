//! What the compressed registry costs in rent, next to one ordinary account per node.

use crate::tree::{TreeShape, SUPPORTED_SHAPES};
use io_registry::{NodeRecord, TreeConfig};
use solana_sdk::rent::Rent;

/// Proof nodes a registry transaction can carry and still fit a packet with a full quorum.
pub const PROOF_BUDGET: u32 = io_registry::MAX_PROOF_NODES;

/// Bytes of one encoded node record.
pub fn record_size() -> usize {
    anchor_lang::AnchorSerialize::try_to_vec(&NodeRecord {
        version: 0,
        node_id: Default::default(),
        operator: Default::default(),
        leaf_index: 0,
        gpu_model: 0,
        gpu_count: 0,
        tier: io_registry::Tier::Consumer,
        cuda: Default::default(),
        region: 0,
        gpu_uuids_hash: [0; 32],
        status: io_registry::NodeStatus::Pending,
        metrics: Default::default(),
        last_attested_epoch: 0,
        score: 0,
        registered_at: 0,
        deposit_lamports: 0,
        lease_end_epoch: 0,
    })
    .expect("record encodes")
    .len()
}

/// The smallest supported tree (buffer 64 where possible) that holds `nodes`, with the
/// canopy deep enough that proofs stay within [`PROOF_BUDGET`].
pub fn tree_shape_for(nodes: u64) -> Option<TreeShape> {
    SUPPORTED_SHAPES
        .iter()
        .filter(|(depth, _)| (1u64 << depth) >= nodes)
        .min_by_key(|(depth, buffer)| (*depth, (*buffer as i64 - 64).abs()))
        .map(|&(max_depth, max_buffer_size)| TreeShape { max_depth, max_buffer_size, canopy_depth: max_depth.saturating_sub(PROOF_BUDGET) })
}

#[derive(Clone, Copy, Debug)]
pub struct RentComparison {
    pub nodes: u64,
    pub shape: TreeShape,
    /// Rent of the tree account and its config account.
    pub compressed_lamports: u64,
    /// Rent of one Anchor account (discriminator + record) per node.
    pub accounts_lamports: u64,
}

impl RentComparison {
    pub fn per_node_compressed(&self) -> f64 {
        self.compressed_lamports as f64 / self.nodes as f64
    }

    pub fn per_node_accounts(&self) -> f64 {
        self.accounts_lamports as f64 / self.nodes as f64
    }

    pub fn ratio(&self) -> f64 {
        self.accounts_lamports as f64 / self.compressed_lamports as f64
    }
}

pub fn compare_rent(nodes: u64, rent: &Rent) -> Option<RentComparison> {
    let shape = tree_shape_for(nodes)?;
    let tree_config = 8 + <TreeConfig as anchor_lang::Space>::INIT_SPACE;
    let compressed = rent.minimum_balance(shape.account_size()) + rent.minimum_balance(tree_config);
    let per_account = rent.minimum_balance(8 + record_size());
    Some(RentComparison { nodes, shape, compressed_lamports: compressed, accounts_lamports: per_account * nodes })
}

/// Lamports as SOL for display.
pub fn sol(lamports: u64) -> f64 {
    lamports as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_fit_the_node_count_and_the_proof_budget() {
        let small = tree_shape_for(10_000).unwrap();
        assert_eq!((small.max_depth, small.max_buffer_size, small.proof_len()), (14, 64, 8));
        let big = tree_shape_for(1_000_000).unwrap();
        assert_eq!(big, TreeShape::MAINNET);
        assert!(tree_shape_for(1u64 << 31).is_none());
    }

    #[test]
    fn compression_is_cheaper_per_node_at_scale() {
        let rent = Rent::default();
        let million = compare_rent(1_000_000, &rent).unwrap();
        // The reference tree (canopy 12) is about 981x cheaper than an account per node
        // (261x with the canopy of 14 it had before); canopy 11 would pass 1,000x but its
        // attestation would no longer leave 200 bytes of the packet (`tx_size`).
        assert!(million.ratio() > 950.0, "only {}x", million.ratio());
        assert_eq!(million.accounts_lamports, rent.minimum_balance(8 + record_size()) * 1_000_000);
    }
}
