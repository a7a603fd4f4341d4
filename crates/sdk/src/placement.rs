//! The scheduler's placement query, answered from verified registry records: the nodes
//! whose GPU model is the requested one, whose CUDA version is at least the minimum and
//! which have enough GPUs, nearest first (lowest measured RTT), then the widest link
//! (highest measured bandwidth), then by node id so that the order is deterministic.
//!
//! Only `Verified` records count: their metrics are the ones an oracle quorum attested.
//! Pending (registered or changed, not yet audited), suspended and retired nodes are never
//! candidates.

use crate::network::RegistryClient;
use io_registry::{CudaVersion, GpuCatalogue, GpuModel, NodeRecord, NodeStatus, MAX_GPUS_PER_NODE};
use solana_sdk::pubkey::Pubkey;
use std::cmp::{Ordering, Reverse};

/// What a scheduler asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacementRequest {
    /// Catalogue id of the GPU model.
    pub model: u16,
    /// Lowest acceptable CUDA version (major, then minor).
    pub min_cuda: CudaVersion,
    /// Fewest GPUs a node must have; at least 1.
    pub min_gpus: u16,
    /// Most candidates to return; `None` for all of them.
    pub limit: Option<usize>,
}

impl PlacementRequest {
    /// Any CUDA version, one GPU or more, no limit.
    pub fn new(model: u16) -> Self {
        Self { model, min_cuda: CudaVersion::default(), min_gpus: 1, limit: None }
    }

    /// Checks the request on its own: at least one GPU, no more than a node can hold, and a
    /// limit (if any) of at least one.
    pub fn validate(&self) -> Result<(), PlacementError> {
        if self.min_gpus == 0 {
            return Err(PlacementError::ZeroGpus);
        }
        if self.min_gpus > MAX_GPUS_PER_NODE {
            return Err(PlacementError::TooManyGpus { requested: self.min_gpus, max: MAX_GPUS_PER_NODE });
        }
        if self.limit == Some(0) {
            return Err(PlacementError::ZeroLimit);
        }
        Ok(())
    }

    /// Whether `record` satisfies the request's filter (its limit aside).
    pub fn admits(&self, record: &NodeRecord) -> bool {
        record.status == NodeStatus::Verified
            && record.gpu_model == self.model
            && record.cuda >= self.min_cuda
            && record.gpu_count >= self.min_gpus
    }
}

/// Why a placement query was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    #[error("no GPU model named {0:?} in the catalogue")]
    UnknownModel(String),
    #[error("no GPU model with catalogue id {0}")]
    UnknownModelId(u16),
    #[error("GPU model {0:?} is retired: it takes no new work")]
    RetiredModel(String),
    #[error("a placement needs at least one GPU")]
    ZeroGpus,
    #[error("no node holds {requested} GPUs (at most {max})")]
    TooManyGpus { requested: u16, max: u16 },
    #[error("a limit must be at least 1")]
    ZeroLimit,
}

/// One node a scheduler may place work on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The tree that holds the node's record.
    pub tree: Pubkey,
    pub record: NodeRecord,
}

/// Resolves a model by its catalogue name (exact, ASCII case-insensitive); retired models
/// are refused by name.
pub fn resolve_model<'c>(catalogue: &'c GpuCatalogue, name: &str) -> Result<&'c GpuModel, PlacementError> {
    let model = catalogue
        .models
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| PlacementError::UnknownModel(name.to_string()))?;
    if !model.active {
        return Err(PlacementError::RetiredModel(model.name.clone()));
    }
    Ok(model)
}

/// The model a request names: it must be in the catalogue and active.
pub fn requested_model<'c>(catalogue: &'c GpuCatalogue, request: &PlacementRequest) -> Result<&'c GpuModel, PlacementError> {
    let model = catalogue.models.iter().find(|m| m.id == request.model).ok_or(PlacementError::UnknownModelId(request.model))?;
    if !model.active {
        return Err(PlacementError::RetiredModel(model.name.clone()));
    }
    Ok(model)
}

/// Placement order: lowest RTT, then highest bandwidth, then node id (then tree, should one
/// node id ever appear in two trees).
pub fn placement_order(a: &Candidate, b: &Candidate) -> Ordering {
    let key = |c: &Candidate| (c.record.metrics.rtt_us, Reverse(c.record.metrics.bandwidth_mbps), c.record.node_id, c.tree);
    key(a).cmp(&key(b))
}

/// Answers `request` from the registry's current records.
pub fn place(registry: &RegistryClient, catalogue: &GpuCatalogue, request: &PlacementRequest) -> Result<Vec<Candidate>, PlacementError> {
    place_records(registry.records(), catalogue, request)
}

