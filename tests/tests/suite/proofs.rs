use io_registry::*;
use io_tests::{ix, Harness};
use solana_sdk::signature::Signer;

#[test]
fn a_wrong_or_stale_proof_is_refused() {
    // The tree repairs a proof from its change-log buffer (64 entries here), so a proof
    // only goes bad once the changes it missed have left the buffer: register enough
    // nodes after taking it.
    let mut h = Harness::new();
    let op = h.operator();
    let mut nodes = vec![];
    for i in 0..5 {
        let spec = h.spec("RTX 4090", 2, i);
        nodes.push(h.register(&op, spec).0);
    }
    let target = nodes[2].pubkey();
    let early = h.registry.proven_leaf(&target).unwrap();
    for i in 5..80 {
        let spec = h.spec("RTX 4090", 2, i);
        h.register(&op, spec);
    }
    let good = h.registry.proven_leaf(&target).unwrap();
    let new_spec = HardwareSpec { gpu_count: 4, ..good.record.hardware() };

    // A proof taken before 75 other changes: its nodes are stale and the buffer no longer
    // holds what would repair them.
    h.expect_error(&[ix::update_node(&early, new_spec)], &[&op], RegistryError::InvalidProof);

    // A proof node flipped.
    let mut bad = good.clone();
    bad.proof[0][0] ^= 1;
    h.expect_error(&[ix::update_node(&bad, new_spec)], &[&op], RegistryError::InvalidProof);

    // A record that is not the leaf (the operator pretends the node is verified).
    let mut forged = good.clone();
    forged.record.status = NodeStatus::Verified;
    h.expect_error(&[ix::update_node(&forged, new_spec)], &[&op], RegistryError::InvalidProof);

    // The right record claimed at another index.
    let mut moved = good.clone();
    moved.record.leaf_index = 3;
    h.expect_error(&[ix::update_node(&moved, new_spec)], &[&op], RegistryError::InvalidProof);

    // The good proof works; then the same (now replaced) leaf is refused.
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
    let leaves: Vec<_> = nodes.iter().map(|n| h.registry.proven_leaf(&n.pubkey()).unwrap()).collect();
    for leaf in &leaves {
        let spec = HardwareSpec { gpu_count: 2, ..leaf.record.hardware() };
        let outcome = io_sdk::client::Chain::send(&mut h.net, &[ix::update_node(leaf, spec)], &[&op]).unwrap();
        h.registry.ingest(&outcome).unwrap();
    }
    h.check_invariants();
    assert!(h.registry.records().all(|(_, r)| r.gpu_count == 2));
}
