use super::*;
use crate::placement::place_records;
use crate::placement::tests::{arb_record, catalogue, cuda, ids, key, node, A100, H100};
use h3o::{LatLng, Resolution};
use proptest::prelude::*;
use std::cell::Cell;

/// A resolution-7 cell (about 5 km²) in Lisbon, and its grid.
fn centre() -> CellIndex {
    LatLng::new(38.72, -9.14).unwrap().to_cell(Resolution::Seven)
}

/// A cell exactly `d` grid steps from the centre (the first of its ring).
fn ring(d: u32) -> CellIndex {
    let cells = centre().grid_ring_fast(d).flatten().collect::<Vec<_>>();
    assert!(!cells.is_empty(), "ring {d} around a hexagon is never empty");
    cells[0]
}

fn at(cell: CellIndex, record: NodeRecord) -> NodeRecord {
    NodeRecord { region: u64::from(cell), ..record }
}

fn index(records: &[NodeRecord]) -> PlacementIndex {
    let tree = key(250);
    PlacementIndex::from_records(records.iter().map(|r| (&tree, r)))
}

#[test]
fn a_leaf_moves_in_the_index_when_its_record_changes() {
    let tree = key(250);
    let mut idx = index(&[node(1, 3_000, 10_000), node(2, 2_000, 10_000)]);
    assert_eq!(idx.len(), 2);
    let all = PlacementRequest::new(H100);
    assert_eq!(ids(&idx.place(&catalogue(), &all).unwrap()), vec![key(2), key(1)]);
    // Node 1 is re-measured faster: it moves ahead.
    idx.upsert(&tree, &node(1, 1_000, 10_000));
    assert_eq!(ids(&idx.place(&catalogue(), &all).unwrap()), vec![key(1), key(2)]);
    // Node 2 is suspended: it leaves the index; verified again as an A100 node, it answers
    // A100 queries only.
    idx.upsert(&tree, &NodeRecord { status: NodeStatus::Suspended, ..node(2, 2_000, 10_000) });
    assert_eq!(ids(&idx.place(&catalogue(), &all).unwrap()), vec![key(1)]);
    assert_eq!(idx.len(), 1);
    idx.upsert(&tree, &NodeRecord { gpu_model: A100, ..node(2, 2_000, 10_000) });
    assert_eq!(ids(&idx.place(&catalogue(), &all).unwrap()), vec![key(1)]);
    assert_eq!(ids(&idx.place(&catalogue(), &PlacementRequest::new(A100)).unwrap()), vec![key(2)]);
    // The same leaf index in another tree is another node.
    idx.upsert(&key(251), &node(3, 500, 10_000));
    assert_eq!(idx.place(&catalogue(), &all).unwrap().iter().map(|c| c.tree).collect::<Vec<_>>(), vec![key(251), tree]);
}

#[test]
fn refusals_are_the_scans() {
    let idx = index(&[node(1, 1_000, 10_000)]);
    let base = PlacementRequest::new(H100);
    assert_eq!(idx.place(&catalogue(), &PlacementRequest { min_gpus: 0, ..base }), Err(PlacementError::ZeroGpus));
    assert_eq!(idx.place(&catalogue(), &PlacementRequest { limit: Some(0), ..base }), Err(PlacementError::ZeroLimit));
    assert_eq!(idx.place(&catalogue(), &PlacementRequest::new(9)), Err(PlacementError::UnknownModelId(9)));
    assert_eq!(idx.place(&catalogue(), &PlacementRequest::new(2)), Err(PlacementError::RetiredModel("K80".into())));
}

