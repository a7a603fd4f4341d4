use io_registry::*;
use io_tests::{ix, Harness};
use solana_sdk::signature::{Keypair, Signer};

/// Mode 1, resolution 1, base cell 4 (a pentagon), digit 1, the rest unused (7s): built
/// by hand from the H3 bit layout.
const PENTAGON_K_CHILD: u64 = (1 << 59) | (1 << 52) | (4 << 45) | (1 << 42) | ((1 << 42) - 1);

#[test]
fn registration_checks_the_spec_against_the_catalogue() {
    let mut h = Harness::new();
    let op = h.operator();
    let node = Keypair::new();
    let tree = h.first_tree;
    let base = h.spec("H100", 8, 1);
    let cases = [
        (HardwareSpec { gpu_model: 999, ..base }, RegistryError::UnknownGpuModel),
        (HardwareSpec { gpu_count: 0, ..base }, RegistryError::InvalidGpuCount),
        (HardwareSpec { gpu_count: MAX_GPUS_PER_NODE + 1, ..base }, RegistryError::InvalidGpuCount),
        (HardwareSpec { cuda: CudaVersion { major: 11, minor: 7 }, ..base }, RegistryError::CudaTooOld),
        (HardwareSpec { region: 0x1234, ..base }, RegistryError::InvalidRegion),
        // Base cell 4 is a pentagon: a resolution-1 child in direction 1 (the K axis it
        // lacks) has the right layout but is no cell (h3o refuses it too).
        (HardwareSpec { region: PENTAGON_K_CHILD, ..base }, RegistryError::InvalidRegion),
        (HardwareSpec { gpu_uuids_hash: [0; 32], ..base }, RegistryError::InvalidGpuUuidHash),
    ];
    for (spec, error) in cases {
        h.expect_error(&[ix::register_node(&op.pubkey(), &node.pubkey(), &tree, spec)], &[&op, &node], error);
    }

    // A retired model takes no new nodes.
    let authority = h.authority.insecure_clone();
    let a100 = h.model_id("A100");
    io_sdk::client::Chain::send(&mut h.net, &[ix::retire_gpu_model(&authority.pubkey(), a100)], &[&authority]).unwrap();
    let spec = h.spec("A100", 1, 2);
    h.expect_error(&[ix::register_node(&op.pubkey(), &node.pubkey(), &tree, spec)], &[&op, &node], RegistryError::GpuModelRetired);

    // Apple silicon registers with CUDA 0.0.
    let mac = HardwareSpec { cuda: CudaVersion::default(), ..h.spec("Apple M3 Max", 1, 3) };
    let (_, record) = h.register(&op, mac);
    assert_eq!(record.tier, Tier::Consumer);
    h.check_invariants();
}

#[test]
fn registration_needs_the_node_key_to_sign() {
    let mut h = Harness::new();
    let op = h.operator();
    let node = Keypair::new();
    let spec = h.spec("H100", 1, 1);
    let mut register = ix::register_node(&op.pubkey(), &node.pubkey(), &h.first_tree, spec);
    register.accounts[1].is_signer = false;
    let before = h.snapshot();
    let err = io_sdk::client::Chain::send(&mut h.net, &[register], &[&op]).unwrap_err();
    // Anchor's own Signer check: AccountNotSigner.
    assert_eq!(
        io_sdk::client::Refusal::of(&err),
        Some(io_sdk::client::Refusal::new(io_registry::ID, anchor_lang::error::ErrorCode::AccountNotSigner as u32))
    );
    assert!(h.snapshot() == before);
}

#[test]
fn hardware_changes_send_a_node_back_to_pending_and_region_changes_do_not() {
    let mut h = Harness::new();
    let op = h.operator();
    let spec = h.spec("RTX 4090", 4, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    h.verify(&node.pubkey());
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [0, 4, 0]);

    // Same spec: nothing to do.
    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    h.expect_error(&[ix::update_node(&leaf, spec)], &[&op], RegistryError::NoChange);

    // Region only: still verified, metrics kept.
    let moved = HardwareSpec { region: h.spec("RTX 4090", 4, 77).region, ..spec };
    let record = h.registry.update(&mut h.net, &op, &node.pubkey(), moved).unwrap();
    assert_eq!(record.status, NodeStatus::Verified);
    assert!(record.score > 0);
    h.check_invariants();

    // A driver upgrade: pending, metrics cleared, aggregates drop, attested epoch kept.
    let driver = HardwareSpec { cuda: CudaVersion { major: 12, minor: 6 }, ..moved };
    let record = h.registry.update(&mut h.net, &op, &node.pubkey(), driver).unwrap();
    assert_eq!(record.status, NodeStatus::Pending);
    assert_eq!(record.metrics, NodeMetrics::default());
    assert_eq!(record.last_attested_epoch, h.current_epoch());
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [0, 0, 0]);
    h.check_invariants();

    // Moving to another model re-tiers the node from the catalogue.
    let upgrade = HardwareSpec { gpu_model: h.model_id("H100"), ..driver };
    let record = h.registry.update(&mut h.net, &op, &node.pubkey(), upgrade).unwrap();
    assert_eq!(record.tier, Tier::Enterprise);
    h.check_invariants();
}

#[test]
fn only_the_operator_changes_a_node_and_retirement_is_final() {
    let mut h = Harness::new();
    let op = h.operator();
    let other = h.operator();
    let spec = h.spec("H200", 8, 1);
    let (node, _) = h.register(&op, spec);
    // The other operator has an aggregate account too, so the refusal is the handler's.
    let other_spec = h.spec("H200", 1, 2);
    h.register(&other, other_spec);

    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    let mut hijack = ix::retire_node(&leaf);
    hijack.accounts[0].pubkey = other.pubkey();
    hijack.accounts[4].pubkey = io_sdk::pda::operator_stats(&other.pubkey());
    h.expect_error(&[hijack], &[&other], RegistryError::NotNodeOperator);

    let record = h.registry.retire(&mut h.net, &op, &node.pubkey()).unwrap();
    assert_eq!(record.status, NodeStatus::Retired);
    assert_eq!(h.operator_stats(&op.pubkey()).nodes_by_status, [0, 0, 0, 1]);
    h.check_invariants();

    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    h.expect_error(&[ix::retire_node(&leaf)], &[&op], RegistryError::NodeRetired);
    let changed = HardwareSpec { gpu_count: 4, ..spec };
    h.expect_error(&[ix::update_node(&leaf, changed)], &[&op], RegistryError::NodeRetired);
    // The quorum may vote about a retired leaf; its attestation is refused.
    h.next_epoch();
    let epoch = h.current_epoch();
    let suspension = ix::verdict_subject(&leaf, epoch, Verdict::Suspended, false, vec![]);
    let payer = io_sdk::client::Chain::payer(&h.net);
    for i in 0..2 {
        let oracle = h.oracles[i].insecure_clone();
        h.ok(&[ix::submit_verdict(&payer, &oracle.pubkey(), &leaf, suspension.clone(), NodeMetrics::default())], &[&oracle]);
    }
    h.expect_error(&[ix::attest_node(&leaf, &payer)], &[], RegistryError::NodeRetired);
}
