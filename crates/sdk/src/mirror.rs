//! An off-chain copy of one node tree, rebuilt from noop events alone.
//!
//! Levels are stored densely only as far as leaves exist; everything to the right is the
//! empty subtree, whose hash per level is precomputed. Applying an event and building a
//! proof are O(depth); memory is about twice the leaves.

use io_registry::{NodeEvent, NodeRecord};
use solana_sdk::pubkey::Pubkey;
use spl_concurrent_merkle_tree::hash::hash_to_parent;
use spl_concurrent_merkle_tree::node::{empty_node, Node};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MirrorError {
    #[error("event is for tree {0}, not this one")]
    WrongTree(Pubkey),
    #[error("leaf {index} arrived before leaf {expected}: events are missing")]
    Gap { index: u32, expected: u32 },
    #[error("leaf index {0} is outside the tree")]
    OutOfRange(u32),
    #[error("no record at leaf {0}")]
    NoRecord(u32),
}

#[derive(Clone, Debug)]
pub struct TreeMirror {
    pub tree: Pubkey,
    pub max_depth: u32,
    /// `levels[0]` are the leaves; `levels[k][i]` is the node above leaves i*2^k ..
    levels: Vec<Vec<Node>>,
    empty: Vec<Node>,
    records: Vec<NodeRecord>,
}

impl TreeMirror {
    pub fn new(tree: Pubkey, max_depth: u32) -> Self {
        let empty = (0..=max_depth).map(empty_node).collect();
        let levels = (0..=max_depth).map(|_| Vec::new()).collect();
        Self { tree, max_depth, levels, empty, records: Vec::new() }
    }