/// Answers `request` from any set of (tree, record) pairs.
pub fn place_records<'r>(
    records: impl IntoIterator<Item = (&'r Pubkey, &'r NodeRecord)>,
    catalogue: &GpuCatalogue,
    request: &PlacementRequest,
) -> Result<Vec<Candidate>, PlacementError> {
    request.validate()?;
    requested_model(catalogue, request)?;
    let mut candidates: Vec<Candidate> = records
        .into_iter()
        .filter(|(_, record)| request.admits(record))
        .map(|(tree, record)| Candidate { tree: *tree, record: *record })
        .collect();
    candidates.sort_unstable_by(placement_order);
    if let Some(limit) = request.limit {
        candidates.truncate(limit);
    }
    Ok(candidates)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mirror::TreeMirror;
    use crate::network::TrackedTree;
    use io_registry::{NodeMetrics, Tier, TreeConfig, NODE_RECORD_VERSION};
    use proptest::prelude::*;

    pub(crate) const H100: u16 = 0;
    pub(crate) const A100: u16 = 1;
    pub(crate) const RETIRED: u16 = 2;

    pub(crate) fn catalogue() -> GpuCatalogue {
        let model = |id: u16, name: &str, active: bool| GpuModel {
            id,
            name: name.to_string(),
            tier: Tier::Enterprise,
            expected_centi_tflops: 6_690,
            min_cuda: CudaVersion { major: 11, minor: 0 },
            active,
        };
        GpuCatalogue { models: vec![model(H100, "H100", true), model(A100, "A100", true), model(RETIRED, "K80", false)], bump: 255 }
    }

    pub(crate) fn cuda(major: u8, minor: u8) -> CudaVersion {
        CudaVersion { major, minor }
    }

    pub(crate) fn key(i: u8) -> Pubkey {
        Pubkey::new_from_array([i; 32])
    }

    /// A verified H100 x8 node at CUDA 12.4, id `i`, with the given RTT and bandwidth.
    pub(crate) fn node(i: u8, rtt_us: u32, bandwidth_mbps: u32) -> NodeRecord {
        NodeRecord {
            version: NODE_RECORD_VERSION,
            node_id: key(i),
            operator: key(200),
            leaf_index: u32::from(i),
            gpu_model: H100,
            gpu_count: 8,
            tier: Tier::Enterprise,
            cuda: cuda(12, 4),
            region: 0x8928308280fffff,
            gpu_uuids_hash: [i; 32],
            status: NodeStatus::Verified,
            metrics: NodeMetrics { verified_centi_tflops: 6_000, rtt_us, bandwidth_mbps, packet_loss_bps: 5 },
            last_attested_epoch: 1,
            score: 9_000,
            registered_at: 0,
            deposit_lamports: 0,
            lease_end_epoch: 0,
        }
    }

    pub(crate) fn ids(candidates: &[Candidate]) -> Vec<Pubkey> {
        candidates.iter().map(|c| c.record.node_id).collect()
    }

    fn query(records: &[NodeRecord], request: PlacementRequest) -> Result<Vec<Candidate>, PlacementError> {
        let tree = key(250);
        place_records(records.iter().map(|r| (&tree, r)), &catalogue(), &request)
    }

    #[test]
    fn lowest_rtt_first_then_highest_bandwidth_then_node_id() {
        let records = [
            node(1, 20_000, 10_000),
            node(2, 5_000, 10_000),
            node(3, 5_000, 25_000), // same RTT as 2, wider link: before it
            node(5, 9_000, 40_000),
            node(4, 9_000, 40_000), // a full tie with 5: node id decides
        ];
        let out = query(&records, PlacementRequest::new(H100)).unwrap();
        assert_eq!(ids(&out), vec![key(3), key(2), key(4), key(5), key(1)]);
        assert!(out.iter().all(|c| c.tree == key(250)));
        // The order does not depend on the order the records come in.
        let mut reversed = records;
        reversed.reverse();
        assert_eq!(query(&reversed, PlacementRequest::new(H100)).unwrap(), out);
    }

    #[test]
    fn only_verified_nodes_are_candidates() {
        let mut records = vec![node(1, 1_000, 10_000)];
        for (i, status) in [(2, NodeStatus::Pending), (3, NodeStatus::Suspended), (4, NodeStatus::Retired)] {
            // Better metrics than the verified node, which must not matter.
            records.push(NodeRecord { status, ..node(i, 10, 100_000) });
        }
        assert_eq!(ids(&query(&records, PlacementRequest::new(H100)).unwrap()), vec![key(1)]);
    }

    #[test]
    fn cuda_below_the_minimum_is_left_out_comparing_major_then_minor() {
        let records = [
            NodeRecord { cuda: cuda(11, 8), ..node(1, 1_000, 10_000) },
            NodeRecord { cuda: cuda(12, 0), ..node(2, 2_000, 10_000) },
            NodeRecord { cuda: cuda(12, 2), ..node(3, 3_000, 10_000) },
            NodeRecord { cuda: cuda(13, 0), ..node(4, 4_000, 10_000) },
        ];
        let at_least = |major, minor| PlacementRequest { min_cuda: cuda(major, minor), ..PlacementRequest::new(H100) };
        assert_eq!(ids(&query(&records, at_least(12, 0)).unwrap()), vec![key(2), key(3), key(4)]);
        // 11.9 is below 12.0 though its minor is larger; 13.0 is above 12.2.
        assert_eq!(ids(&query(&records, at_least(12, 1)).unwrap()), vec![key(3), key(4)]);
        assert_eq!(ids(&query(&records, at_least(11, 9)).unwrap()), vec![key(2), key(3), key(4)]);
        assert_eq!(ids(&query(&records, at_least(0, 0)).unwrap()).len(), 4);
        assert!(query(&records, at_least(13, 1)).unwrap().is_empty());
    }

    #[test]
    fn other_models_and_too_few_gpus_are_left_out() {
        let records = [
            NodeRecord { gpu_model: A100, ..node(1, 1_000, 10_000) },
            NodeRecord { gpu_count: 2, ..node(2, 2_000, 10_000) },
            node(3, 3_000, 10_000),
        ];
        assert_eq!(ids(&query(&records, PlacementRequest::new(H100)).unwrap()), vec![key(2), key(3)]);
        assert_eq!(ids(&query(&records, PlacementRequest::new(A100)).unwrap()), vec![key(1)]);
        let four = PlacementRequest { min_gpus: 4, ..PlacementRequest::new(H100) };
        assert_eq!(ids(&query(&records, four).unwrap()), vec![key(3)]);
        let eight = PlacementRequest { min_gpus: 8, ..PlacementRequest::new(H100) };
        assert_eq!(ids(&query(&records, eight).unwrap()), vec![key(3)]);
    }

    #[test]
    fn the_limit_keeps_the_best() {
        let records: Vec<NodeRecord> = (1..=6).map(|i| node(i, 10_000 - u32::from(i) * 100, 10_000)).collect();
        let two = PlacementRequest { limit: Some(2), ..PlacementRequest::new(H100) };
        assert_eq!(ids(&query(&records, two).unwrap()), vec![key(6), key(5)]);
        let many = PlacementRequest { limit: Some(100), ..PlacementRequest::new(H100) };
        assert_eq!(query(&records, many).unwrap().len(), 6);
    }

    #[test]
    fn invalid_requests_are_refused_by_name() {
        let records = [node(1, 1_000, 10_000)];
        let base = PlacementRequest::new(H100);
        assert_eq!(query(&records, PlacementRequest { min_gpus: 0, ..base }), Err(PlacementError::ZeroGpus));
        assert_eq!(
            query(&records, PlacementRequest { min_gpus: MAX_GPUS_PER_NODE + 1, ..base }),
            Err(PlacementError::TooManyGpus { requested: MAX_GPUS_PER_NODE + 1, max: MAX_GPUS_PER_NODE })
        );
        assert_eq!(query(&records, PlacementRequest { limit: Some(0), ..base }), Err(PlacementError::ZeroLimit));
        assert_eq!(query(&records, PlacementRequest::new(9)), Err(PlacementError::UnknownModelId(9)));
        assert_eq!(query(&records, PlacementRequest::new(RETIRED)), Err(PlacementError::RetiredModel("K80".into())));
        assert_eq!(PlacementError::ZeroGpus.to_string(), "a placement needs at least one GPU");
    }

    #[test]
    fn models_resolve_by_exact_name_ignoring_case() {
        let catalogue = catalogue();
        assert_eq!(resolve_model(&catalogue, "h100").unwrap().id, H100);
        assert_eq!(resolve_model(&catalogue, "A100").unwrap().id, A100);
        assert_eq!(resolve_model(&catalogue, "H10"), Err(PlacementError::UnknownModel("H10".into())));
        assert_eq!(resolve_model(&catalogue, "H100 PCIe"), Err(PlacementError::UnknownModel("H100 PCIe".into())));
        assert_eq!(resolve_model(&catalogue, "k80"), Err(PlacementError::RetiredModel("K80".into())));
    }

    #[test]
    fn place_reads_every_tree_of_the_registry() {
        let mut registry = RegistryClient::new();
        let trees = [key(240), key(241)];
        for (t, tree) in trees.iter().enumerate() {
            let records: Vec<NodeRecord> = (0..3u8)
                .map(|i| NodeRecord {
                    leaf_index: u32::from(i),
                    ..node(10 * t as u8 + i + 1, 1_000 * u32::from(10 * t as u8 + i + 1), 10_000)
                })
                .collect();
            let config = TreeConfig {
                merkle_tree: *tree,
                ordinal: t as u32,
                max_depth: 3,
                max_buffer_size: 8,
                canopy_depth: 0,
                capacity: 8,
                num_nodes: 3,
                bump: 255,
            };
            let mirror = TreeMirror::from_records(*tree, 3, records).unwrap();
            registry.trees.insert(*tree, TrackedTree { config, mirror });
        }
        let out = place(&registry, &catalogue(), &PlacementRequest::new(H100)).unwrap();
        assert_eq!(ids(&out), vec![key(1), key(2), key(3), key(11), key(12), key(13)]);
        assert_eq!(out.iter().map(|c| c.tree).collect::<Vec<_>>(), vec![trees[0], trees[0], trees[0], trees[1], trees[1], trees[1]]);
    }

    pub(crate) fn arb_record() -> impl Strategy<Value = NodeRecord> {
        (
            0u16..3,
            1u16..=16,
            (10u8..14, 0u8..10),
            prop_oneof![
                4 => Just(NodeStatus::Verified),
                1 => Just(NodeStatus::Pending),
                1 => Just(NodeStatus::Suspended),
                1 => Just(NodeStatus::Retired),
            ],
            // Few distinct values, so that ties on RTT and bandwidth are common.
            0u32..6,
            0u32..4,
        )
            .prop_map(|(model, gpus, (major, minor), status, rtt, bw)| NodeRecord {
                gpu_model: model,
                gpu_count: gpus,
                cuda: cuda(major, minor),
                status,
                ..node(0, rtt * 1_000, bw * 5_000)
            })
    }

    /// Records with distinct node ids (as in a registry), in a random order of ids.
    pub(crate) fn arb_records() -> impl Strategy<Value = Vec<NodeRecord>> {
        prop::collection::vec(arb_record(), 0..60)
            .prop_map(|records| {
                records
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| NodeRecord { node_id: key(i as u8 + 1), leaf_index: i as u32, ..r })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle()
    }

    proptest! {
        #[test]
        fn output_is_sorted_filtered_and_complete(
            records in arb_records(),
            model in 0u16..2,
            min_cuda in (10u8..14, 0u8..10),
            min_gpus in 1u16..=16,
            limit in prop::option::of(1usize..20),
        ) {
            let request = PlacementRequest { model, min_cuda: cuda(min_cuda.0, min_cuda.1), min_gpus, limit };
            let tree = key(250);
            let out = place_records(records.iter().map(|r| (&tree, r)), &catalogue(), &request).unwrap();
            // Sorted: RTT ascending, then bandwidth descending, then node id.
            for pair in out.windows(2) {
                let (a, b) = (&pair[0].record, &pair[1].record);
                prop_assert!(placement_order(&pair[0], &pair[1]) != Ordering::Greater);
                prop_assert!(a.metrics.rtt_us <= b.metrics.rtt_us);
                if a.metrics.rtt_us == b.metrics.rtt_us {
                    prop_assert!(a.metrics.bandwidth_mbps >= b.metrics.bandwidth_mbps);
                    if a.metrics.bandwidth_mbps == b.metrics.bandwidth_mbps {
                        prop_assert!(a.node_id <= b.node_id);
                    }
                }
            }
            // Every candidate satisfies the filter, checked field by field.
            for c in &out {
                let r = &c.record;
                prop_assert_eq!(r.status, NodeStatus::Verified);
                prop_assert_eq!(r.gpu_model, model);
                prop_assert!((r.cuda.major, r.cuda.minor) >= min_cuda);
                prop_assert!(r.gpu_count >= min_gpus);
            }
            // No qualifying node is missing: the output is exactly the qualifying records
            // in placement order, cut to the limit (so nothing left out beats a candidate).
            let mut qualifying: Vec<NodeRecord> = records
                .iter()
                .filter(|r| r.status == NodeStatus::Verified && r.gpu_model == model && (r.cuda.major, r.cuda.minor) >= min_cuda && r.gpu_count >= min_gpus)
                .copied()
                .collect();
            prop_assert_eq!(out.len(), limit.map_or(qualifying.len(), |l| l.min(qualifying.len())));
            qualifying.sort_by_key(|r| (r.metrics.rtt_us, Reverse(r.metrics.bandwidth_mbps), r.node_id));
            let kept: Vec<NodeRecord> = out.iter().map(|c| c.record).collect();
            prop_assert_eq!(&kept[..], &qualifying[..out.len()]);
        }
    }
}
