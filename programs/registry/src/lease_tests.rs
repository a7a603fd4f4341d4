//! The verification lease against a model: random sequences of attestations (verified or
//! suspended, with any lease), updates, retirements and epoch advances over a few nodes.
//! After every step the operator's capacity read lazily (`verified_at`, no write) and
//! after settling must equal the model's sum over the records whose lease still runs.

use crate::constants::*;
use crate::operator_stats::*;
use crate::state::*;
use anchor_lang::prelude::*;
use proptest::prelude::*;
use std::cell::Cell;

#[derive(Clone, Debug)]
enum Step {
    /// A quorum attests node `node`: verified with `score` and a lease of `lease` epochs
    /// from the current epoch minus `late` (a transaction landing an epoch late), or
    /// suspended.
    Attest {
        node: usize,
        verified: bool,
        lease: u64,
        late: u64,
        score: u16,
    },
    /// The operator changes the node's hardware (back to pending) or only its region.
    Update {
        node: usize,
        hardware: bool,
    },
    Retire {
        node: usize,
    },
    /// Time passes.
    Advance {
        epochs: u64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..NODES, any::<bool>(), 1..=MAX_LEASE_EPOCHS, 0..2u64, 1..=10_000u16)
            .prop_map(|(node, verified, lease, late, score)| Step::Attest { node, verified: verified || score % 4 != 0, lease, late, score }),
        1 => (0..NODES, any::<bool>()).prop_map(|(node, hardware)| Step::Update { node, hardware }),
        1 => (0..NODES).prop_map(|node| Step::Retire { node }),
        3 => prop_oneof![0..4u64, 4..=2 * MAX_LEASE_EPOCHS].prop_map(|epochs| Step::Advance { epochs }),
    ]
}

const NODES: usize = 6;

fn record(i: usize) -> NodeRecord {
    NodeRecord {
        version: NODE_RECORD_VERSION,
        node_id: Pubkey::new_from_array([i as u8 + 1; 32]),
        operator: Pubkey::new_from_array([9; 32]),
        leaf_index: i as u32,
        gpu_model: 0,
        gpu_count: 1 + (i as u16 * 3) % 8,
        tier: Tier::ALL[i % 3],
        cuda: CudaVersion { major: 12, minor: 2 },
        region: 0,
        gpu_uuids_hash: [1; 32],
        status: NodeStatus::Pending,
        metrics: NodeMetrics::default(),
        last_attested_epoch: 0,
        score: 0,
        registered_at: 0,
        deposit_lamports: 0,
        lease_end_epoch: 0,
    }
}

fn empty_stats() -> OperatorStats {
    OperatorStats::empty(Pubkey::new_from_array([9; 32]), 0, 3600, 0)
}

#[test]
fn the_declared_space_is_the_encoded_size() {
    let mut bytes = vec![];
    anchor_lang::AccountSerialize::try_serialize(&empty_stats(), &mut bytes).unwrap();
    assert_eq!(bytes.len(), 8 + OperatorStats::INIT_SPACE);
}

/// The model: the capacity is the plain sum over records counting in `epoch`, the tier
/// totals written out by hand.
fn model_capacity(records: &[NodeRecord], epoch: u64) -> VerifiedCapacity {
    let mut c = VerifiedCapacity::default();
    for r in records.iter().filter(|r| r.status == NodeStatus::Verified && r.lease_end_epoch > epoch) {
        let t = r.tier as usize;
        c.nodes_by_tier[t] += 1;
        c.gpus_by_tier[t] += u32::from(r.gpu_count);
        c.score_gpus_by_tier[t] += u64::from(r.gpu_count) * u64::from(r.score);
    }
    c
}

fn model_next_lapse(records: &[NodeRecord], epoch: u64) -> Option<u64> {
    records.iter().filter(|r| r.status == NodeStatus::Verified && r.lease_end_epoch > epoch).map(|r| r.lease_end_epoch).min()
}

thread_local! {
    static LAPSES_SEEN: Cell<u32> = const { Cell::new(0) };
    static RENEWALS_SEEN: Cell<u32> = const { Cell::new(0) };
}

