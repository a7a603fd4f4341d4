use io_registry::*;
use io_tests::{ix, Harness};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

fn pending_node(h: &mut Harness) -> Pubkey {
    let op = h.operator();
    let spec = h.spec("H100", 8, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    node.pubkey()
}

fn attest_ix(h: &mut Harness, node: &Pubkey, signers: &[Pubkey]) -> solana_sdk::instruction::Instruction {
    let leaf = h.registry.proven_leaf(node).unwrap();
    let epoch = h.current_epoch();
    ix::attest_node(&leaf, signers, epoch, Verdict::Verified, Harness::good_metrics(Tier::Enterprise))
}

#[test]
fn threshold_many_distinct_oracles_verify_a_node() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let record = h.verify(&node);
    assert_eq!(record.status, NodeStatus::Verified);
    assert_eq!(record.last_attested_epoch, h.current_epoch());
    assert!(record.score > 0);
    let stats = h.operator_stats(&record.operator);
    assert_eq!(stats.verified.gpus_by_tier, [8, 0, 0]);
    h.check_invariants();
}

#[test]
fn one_oracle_short_of_the_threshold_is_refused() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let one = h.oracles[0].pubkey();
    let attest = attest_ix(&mut h, &node, &[one]);
    let signer = h.oracles[0].insecure_clone();
    h.expect_error(&[attest], &[&signer], RegistryError::InsufficientQuorum);
}

#[test]
fn a_non_oracle_signer_is_refused() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let impostor = Keypair::new();
    let keys = [h.oracles[0].pubkey(), impostor.pubkey()];
    let attest = attest_ix(&mut h, &node, &keys);
    let oracle = h.oracles[0].insecure_clone();
    h.expect_error(&[attest], &[&oracle, &impostor], RegistryError::NotAnOracle);
}

#[test]
fn one_oracle_listed_twice_counts_once() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let key = h.oracles[0].pubkey();
    let attest = attest_ix(&mut h, &node, &[key, key]);
    let oracle = h.oracles[0].insecure_clone();
    h.expect_error(&[attest], &[&oracle], RegistryError::InsufficientQuorum);
}

#[test]
fn an_oracle_listed_without_its_signature_is_refused() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let keys = [h.oracles[0].pubkey(), h.oracles[1].pubkey()];
    let mut attest = attest_ix(&mut h, &node, &keys);
    // Second oracle listed but not signing.
    let meta = attest.accounts.iter_mut().find(|m| m.pubkey == keys[1]).unwrap();
    meta.is_signer = false;
    let oracle = h.oracles[0].insecure_clone();
    h.expect_error(&[attest], &[&oracle], RegistryError::MissingOracleSignature);
}

#[test]
fn attestations_cannot_be_replayed_or_dated_ahead() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let pair = [h.oracles[0].pubkey(), h.oracles[1].pubkey()];
    let first = attest_ix(&mut h, &node, &pair);
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    let outcome = io_sdk::client::Chain::send(&mut h.net, std::slice::from_ref(&first), &[&a, &b]).unwrap();
    h.registry.ingest(&outcome).unwrap();
    let epoch = h.current_epoch();

    // Same epoch again, with a fresh proof: refused as a replay.
    let keys = [a.pubkey(), b.pubkey()];
    let leaf = h.registry.proven_leaf(&node).unwrap();
    let metrics = leaf.record.metrics;
    let again = ix::attest_node(&leaf, &keys, epoch, Verdict::Verified, metrics);
    h.expect_error(&[again], &[&a, &b], RegistryError::StaleAttestationEpoch);
    let older = ix::attest_node(&leaf, &keys, epoch - 1, Verdict::Suspended, NodeMetrics::default());
    h.expect_error(&[older], &[&a, &b], RegistryError::StaleAttestationEpoch);
    // The exact old transaction again: its record is no longer the leaf.
    h.expect_error(&[first], &[&a, &b], RegistryError::InvalidProof);
    // An epoch that has not begun.
    let ahead = ix::attest_node(&leaf, &keys, epoch + 1, Verdict::Suspended, NodeMetrics::default());
    h.expect_error(&[ahead], &[&a, &b], RegistryError::FutureAttestationEpoch);

    // Next epoch: a new audit (here a suspension) is accepted.
    h.next_epoch();
    let epoch = h.current_epoch();
    let record = h.registry.attest(&mut h.net, &[&a, &b], &node, epoch, Verdict::Suspended, NodeMetrics::default()).unwrap();
    assert_eq!(record.status, NodeStatus::Suspended);
    assert_eq!(record.score, 0);
    assert_eq!(h.counted(&record.operator).gpus_by_tier, [0, 0, 0]);
    h.check_invariants();
}

#[test]
fn verified_metrics_must_meet_the_tier_and_be_in_range() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    let keys = [a.pubkey(), b.pubkey()];
    let leaf = h.registry.proven_leaf(&node).unwrap();
    let epoch = h.current_epoch();
    let slow_link = NodeMetrics { bandwidth_mbps: 2_000, ..Harness::good_metrics(Tier::Enterprise) };
    let attest = ix::attest_node(&leaf, &keys, epoch, Verdict::Verified, slow_link);
    h.expect_error(&[attest], &[&a, &b], RegistryError::BandwidthBelowTierMinimum);
    let lossy = NodeMetrics { packet_loss_bps: 10_001, ..Harness::good_metrics(Tier::Enterprise) };
    let attest = ix::attest_node(&leaf, &keys, epoch, Verdict::Verified, lossy);
    h.expect_error(&[attest], &[&a, &b], RegistryError::InvalidMetrics);
    let no_work = NodeMetrics { verified_centi_tflops: 0, ..Harness::good_metrics(Tier::Enterprise) };
    let attest = ix::attest_node(&leaf, &keys, epoch, Verdict::Verified, no_work);
    h.expect_error(&[attest], &[&a, &b], RegistryError::InvalidMetrics);
}

#[test]
fn a_verified_node_can_be_suspended_once_within_its_audit_epoch() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let pair = [h.oracles[0].pubkey(), h.oracles[1].pubkey()];
    let first = attest_ix(&mut h, &node, &pair);
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    let outcome = io_sdk::client::Chain::send(&mut h.net, std::slice::from_ref(&first), &[&a, &b]).unwrap();
    h.registry.ingest(&outcome).unwrap();
    let epoch = h.current_epoch();
    assert_eq!(h.registry.record(&node).unwrap().status, NodeStatus::Verified);

    // Missed heartbeats: the quorum suspends it in the same epoch.
    let record = h.registry.attest(&mut h.net, &[&a, &b], &node, epoch, Verdict::Suspended, NodeMetrics::default()).unwrap();
    assert_eq!((record.status, record.last_attested_epoch, record.score), (NodeStatus::Suspended, epoch, 0));
    assert_eq!(h.counted(&record.operator).gpus_by_tier, [0, 0, 0]);

    // Only once, and never back to verified within the epoch.
    let keys = [a.pubkey(), b.pubkey()];
    let leaf = h.registry.proven_leaf(&node).unwrap();
    let twice = ix::attest_node(&leaf, &keys, epoch, Verdict::Suspended, NodeMetrics::default());
    h.expect_error(&[twice], &[&a, &b], RegistryError::StaleAttestationEpoch);
    let metrics = NodeMetrics { verified_centi_tflops: 5_000, rtt_us: 900, bandwidth_mbps: 10_000, packet_loss_bps: 0 };
    let back = ix::attest_node(&leaf, &keys, epoch, Verdict::Verified, metrics);
    h.expect_error(&[back], &[&a, &b], RegistryError::StaleAttestationEpoch);
    h.check_invariants();
}
