//! Random operation sequences against the bank: after every step the tree root equals the
//! mirror's and every operator's aggregates equal the sum of its records.

use io_registry::*;
use io_tests::Harness;
use proptest::prelude::*;
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn aggregates_and_roots_hold_over_random_sequences(ops in prop::collection::vec(op(), 10..30)) {
        let mut h = Harness::with_tree(5, 8, 2);
        let operators: Vec<Keypair> = (0..3).map(|_| h.operator()).collect();
        let mut nodes: Vec<(Keypair, usize)> = vec![];
        let mut seed = 0u64;
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
                    let spec = HardwareSpec { gpu_count: gpus, ..record.hardware() };
                    let result = h.registry.update(&mut h.net, &operators[*operator], &key.pubkey(), spec);
                    let expected_ok = record.status != NodeStatus::Retired && gpus != record.gpu_count;
                    prop_assert_eq!(result.is_ok(), expected_ok, "{:?}", result);
                }
                Op::Verify { node } | Op::Suspend { node } if !nodes.is_empty() => {
                    let key = nodes[node % nodes.len()].0.pubkey();
                    let record = *h.registry.record(&key).unwrap();
                    let epoch = h.current_epoch();
                    let verdict = if matches!(op, Op::Verify { .. }) { Verdict::Verified } else { Verdict::Suspended };
                    let oracles = h.oracle_refs(2).into_iter().map(|k| k.insecure_clone()).collect::<Vec<_>>();
                    let refs: Vec<&Keypair> = oracles.iter().collect();
                    let result = h.registry.attest(&mut h.net, &refs, &key, epoch, verdict, Harness::good_metrics(record.tier));
                    // A later epoch, or the one suspension of a node verified this epoch.
                    let liveness = verdict == Verdict::Suspended && record.status == NodeStatus::Verified && epoch == record.last_attested_epoch;
                    let expected_ok = record.status != NodeStatus::Retired && (epoch > record.last_attested_epoch || liveness);
                    prop_assert_eq!(result.is_ok(), expected_ok, "{:?}", result);
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
    }
}