fn run(steps: &[Step]) -> std::result::Result<(), TestCaseError> {
    let mut stats = empty_stats();
    let mut records: Vec<NodeRecord> = (0..NODES).map(record).collect();
    let mut epoch = 1u64;
    for r in &records {
        stats.apply(None, r, epoch).unwrap();
    }
    for step in steps {
        let before = model_capacity(&records, epoch);
        match *step {
            Step::Attest { node, verified, lease, late, score } => {
                let old = records[node];
                let at = epoch.saturating_sub(late).max(1);
                if old.status == NodeStatus::Retired || at <= old.last_attested_epoch {
                    continue;
                }
                let mut new = old;
                new.last_attested_epoch = at;
                if verified {
                    if old.counts_in(epoch) {
                        RENEWALS_SEEN.with(|c| c.set(c.get() + 1));
                    }
                    new.status = NodeStatus::Verified;
                    new.score = score;
                    new.lease_end_epoch = at + lease;
                } else {
                    new.status = NodeStatus::Suspended;
                    new.score = 0;
                    new.lease_end_epoch = 0;
                }
                stats.apply(Some(&old), &new, epoch).unwrap();
                records[node] = new;
            }
            Step::Update { node, hardware } => {
                let old = records[node];
                if old.status == NodeStatus::Retired {
                    continue;
                }
                let mut new = old;
                new.region += 1;
                if hardware {
                    new.status = NodeStatus::Pending;
                    new.score = 0;
                    new.lease_end_epoch = 0;
                }
                stats.apply(Some(&old), &new, epoch).unwrap();
                records[node] = new;
            }
            Step::Retire { node } => {
                let old = records[node];
                if old.status == NodeStatus::Retired {
                    continue;
                }
                let new = NodeRecord { status: NodeStatus::Retired, score: 0, lease_end_epoch: 0, ..old };
                stats.apply(Some(&old), &new, epoch).unwrap();
                records[node] = new;
            }
            Step::Advance { epochs } => {
                // Every epoch passed is read lazily, without a write, as staking reads it.
                for e in epoch..=epoch + epochs {
                    prop_assert_eq!(stats.verified_at(e).unwrap(), model_capacity(&records, e), "read at epoch {}", e);
                    prop_assert_eq!(stats.next_lapse_after(e), model_next_lapse(&records, e), "next lapse after {}", e);
                }
                epoch += epochs;
                if model_capacity(&records, epoch) != before {
                    LAPSES_SEEN.with(|c| c.set(c.get() + 1));
                }
            }
        }
        prop_assert_eq!(stats.verified_at(epoch).unwrap(), model_capacity(&records, epoch));
        let mut by_status = [0u32; NodeStatus::COUNT];
        records.iter().for_each(|r| by_status[r.status.index()] += 1);
        prop_assert_eq!(stats.nodes_by_status, by_status);
    }
    // Settling writes the same answer the lazy read gave.
    let lazy = stats.verified_at(epoch).unwrap();
    let version = stats.verified_version;
    stats.settle(epoch).unwrap();
    prop_assert_eq!(stats.verified, lazy);
    prop_assert_eq!(stats.verified_at(epoch).unwrap(), lazy);
    prop_assert!(stats.verified_version >= version);
    Ok(())
}

#[test]
fn the_capacity_that_counts_is_the_sum_over_unexpired_verified_records() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 512, ..ProptestConfig::default() });
    runner.run(&proptest::collection::vec(step(), 1..60), |steps| run(&steps)).unwrap();
    // The sequences really exercised lapses and renewals of running leases.
    let (lapses, renewals) = (LAPSES_SEEN.with(Cell::get), RENEWALS_SEEN.with(Cell::get));
    println!("steps where a lease lapsed: {lapses}; renewals of a running lease: {renewals}");
    assert!(lapses >= 500, "only {lapses} lapses over 512 cases");
    assert!(renewals >= 256, "only {renewals} renewals over 512 cases");
}

#[test]
fn a_lease_ends_exactly_at_its_end_epoch() {
    // Hand case: 8 enterprise GPUs at score 9,000 attested in epoch 10 for 24 epochs
    // count in epochs 10..=33 and not from 34 on.
    let mut stats = empty_stats();
    let mut r = record(0);
    r.gpu_count = 8;
    stats.apply(None, &r, 10).unwrap();
    let new = NodeRecord { status: NodeStatus::Verified, score: 9_000, last_attested_epoch: 10, lease_end_epoch: 34, ..r };
    stats.apply(Some(&r), &new, 10).unwrap();
    let counted = |e| stats.verified_at(e).unwrap();
    assert_eq!(counted(33).gpus_by_tier, [8, 0, 0]);
    assert_eq!(counted(33).score_gpus_by_tier, [72_000, 0, 0]);
    assert_eq!(counted(34), VerifiedCapacity::default());
    assert_eq!(stats.next_lapse_after(33), Some(34));
    assert_eq!(stats.next_lapse_after(34), None);
    // A retirement after the lapse takes nothing out twice.
    let retired = NodeRecord { status: NodeStatus::Retired, score: 0, lease_end_epoch: 0, ..new };
    stats.apply(Some(&new), &retired, 40).unwrap();
    assert_eq!(stats.verified, VerifiedCapacity::default());
    assert_eq!(stats.nodes_by_status, [0, 0, 0, 1]);
}

#[test]
fn a_lease_longer_than_the_ring_is_refused() {
    let mut stats = empty_stats();
    let r = record(0);
    stats.apply(None, &r, 5).unwrap();
    let too_long = NodeRecord { status: NodeStatus::Verified, score: 1, lease_end_epoch: 5 + MAX_LEASE_EPOCHS + 1, ..r };
    let err = stats.apply(Some(&r), &too_long, 5).unwrap_err();
    assert_eq!(err, crate::errors::RegistryError::InvalidLease.into());
}