#[test]
fn a_cluster_is_the_nearest_group_with_the_lowest_worst_rtt() {
    let c0 = centre();
    let far = LatLng::new(40.41, -3.70).unwrap().to_cell(Resolution::Seven); // Madrid
    let records = [
        at(c0, node(1, 1_000, 10_000)),
        at(far, node(2, 2_000, 10_000)),
        at(ring(1), node(3, 3_000, 10_000)),
        at(far, node(4, 4_000, 10_000)),
        at(ring(2), node(5, 10_000, 10_000)),
    ];
    let idx = index(&records);
    let h100 = PlacementRequest::new(H100);
    let cluster = |n, d| idx.cluster(&catalogue(), &h100, n, d).unwrap().map(|g| ids(&g));
    // The two best nodes are 500 km apart; the best pair within one step is 1 and 3.
    assert_eq!(cluster(2, 1), Some(vec![key(1), key(3)]));
    // Two in Madrid (same cell) are a pair too, but their worst RTT (4 ms) is higher.
    assert_eq!(cluster(2, 0), Some(vec![key(2), key(4)]));
    // Three within one step of each other do not exist; within two, 1, 3 and 5 do when 5's
    // cell is within two steps of 3's as well.
    assert_eq!(cluster(3, 1), None);
    let three = cluster(3, 2);
    let five_near_three = within(ring(2), ring(1), 2);
    assert_eq!(three, five_near_three.then(|| vec![key(1), key(3), key(5)]));
    assert_eq!(cluster(1, 0), Some(vec![key(1)]));
    assert_eq!(cluster(6, 16), None);
    // A stricter request leaves nodes out of every group.
    let eight_at_cuda_13 = PlacementRequest { min_cuda: cuda(13, 0), ..h100 };
    assert_eq!(idx.cluster(&catalogue(), &eight_at_cuda_13, 1, 0).unwrap(), None);
}

#[test]
fn cluster_refusals_are_named() {
    let idx = index(&[at(centre(), node(1, 1_000, 10_000))]);
    let h100 = PlacementRequest::new(H100);
    assert_eq!(idx.cluster(&catalogue(), &h100, 0, 1), Err(ClusterError::ZeroNodes));
    assert_eq!(idx.cluster(&catalogue(), &h100, 65, 1), Err(ClusterError::TooManyNodes { requested: 65, max: 64 }));
    assert_eq!(idx.cluster(&catalogue(), &h100, 2, 17), Err(ClusterError::DistanceTooLarge { requested: 17, max: 16 }));
    assert_eq!(idx.cluster(&catalogue(), &PlacementRequest::new(9), 2, 1), Err(ClusterError::Placement(PlacementError::UnknownModelId(9))));
}

/// Records with distinct node ids, each verified or not, and a history of changes to them
/// (a leaf re-measured, suspended, moved to another model...) applied in order.
fn arb_history() -> impl Strategy<Value = (Vec<NodeRecord>, Vec<(usize, NodeRecord)>)> {
    prop::collection::vec(arb_record(), 1..60).prop_flat_map(|records| {
        let n = records.len();
        let records: Vec<NodeRecord> =
            records.into_iter().enumerate().map(|(i, r)| NodeRecord { node_id: key(i as u8 + 1), leaf_index: i as u32, ..r }).collect();
        (Just(records), prop::collection::vec((0..n, arb_record()), 0..40))
    })
}

fn cells() -> Vec<CellIndex> {
    centre().grid_disk::<Vec<_>>(3)
}

/// After any history of changes, the index answers every request exactly as the scan over
/// the leaves' newest records does.
#[test]
fn the_index_answers_as_the_scan_does() {
    let nonempty = Cell::new(0u32);
    let strategy = (arb_history(), 0u16..2, (10u8..14, 0u8..10), 1u16..=16, prop::option::of(1usize..20));
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config::with_cases(256));
    runner
        .run(&strategy, |((records, changes), model, min_cuda, min_gpus, limit)| {
            let tree = key(250);
            let mut leaves = records.clone();
            let mut idx = index(&records);
            for (leaf, change) in changes {
                let record = NodeRecord { node_id: leaves[leaf].node_id, leaf_index: leaf as u32, ..change };
                leaves[leaf] = record;
                idx.upsert(&tree, &record);
            }
            let request = PlacementRequest { model, min_cuda: cuda(min_cuda.0, min_cuda.1), min_gpus, limit };
            let scanned = place_records(leaves.iter().map(|r| (&tree, r)), &catalogue(), &request).unwrap();
            if !scanned.is_empty() {
                nonempty.set(nonempty.get() + 1);
            }
            prop_assert_eq!(idx.place(&catalogue(), &request).unwrap(), scanned);
            Ok(())
        })
        .unwrap();
    println!("index property: {} of 256 cases had candidates", nonempty.get());
    assert!(nonempty.get() >= 32, "too few cases had candidates: {}", nonempty.get());
}