    /// Builds a mirror from the final record of every leaf, in leaf order, hashing each
    /// level once: about 2N hashes instead of N x depth for N calls to [`Self::set`].
    pub fn from_records(tree: Pubkey, max_depth: u32, records: Vec<NodeRecord>) -> Result<Self, MirrorError> {
        let mut mirror = Self::new(tree, max_depth);
        if records.len() as u64 > 1u64 << max_depth {
            return Err(MirrorError::OutOfRange(records.len() as u32));
        }
        for (i, record) in records.iter().enumerate() {
            if record.leaf_index as usize != i {
                return Err(MirrorError::Gap { index: record.leaf_index, expected: i as u32 });
            }
        }
        mirror.levels[0] = records.iter().map(NodeRecord::leaf_hash).collect();
        for level in 1..=max_depth as usize {
            let empty = mirror.empty[level - 1];
            let parents = mirror.levels[level - 1]
                .chunks(2)
                .map(|pair| {
                    let mut parent = pair[0];
                    hash_to_parent(&mut parent, pair.get(1).unwrap_or(&empty), true);
                    parent
                })
                .collect();
            mirror.levels[level] = parents;
        }
        mirror.records = records;
        Ok(mirror)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn records(&self) -> &[NodeRecord] {
        &self.records
    }

    pub fn record(&self, index: u32) -> Result<&NodeRecord, MirrorError> {
        self.records.get(index as usize).ok_or(MirrorError::NoRecord(index))
    }

    /// Applies one registry event for this tree (events of other trees are an error, so a
    /// caller routing events by tree notices a mistake).
    pub fn apply(&mut self, event: &NodeEvent) -> Result<(), MirrorError> {
        if event.tree != self.tree {
            return Err(MirrorError::WrongTree(event.tree));
        }
        self.set(event.record)
    }

    /// Puts a record at its leaf index: the next free index appends; an existing one replaces.
    pub fn set(&mut self, record: NodeRecord) -> Result<(), MirrorError> {
        let index = record.leaf_index;
        if u64::from(index) >= 1u64 << self.max_depth {
            return Err(MirrorError::OutOfRange(index));
        }
        let i = index as usize;
        match i.cmp(&self.records.len()) {
            std::cmp::Ordering::Less => self.records[i] = record,
            std::cmp::Ordering::Equal => self.records.push(record),
            std::cmp::Ordering::Greater => return Err(MirrorError::Gap { index, expected: self.records.len() as u32 }),
        }
        self.set_leaf(i, record.leaf_hash());
        Ok(())
    }

    fn set_leaf(&mut self, index: usize, leaf: Node) {
        let mut i = index;
        put(&mut self.levels[0], i, leaf);
        for level in 1..=self.max_depth as usize {
            i >>= 1;
            let below = &self.levels[level - 1];
            let left = below[2 * i];
            let right = below.get(2 * i + 1).copied().unwrap_or(self.empty[level - 1]);
            let mut parent = left;
            hash_to_parent(&mut parent, &right, true);
            put(&mut self.levels[level], i, parent);
        }
    }

    fn node(&self, level: usize, i: usize) -> Node {
        self.levels[level].get(i).copied().unwrap_or(self.empty[level])
    }

    pub fn root(&self) -> Node {
        self.node(self.max_depth as usize, 0)
    }

    /// The full proof (one sibling per level, leaf level first).
    pub fn proof(&self, index: u32) -> Result<Vec<Node>, MirrorError> {
        if index as usize >= self.records.len() {
            return Err(MirrorError::NoRecord(index));
        }
        let mut i = index as usize;
        let mut proof = Vec::with_capacity(self.max_depth as usize);
        for level in 0..self.max_depth as usize {
            proof.push(self.node(level, i ^ 1));
            i >>= 1;
        }
        Ok(proof)
    }

    /// The proof a transaction carries: the levels below the on-chain canopy.
    pub fn proof_below_canopy(&self, index: u32, canopy_depth: u32) -> Result<Vec<Node>, MirrorError> {
        let mut proof = self.proof(index)?;
        proof.truncate(self.max_depth.saturating_sub(canopy_depth) as usize);
        Ok(proof)
    }
}

/// The root a proof leads to: `leaf` at `index`, hashed with one sibling per level from
/// the leaf's level up. A client checks a served proof by comparing it with the tree
/// account's root.
pub fn root_from_proof(leaf: Node, index: u32, proof: &[Node]) -> Node {
    let mut node = leaf;
    for (level, sibling) in proof.iter().enumerate() {
        if (index >> level) & 1 == 0 {
            hash_to_parent(&mut node, sibling, true);
        } else {
            let mut left = *sibling;
            hash_to_parent(&mut left, &node, true);
            node = left;
        }
    }
    node
}

fn put(level: &mut Vec<Node>, i: usize, node: Node) {
    if i == level.len() {
        level.push(node);
    } else {
        level[i] = node;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_registry::*;
    use spl_concurrent_merkle_tree::concurrent_merkle_tree::ConcurrentMerkleTree;
    use spl_concurrent_merkle_tree::hash::recompute;

    fn record(i: u32, status: NodeStatus) -> NodeRecord {
        NodeRecord {
            version: NODE_RECORD_VERSION,
            node_id: Pubkey::new_from_array([i as u8 + 1; 32]),
            operator: Pubkey::new_from_array([7; 32]),
            leaf_index: i,
            gpu_model: 0,
            gpu_count: 8,
            tier: Tier::Enterprise,
            cuda: CudaVersion { major: 12, minor: 4 },
            region: 0x8928308280fffff,
            gpu_uuids_hash: [i as u8; 32],
            status,
            metrics: NodeMetrics::default(),
            last_attested_epoch: 0,
            score: 0,
            registered_at: 0,
            deposit_lamports: 0,
            lease_end_epoch: 0,
        }
    }

    #[test]
    fn mirror_agrees_with_the_on_chain_tree_type() {
        let mut chain = Box::new(ConcurrentMerkleTree::<5, 8>::new());
        chain.initialize().unwrap();
        let mut mirror = TreeMirror::new(Pubkey::default(), 5);
        assert_eq!(mirror.root(), chain.get_root());
        for i in 0..13 {
            let r = record(i, NodeStatus::Pending);
            chain.append(r.leaf_hash()).unwrap();
            mirror.set(r).unwrap();
            assert_eq!(mirror.root(), chain.get_root());
        }
        // Replace a leaf in the middle, proving it with the mirror's proof.
        let old = *mirror.record(6).unwrap();
        let new = record(6, NodeStatus::Verified);
        let proof = mirror.proof(6).unwrap();
        assert_eq!(recompute(old.leaf_hash(), &proof, 6), chain.get_root());
        chain
            .set_leaf(&spl_concurrent_merkle_tree::concurrent_merkle_tree::SetLeafArgs {
                current_root: chain.get_root(),
                previous_leaf: old.leaf_hash(),
                new_leaf: new.leaf_hash(),
                proof_vec: proof,
                index: 6,
            })
            .unwrap();
        mirror.set(new).unwrap();
        assert_eq!(mirror.root(), chain.get_root());
    }

    #[test]
    fn bulk_build_equals_leaf_by_leaf() {
        for n in [0u32, 1, 2, 3, 7, 8, 9, 31, 32] {
            let records: Vec<_> = (0..n).map(|i| record(i, NodeStatus::Verified)).collect();
            let mut one_by_one = TreeMirror::new(Pubkey::default(), 5);
            for r in &records {
                one_by_one.set(*r).unwrap();
            }
            let bulk = TreeMirror::from_records(Pubkey::default(), 5, records).unwrap();
            assert_eq!(bulk.root(), one_by_one.root(), "{n} leaves");
            for i in 0..n {
                assert_eq!(bulk.proof(i).unwrap(), one_by_one.proof(i).unwrap());
            }
        }
        let gap = vec![record(0, NodeStatus::Pending), record(2, NodeStatus::Pending)];
        assert!(matches!(TreeMirror::from_records(Pubkey::default(), 5, gap), Err(MirrorError::Gap { .. })));
    }

    #[test]
    fn gaps_and_foreign_trees_are_refused() {
        let mut mirror = TreeMirror::new(Pubkey::default(), 5);
        assert_eq!(mirror.set(record(2, NodeStatus::Pending)), Err(MirrorError::Gap { index: 2, expected: 0 }));
        assert_eq!(mirror.set(record(32, NodeStatus::Pending)), Err(MirrorError::OutOfRange(32)));
        let event = NodeEvent {
            change: NodeChange::Registered,
            tree: Pubkey::new_unique(),
            record: record(0, NodeStatus::Pending),
            epoch: 0,
            oracles: vec![],
            gpu_ids: vec![],
        };
        assert!(matches!(mirror.apply(&event), Err(MirrorError::WrongTree(_))));
        assert!(mirror.is_empty());
    }

    #[test]
    fn proof_below_canopy_keeps_the_lowest_levels() {
        let mut mirror = TreeMirror::new(Pubkey::default(), 5);
        for i in 0..4 {
            mirror.set(record(i, NodeStatus::Pending)).unwrap();
        }
        let full = mirror.proof(3).unwrap();
        assert_eq!(mirror.proof_below_canopy(3, 2).unwrap(), full[..3].to_vec());
    }
}
