use ::io_registry::*;
use io_tests::{ix, Harness};

#[test]
fn a_wrong_or_stale_proof_is_refused() {
    let mut h = Harness::new();
    let op = h.operator();
    let mut nodes = vec![];
    for i in 0..5 {
        let spec = h.spec("RTX 4090", 2, i);
        nodes.push(h.register(&op, spec).0);
    }
    let target = nodes[2].insecure_clone();
    let good = h.registry.proven_leaf(&solana_sdk::signature::Signer::pubkey(&target)).unwrap();
    let new_spec = HardwareSpec { gpu_count: 4, ..good.record.hardware() };

    // A proof node flipped.
    let mut bad = good.clone();
    bad.proof[0][0] ^= 1;
    h.expect_error(&[ix::update_node(&bad, new_spec)], &[&op], RegistryError::InvalidProof);

    // A record that is not the leaf (the operator pretends the node is verified).
    let mut forged = good.clone();
    forged.record.status = NodeStatus::Verified;
    h.expect_error(&[ix::update_node(&forged, new_spec)], &[&op], RegistryError::InvalidProof);

    // The right record at the wrong index.
    let mut moved = good.clone();
    moved.record.leaf_index = 3;
    h.expect_error(&[ix::update_node(&moved, new_spec)], &[&op], RegistryError::InvalidProof);

    // A root the tree never had.
    let mut rootless = good.clone();
    rootless.root = [7; 32];
    h.expect_error(&[ix::update_node(&rootless, new_spec)], &[&op], RegistryError::InvalidProof);

    // The good proof works; then the same (now stale) leaf is refused.
    let outcome = io_sdk::client::Chain::send(&mut h.net, &[ix::update_node(&good, new_spec)], &[&op]).unwrap();
    h.registry.ingest(&outcome).unwrap();
    h.check_invariants();
    let again = HardwareSpec { gpu_count: 6, ..new_spec };
    h.expect_error(&[ix::update_node(&good, again)], &[&op], RegistryError::InvalidProof);
}

#[test]
fn proofs_taken_before_other_leaves_changed_still_work() {
    // The concurrent tree fast-forwards a proof through its change-log buffer, so many
    // changes proven against the same root land one after another.
    let mut h = Harness::new();
    let op = h.operator();
    let mut nodes = vec![];
    for i in 0..6 {
        let spec = h.spec("A100", 1, i);
        nodes.push(h.register(&op, spec).0);
    }
    let leaves: Vec<_> = nodes
        .iter()
        .map(|n| h.registry.proven_leaf(&solana_sdk::signature::Signer::pubkey(n)).unwrap())
        .collect();
    for leaf in &leaves {
        let spec = HardwareSpec { gpu_count: 2, ..leaf.record.hardware() };
        let outcome = io_sdk::client::Chain::send(&mut h.net, &[ix::update_node(leaf, spec)], &[&op]).unwrap();
        h.registry.ingest(&outcome).unwrap();
    }
    h.check_invariants();
    assert!(h.registry.records().all(|(_, r)| r.gpu_count == 2));
}
