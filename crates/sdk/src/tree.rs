//! Sizing of concurrent Merkle tree accounts.

use spl_account_compression::state::CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1;

/// The (depth, buffer) pairs spl-account-compression 1.0 accepts.
pub const SUPPORTED_SHAPES: &[(u32, u32)] = &[
    (3, 8),
    (5, 8),
    (6, 16),
    (7, 16),
    (8, 16),
    (9, 16),
    (10, 32),
    (11, 32),
    (12, 32),
    (13, 32),
    (14, 64),
    (14, 256),
    (14, 1024),
    (14, 2048),
    (15, 64),
    (16, 64),
    (17, 64),
    (18, 64),
    (19, 64),
    (20, 64),
    (20, 256),
    (20, 1024),
    (20, 2048),
    (24, 64),
    (24, 256),
    (24, 512),
    (24, 1024),
    (24, 2048),
    (26, 512),
    (26, 1024),
    (26, 2048),
    (30, 512),
    (30, 1024),
    (30, 2048),
];

/// Shape of a node tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeShape {
    pub max_depth: u32,
    pub max_buffer_size: u32,
    pub canopy_depth: u32,
}

impl TreeShape {
    /// The reference network's tree: 2^20 = 1,048,576 nodes, 64 concurrent changes per
    /// root, and a canopy of 12 levels so a proof is 8 nodes and the largest registry
    /// transaction keeps 200 bytes of the 1232-byte packet to spare.
    pub const MAINNET: TreeShape = TreeShape { max_depth: 20, max_buffer_size: 64, canopy_depth: 12 };

    /// A shape the compression program accepts, with a canopy deep enough for the registry.
    pub fn is_supported(&self) -> bool {
        SUPPORTED_SHAPES.contains(&(self.max_depth, self.max_buffer_size))
            && self.canopy_depth <= self.max_depth
            && self.max_depth - self.canopy_depth <= io_registry::MAX_PROOF_NODES
    }

    pub fn capacity(&self) -> u64 {
        1u64 << self.max_depth
    }

    /// Proof nodes a transaction must carry (the canopy supplies the rest).
    pub fn proof_len(&self) -> usize {
        (self.max_depth - self.canopy_depth) as usize
    }

    /// Bytes of the `ConcurrentMerkleTree<D, B>` body.
    pub fn tree_bytes(&self) -> usize {
        let depth = self.max_depth as usize;
        let buffer = self.max_buffer_size as usize;
        // sequence_number, active_index, buffer_size
        let counters = 3 * 8;
        // Each change log: root, path of `depth` nodes, index u32 + padding u32.
        let change_log = 32 + depth * 32 + 4 + 4;
        // Rightmost proof: proof of `depth` nodes, leaf, index u32 + padding u32.
        let rightmost = depth * 32 + 32 + 4 + 4;
        counters + buffer * change_log + rightmost
    }

    pub fn canopy_bytes(&self) -> usize {
        ((1usize << (self.canopy_depth + 1)) - 2) * 32
    }

    /// Size of the whole tree account.
    pub fn account_size(&self) -> usize {
        CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1 + self.tree_bytes() + self.canopy_bytes()
    }
}

/// The current root stored in a tree account (the newest change log's root).
pub fn onchain_root(account_data: &[u8]) -> Option<[u8; 32]> {
    use anchor_lang::AnchorDeserialize;
    use spl_account_compression::state::ConcurrentMerkleTreeHeader;
    let header = ConcurrentMerkleTreeHeader::try_from_slice(account_data.get(..CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1)?).ok()?;
    let depth = header.get_max_depth() as usize;
    let body = account_data.get(CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1..)?;
    let active_index = u64::from_le_bytes(body.get(8..16)?.try_into().ok()?) as usize;
    let change_log = 32 + depth * 32 + 8;
    let start = 24 + active_index * change_log;
    body.get(start..start + 32)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spl_concurrent_merkle_tree::concurrent_merkle_tree::ConcurrentMerkleTree;
    use std::mem::size_of;

    #[test]
    fn tree_body_size_matches_the_compression_crate() {
        let shape = |d, b| TreeShape { max_depth: d, max_buffer_size: b, canopy_depth: 0 }.tree_bytes();
        assert_eq!(shape(3, 8), size_of::<ConcurrentMerkleTree<3, 8>>());
        assert_eq!(shape(14, 64), size_of::<ConcurrentMerkleTree<14, 64>>());
        assert_eq!(shape(20, 64), size_of::<ConcurrentMerkleTree<20, 64>>());
        assert_eq!(shape(30, 2048), size_of::<ConcurrentMerkleTree<30, 2048>>());
    }

    #[test]
    fn mainnet_tree_holds_a_million_nodes_with_eight_proof_nodes() {
        assert!(TreeShape::MAINNET.is_supported());
        assert!(TreeShape::MAINNET.capacity() >= 1_000_000);
        assert_eq!(TreeShape::MAINNET.proof_len(), 8);
    }
}