#[test]
fn a_cluster_always_keeps_its_distance_and_pairs_are_optimal() {
    // Brute force: the lowest worst RTT of any `n` admitted nodes pairwise within `d`.
    fn best_worst_rtt(records: &[NodeRecord], request: &PlacementRequest, n: usize, d: u32) -> Option<u32> {
        let admitted: Vec<&NodeRecord> = records.iter().filter(|r| request.admits(r)).collect();
        let cell = |r: &NodeRecord| CellIndex::try_from(r.region).unwrap();
        let mut best = None;
        let mut choose = |group: &[&NodeRecord]| {
            if group.iter().all(|a| group.iter().all(|b| within(cell(a), cell(b), d))) {
                let worst = group.iter().map(|r| r.metrics.rtt_us).max().unwrap();
                best = Some(best.map_or(worst, |b: u32| b.min(worst)));
            }
        };
        for i in 0..admitted.len() {
            if n == 1 {
                choose(&[admitted[i]]);
            }
            for j in i + 1..admitted.len() {
                if n == 2 {
                    choose(&[admitted[i], admitted[j]]);
                }
                for k in j + 1..admitted.len() {
                    if n == 3 {
                        choose(&[admitted[i], admitted[j], admitted[k]]);
                    }
                }
            }
        }
        best
    }

    let (found, optimal_triples) = (Cell::new(0u32), Cell::new(0u32));
    let cells = cells();
    let strategy = (prop::collection::vec((arb_record(), 0..cells.len()), 1..25), 1usize..=3, 0u32..=3, 1u16..=8);
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config::with_cases(256));
    runner
        .run(&strategy, |(records, n, d, min_gpus)| {
            let records: Vec<NodeRecord> = records
                .into_iter()
                .enumerate()
                .map(|(i, (r, c))| NodeRecord { node_id: key(i as u8 + 1), leaf_index: i as u32, region: u64::from(cells[c]), ..r })
                .collect();
            let request = PlacementRequest { min_gpus, ..PlacementRequest::new(H100) };
            let group = index(&records).cluster(&catalogue(), &request, n, d).unwrap();
            let optimum = best_worst_rtt(&records, &request, n, d);
            match &group {
                None => prop_assert!(n == 3 || optimum.is_none(), "a single or a pair exists but was not found"),
                Some(group) => {
                    found.set(found.get() + 1);
                    prop_assert_eq!(group.len(), n);
                    for a in group {
                        prop_assert!(request.admits(&a.record));
                        for b in group {
                            let (ca, cb) = (CellIndex::try_from(a.record.region).unwrap(), CellIndex::try_from(b.record.region).unwrap());
                            prop_assert!(ca.grid_distance(cb).unwrap() <= d as i32);
                        }
                    }
                    let worst = group.iter().map(|c| c.record.metrics.rtt_us).max();
                    // A single node or a pair is the best there is; a triple is never
                    // better than the best (it is a valid group), and is counted when equal.
                    prop_assert!(worst >= optimum);
                    if n < 3 {
                        prop_assert_eq!(worst, optimum);
                    } else if worst == optimum {
                        optimal_triples.set(optimal_triples.get() + 1);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    println!("cluster property: {} of 256 cases found a group, {} triples at the optimum", found.get(), optimal_triples.get());
    assert!(found.get() >= 64, "too few cases reached a group: {}", found.get());
}
