//! Random operation sequences against the bank: after every step the tree root equals the
//! mirror's and every operator's aggregates equal the sum of its records.

use io_registry::*;
use io_tests::Harness;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use solana_sdk::signature::{Keypair, Signer};

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

/// Runs one sequence; returns how many attestations were applied and how many refused.
fn run(ops: Vec<Op>) -> Result<(usize, usize), TestCaseError> {
    {
        let mut h = Harness::with_tree(5, 8, 2);
        let operators: Vec<Keypair> = (0..3).map(|_| h.operator()).collect();
        let mut nodes: Vec<(Keypair, usize)> = vec![];
        let mut seed = 0u64;
        // Ballots whose votes landed but whose attestation was refused, by leaf.
        let mut stuck = std::collections::HashMap::new();
        let (mut applied, mut refused) = (0usize, 0usize);
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
                    let expected_ok = record.status != NodeStatus::Retired;
                    prop_assert_eq!(result.is_ok(), expected_ok, "{:?}", result);
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
                    let expected_ok = record.status != NodeStatus::Retired && (epoch > record.last_attested_epoch || liveness) && !blocked;
                    prop_assert_eq!(result.is_ok(), expected_ok, "{:?}", result);
                    if result.is_ok() {
                        stuck.remove(&record.leaf_index);
                        applied += 1;
                    } else {
                        refused += 1;
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
                    prop_assert_eq!(result.is_ok(), record.status != NodeStatus::Retired);
                }
                Op::NextEpoch => {
                    h.next_epoch();
                }
                _ => {}
            }
            h.check_invariants();
        }
        Ok((applied, refused))
    }
}

#[test]
fn aggregates_and_roots_hold_over_random_sequences() {
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
    let totals = std::cell::Cell::new((0usize, 0usize));
    runner
        .run(&prop::collection::vec(op(), 10..30), |ops| {
            let (applied, refused) = run(ops)?;
            let (a, r) = totals.get();
            totals.set((a + applied, r + refused));
            Ok(())
        })
        .unwrap();
    // The attestation path was taken both ways, many times over.
    let (applied, refused) = totals.get();
    println!("attestations applied: {applied}, refused: {refused}");
    assert!(applied >= 48 && refused >= 10, "applied {applied}, refused {refused}");
}
