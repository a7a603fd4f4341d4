//! Random operation sequences against the bank: after every step the tree root equals the
//! mirror's and every operator's aggregates equal the sum of its records.

use io_registry::*;
use io_sdk::client::Refusal;
use io_tests::figures::figure;
use io_tests::Harness;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use solana_sdk::signature::{Keypair, Signer};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Op {
    Register { operator: usize, model: usize, gpus: u16 },
    Update { node: usize, gpus: u16 },
    Verify { node: usize },
    Suspend { node: usize },
    Retire { node: usize },
    NextEpoch,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..4usize, 1..9u16).prop_map(|(operator, model, gpus)| Op::Register { operator, model, gpus }),
        2 => (any::<usize>(), 1..9u16).prop_map(|(node, gpus)| Op::Update { node, gpus }),
        3 => any::<usize>().prop_map(|node| Op::Verify { node }),
        1 => any::<usize>().prop_map(|node| Op::Suspend { node }),
        1 => any::<usize>().prop_map(|node| Op::Retire { node }),
        2 => Just(Op::NextEpoch),
    ]
}

const MODELS: [&str; 4] = ["H100", "RTX 4090", "Apple M1", "L40S"];

/// The step succeeded when `expected` is `None`, or was refused by the registry with it.
fn outcome_is<T: std::fmt::Debug>(result: &anyhow::Result<T>, expected: Option<RegistryError>) -> Result<(), TestCaseError> {
    match (result, expected) {
        (Ok(_), None) => Ok(()),
        (Err(e), Some(error)) => {
            prop_assert_eq!(Refusal::of(e), Some(Refusal::from(error)), "{:?}", e);
            Ok(())
        }
        (result, expected) => Err(TestCaseError::fail(format!("expected {expected:?}, got {result:?}"))),
    }
}

/// Runs one sequence; returns how many attestations ended each way: applied (`None`) or
/// refused with each error.
fn run(ops: Vec<Op>) -> Result<BTreeMap<String, usize>, TestCaseError> {
    {
        let mut h = Harness::with_tree(5, 8, 2);
        let operators: Vec<Keypair> = (0..3).map(|_| h.operator()).collect();
        let mut nodes: Vec<(Keypair, usize)> = vec![];
        let mut seed = 0u64;
        // Ballots whose votes landed but whose attestation was refused, by leaf.
        let mut stuck = std::collections::HashMap::new();
        let mut outcomes = BTreeMap::new();
        h.next_epoch();
        for op in ops {
            seed += 1;
            match op {
                Op::Register { operator, model, gpus } if nodes.len() < 32 => {
                    let spec = h.spec(MODELS[model], gpus, seed);
                    let (node, _) = h.register(&operators[operator], spec);
                    nodes.push((node, operator));
                }
                Op::Update { node, gpus } if !nodes.is_empty() => {
                    let (key, operator) = &nodes[node % nodes.len()];
                    let record = *h.registry.record(&key.pubkey()).unwrap();
                    // Other GPUs: a new set of `gpus` UUIDs.
                    let gpu_uuids_hash = h.gpu_set(&Harness::gpu_uuids(seed, gpus));
                    let spec = HardwareSpec { gpu_count: gpus, gpu_uuids_hash, ..record.hardware() };
                    let result = h.registry.update(&mut h.net, &operators[*operator], &key.pubkey(), spec);
                    // Always a change: the GPU set is new (a fresh seed).
                    outcome_is(&result, (record.status == NodeStatus::Retired).then_some(RegistryError::NodeRetired))?;
                }
                Op::Verify { node } | Op::Suspend { node } if !nodes.is_empty() => {
                    let key = nodes[node % nodes.len()].0.pubkey();
                    let record = *h.registry.record(&key).unwrap();
                    let epoch = h.current_epoch();
                    let verdict = if matches!(op, Op::Verify { .. }) { Verdict::Verified } else { Verdict::Suspended };
                    let oracles = h.oracle_refs(2).into_iter().map(|k| k.insecure_clone()).collect::<Vec<_>>();
                    let refs: Vec<&Keypair> = oracles.iter().collect();
                    let gpus = if verdict == Verdict::Verified { h.gpu_ids(&record) } else { vec![] };
                    let result = h.registry.attest(&mut h.net, &refs, &key, epoch, verdict, Harness::good_metrics(record.tier), gpus);
                    // A later epoch, or the one suspension of a node verified this epoch,
                    // unless a ballot of this epoch that could not be applied holds
                    // another subject for the leaf (its votes stand until the epoch ends).
                    let liveness =
                        verdict == Verdict::Suspended && record.status == NodeStatus::Verified && epoch == record.last_attested_epoch;
                    let subject = (epoch, record.leaf_hash(), verdict);
                    let blocked =
                        stuck.get(&record.leaf_index).is_some_and(|open: &(u64, [u8; 32], Verdict)| open.0 == epoch && *open != subject);
                    // The votes go first: a ballot holding another subject refuses them;
                    // then the attestation checks the record.
                    let expected = if blocked {
                        Some(RegistryError::BallotMismatch)
                    } else if record.status == NodeStatus::Retired {
                        Some(RegistryError::NodeRetired)
                    } else if !(epoch > record.last_attested_epoch || liveness) {
                        Some(RegistryError::StaleAttestationEpoch)
                    } else {
                        None
                    };
                    outcome_is(&result, expected)?;
                    *outcomes.entry(expected.map_or("applied".to_string(), |e| format!("refused: {e:?}"))).or_default() += 1;
                    if result.is_ok() {
                        stuck.remove(&record.leaf_index);
                    }
                    if result.is_err() && !blocked {
                        // The votes landed; the attestation did not.
                        stuck.insert(record.leaf_index, subject);
                    }
                }
                Op::Retire { node } if !nodes.is_empty() => {
                    let (key, operator) = &nodes[node % nodes.len()];
                    let record = *h.registry.record(&key.pubkey()).unwrap();
                    let result = h.registry.retire(&mut h.net, &operators[*operator], &key.pubkey());
                    outcome_is(&result, (record.status == NodeStatus::Retired).then_some(RegistryError::NodeRetired))?;
                }
                Op::NextEpoch => {
                    h.next_epoch();
                }
                _ => {}
            }
            h.check_invariants();
        }
        Ok(outcomes)
    }
}

#[test]
fn aggregates_and_roots_hold_over_random_sequences() {
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
    let totals = std::cell::RefCell::new(BTreeMap::<String, usize>::new());
    runner
        .run(&prop::collection::vec(op(), 10..30), |ops| {
            for (outcome, n) in run(ops)? {
                *totals.borrow_mut().entry(outcome).or_default() += n;
            }
            Ok(())
        })
        .unwrap();
    let totals = totals.into_inner();
    for (outcome, n) in &totals {
        figure("Property test: registry attestations (48 sequences)", outcome, n);
    }
    // The attestation path was taken both ways, many times over, and refused by name.
    let count = |key: &str| totals.get(key).copied().unwrap_or(0);
    let (applied, stale) = (count("applied"), count("refused: StaleAttestationEpoch"));
    assert!(applied >= 48 && stale >= 10, "applied {applied}, refused as stale {stale}: {totals:?}");
}
