//! The quorum on-chain: each oracle votes in its own transaction (`submit_verdict`), and
//! an attestation (`attest_node`, anyone may send it) applies a ballot a threshold of the
//! current oracle set voted, with the median of their metrics.

use anchor_lang::error::ErrorCode as AnchorError;
use io_registry::*;
use io_sdk::client::{fetch_opt, Chain, Refusal};
use io_sdk::pda;
use io_tests::{ix, Harness};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

fn pending_node(h: &mut Harness) -> Pubkey {
    let op = h.operator();
    let spec = h.spec("H100", 8, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    node.pubkey()
}

/// The verification subject for `node`'s leaf in the current epoch, naming its GPUs.
fn verified(h: &mut Harness, node: &Pubkey) -> (ix::ProvenLeaf, VerdictSubject) {
    let leaf = h.registry.proven_leaf(node).unwrap();
    let gpus = h.gpu_ids(&leaf.record);
    let epoch = h.current_epoch();
    let subject = ix::verdict_subject(&leaf, epoch, Verdict::Verified, false, gpus);
    (leaf, subject)
}

fn vote(h: &Harness, oracle: &Keypair, leaf: &ix::ProvenLeaf, subject: &VerdictSubject, metrics: NodeMetrics) -> Instruction {
    ix::submit_verdict(&h.net.payer(), &oracle.pubkey(), leaf, subject.clone(), metrics)
}

/// The first `n` oracles each vote `subject` with `metrics`, each in its own transaction.
fn votes(h: &mut Harness, n: usize, leaf: &ix::ProvenLeaf, subject: &VerdictSubject, metrics: NodeMetrics) {
    for i in 0..n {
        let (o, v) = (oracle(h, i), vote(h, &oracle(h, i), leaf, subject, metrics));
        h.ok(&[v], &[&o]);
    }
}

fn lamports(h: &mut Harness, key: &Pubkey) -> u64 {
    h.net.account(key).unwrap().map_or(0, |a| a.lamports)
}

fn oracle(h: &Harness, i: usize) -> Keypair {
    h.oracles[i].insecure_clone()
}

fn ballot(h: &mut Harness, leaf: &ix::ProvenLeaf) -> Option<Ballot> {
    fetch_opt(&mut h.net, &pda::ballot(&leaf.merkle_tree, leaf.record.leaf_index)).unwrap()
}

#[test]
fn threshold_many_distinct_oracles_verify_a_node_and_the_ballot_rent_comes_back() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    let good = Harness::good_metrics(Tier::Enterprise);
    let payer = h.net.payer();
    let before = lamports(&mut h, &payer);
    votes(&mut h, 2, &leaf, &subject, good);
    let open = ballot(&mut h, &leaf).expect("the votes opened a ballot");
    assert_eq!((open.votes.len(), open.rent_payer, open.subject.epoch), (2, payer, h.current_epoch()));
    // The node did not change yet: votes alone attest nothing.
    assert_eq!(h.registry.record(&node).unwrap().status, NodeStatus::Pending);

    let outcome = h.ok(&[ix::attest_node(&leaf, &payer)], &[]);
    let record = *h.registry.record(&node).unwrap();
    assert_eq!((record.status, record.last_attested_epoch), (NodeStatus::Verified, h.current_epoch()));
    assert!(record.score > 0);
    assert_eq!(h.operator_stats(&record.operator).verified.gpus_by_tier, [8, 0, 0]);
    // The ballot is gone and its rent is back: the payer is out only the fees of five
    // signatures (two per vote, one for the attestation), 5,000 lamports each.
    assert!(ballot(&mut h, &leaf).is_none());
    assert_eq!(before - lamports(&mut h, &payer), 5 * 5_000);
    // The event names the voters and all eight GPUs.
    let events = outcome.node_events();
    assert_eq!(events[0].oracles, vec![h.oracles[0].pubkey(), h.oracles[1].pubkey()]);
    assert_eq!(events[0].gpu_ids, h.gpu_ids(&record));
    assert_eq!(h.registry.proven_gpus(&leaf.merkle_tree, record.leaf_index).len(), 8);
    h.check_invariants();
}

#[test]
fn the_attested_metrics_are_the_median_of_the_votes() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    // Three oracles, each its own figures; one of them wildly optimistic.
    let votes = [
        NodeMetrics { verified_centi_tflops: 9_900, rtt_us: 1, bandwidth_mbps: 90_000, packet_loss_bps: 0 },
        NodeMetrics { verified_centi_tflops: 6_000, rtt_us: 20_000, bandwidth_mbps: 12_000, packet_loss_bps: 30 },
        NodeMetrics { verified_centi_tflops: 5_500, rtt_us: 25_000, bandwidth_mbps: 11_000, packet_loss_bps: 10 },
    ];
    for (i, metrics) in votes.iter().enumerate() {
        let (o, v) = (oracle(&h, i), vote(&h, &oracle(&h, i), &leaf, &subject, *metrics));
        h.ok(&[v], &[&o]);
    }
    let payer = h.net.payer();
    h.ok(&[ix::attest_node(&leaf, &payer)], &[]);
    // Each figure the middle one of three, by hand.
    let expected = NodeMetrics { verified_centi_tflops: 6_000, rtt_us: 20_000, bandwidth_mbps: 12_000, packet_loss_bps: 10 };
    assert_eq!(h.registry.record(&node).unwrap().metrics, expected);
}

#[test]
fn one_vote_short_of_the_threshold_attests_nothing() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    let (o, v) = (oracle(&h, 0), vote(&h, &oracle(&h, 0), &leaf, &subject, Harness::good_metrics(Tier::Enterprise)));
    h.ok(&[v], &[&o]);
    let payer = h.net.payer();
    h.expect_error(&[ix::attest_node(&leaf, &payer)], &[], RegistryError::InsufficientQuorum);
    // Nor with no ballot at all.
    let other = pending_node(&mut h);
    let (leaf, _) = verified(&mut h, &other);
    h.expect_error(&[ix::attest_node(&leaf, &payer)], &[], Refusal::new(io_registry::ID, AnchorError::AccountNotInitialized));
}

#[test]
fn a_vote_of_an_oracle_removed_from_the_set_no_longer_counts() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    votes(&mut h, 2, &leaf, &subject, Harness::good_metrics(Tier::Enterprise));
    // The authority replaces oracle 0 before the attestation.
    let authority = h.authority.insecure_clone();
    let set = vec![h.oracles[1].pubkey(), h.oracles[2].pubkey(), Pubkey::new_unique()];
    let (before, threshold) = h.oracle_set();
    h.ok(&[ix::set_oracles(&authority.pubkey(), (&before, threshold), (&set, 2))], &[&authority]);
    let payer = h.net.payer();
    h.expect_error(&[ix::attest_node(&leaf, &payer)], &[], RegistryError::InsufficientQuorum);
    // A current member's vote completes it.
    let (o, v) = (oracle(&h, 2), vote(&h, &oracle(&h, 2), &leaf, &subject, Harness::good_metrics(Tier::Enterprise)));
    h.ok(&[v], &[&o]);
    h.ok(&[ix::attest_node(&leaf, &payer)], &[]);
    let record = h.registry.proven_leaf(&node).unwrap();
    assert_eq!(record.record.status, NodeStatus::Verified);
}

#[test]
fn only_oracles_vote_each_once_with_their_signature_and_on_one_subject() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    let good = Harness::good_metrics(Tier::Enterprise);
    let impostor = Keypair::new();
    let forged = vote(&h, &impostor, &leaf, &subject, good);
    h.expect_error(&[forged], &[&impostor], RegistryError::NotAnOracle);

    // An oracle named without its signature.
    let mut unsigned = vote(&h, &oracle(&h, 0), &leaf, &subject, good);
    unsigned.accounts[1].is_signer = false;
    h.expect_error(&[unsigned], &[], Refusal::new(io_registry::ID, AnchorError::AccountNotSigner));

    let a = oracle(&h, 0);
    let first = vote(&h, &a, &leaf, &subject, good);
    h.ok(&[first], &[&a]);
    let again = vote(&h, &a, &leaf, &subject, NodeMetrics { rtt_us: 1, ..good });
    h.expect_error(&[again], &[&a], RegistryError::AlreadyVoted);

    // A second oracle that found otherwise cannot join this ballot.
    let b = oracle(&h, 1);
    let suspended = ix::verdict_subject(&leaf, subject.epoch, Verdict::Suspended, false, vec![]);
    let other = vote(&h, &b, &leaf, &suspended, NodeMetrics::default());
    h.expect_error(&[other], &[&b], RegistryError::BallotMismatch);
    let fewer_gpus = VerdictSubject { gpu_ids: subject.gpu_ids[1..].to_vec(), ..subject.clone() };
    let other = vote(&h, &b, &leaf, &fewer_gpus, good);
    h.expect_error(&[other], &[&b], RegistryError::BallotMismatch);
}

#[test]
fn a_subject_must_be_well_formed_and_name_the_records_gpus() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    let good = Harness::good_metrics(Tier::Enterprise);
    let a = oracle(&h, 0);
    let epoch = subject.epoch;
    let refused = |h: &mut Harness, subject: VerdictSubject, metrics: NodeMetrics, error: RegistryError| {
        let v = vote(h, &a, &leaf, &subject, metrics);
        h.expect_error(&[v], &[&a], error);
    };
    refused(&mut h, VerdictSubject { epoch: epoch + 1, ..subject.clone() }, good, RegistryError::FutureAttestationEpoch);
    refused(&mut h, subject.clone(), NodeMetrics { packet_loss_bps: 10_001, ..good }, RegistryError::InvalidMetrics);
    refused(&mut h, subject.clone(), NodeMetrics { verified_centi_tflops: 0, ..good }, RegistryError::InvalidMetrics);
    let mut unsorted = subject.gpu_ids.clone();
    unsorted.swap(0, 1);
    refused(&mut h, VerdictSubject { gpu_ids: unsorted, ..subject.clone() }, good, RegistryError::InvalidGpuIds);
    let mut twice = subject.gpu_ids.clone();
    twice[1] = twice[0];
    refused(&mut h, VerdictSubject { gpu_ids: twice, ..subject.clone() }, good, RegistryError::InvalidGpuIds);
    refused(&mut h, VerdictSubject { gpu_ids: vec![], ..subject.clone() }, good, RegistryError::InvalidGpuIds);
    let suspension = ix::verdict_subject(&leaf, epoch, Verdict::Suspended, false, subject.gpu_ids.clone());
    refused(&mut h, suspension, good, RegistryError::InvalidGpuIds);
    let verified_forfeiting = VerdictSubject { forfeit_deposit: true, ..subject.clone() };
    refused(&mut h, verified_forfeiting, good, RegistryError::ForfeitWithoutSuspension);

    // Well-formed, but seven of the eight claimed GPUs, or eight others: the quorum
    // agrees, and the attestation refuses it (gpu_count is attested, not trusted).
    let payer = h.net.payer();
    for gpus in [subject.gpu_ids[..7].to_vec(), io_sdk::gpu_ids(&Harness::gpu_uuids(99, 8))] {
        let (leaf, subject) = verified(&mut h, &node);
        let claim = VerdictSubject { gpu_ids: gpus, ..subject };
        votes(&mut h, 2, &leaf, &claim, good);
        h.expect_error(&[ix::attest_node(&leaf, &payer)], &[], RegistryError::GpuSetMismatch);
        // The next epoch's votes start the ballot afresh.
        h.next_epoch();
    }
    // And the whole set, in a later epoch, verifies it.
    h.verify(&node);
}

#[test]
fn a_verified_record_needs_the_tiers_bandwidth() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    let slow_link = NodeMetrics { bandwidth_mbps: 2_000, ..Harness::good_metrics(Tier::Enterprise) };
    votes(&mut h, 2, &leaf, &subject, slow_link);
    let payer = h.net.payer();
    h.expect_error(&[ix::attest_node(&leaf, &payer)], &[], RegistryError::BandwidthBelowTierMinimum);
}

#[test]
fn a_ballot_applies_only_to_the_record_it_was_voted_on_and_returns_rent_to_its_payer_only() {
    let mut h = Harness::new();
    let op = h.operator();
    let spec = h.spec("H100", 8, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    let node = node.pubkey();
    let (leaf, subject) = verified(&mut h, &node);
    votes(&mut h, 2, &leaf, &subject, Harness::good_metrics(Tier::Enterprise));
    // The rent goes to whoever opened the ballot, no one else.
    let thief = Pubkey::new_unique();
    h.expect_error(&[ix::attest_node(&leaf, &thief)], &[], RegistryError::BallotNotForRecord);
    // The operator changes the node after the votes: the ballot is not about this record.
    let spec = HardwareSpec { cuda: CudaVersion { major: 12, minor: 8 }, ..leaf.record.hardware() };
    let update = ix::update_node(&leaf, spec);
    h.ok(&[update], &[&op]);
    let changed = h.registry.proven_leaf(&node).unwrap();
    let payer = h.net.payer();
    h.expect_error(&[ix::attest_node(&changed, &payer)], &[], RegistryError::BallotNotForRecord);
}

#[test]
fn attestations_cannot_be_replayed() {
    let mut h = Harness::new();
    let node = pending_node(&mut h);
    let (leaf, subject) = verified(&mut h, &node);
    let good = Harness::good_metrics(Tier::Enterprise);
    let votes: Vec<Instruction> = (0..2).map(|i| vote(&h, &oracle(&h, i), &leaf, &subject, good)).collect();
    let (a, b) = (oracle(&h, 0), oracle(&h, 1));
    h.ok(&votes[..1], &[&a]);
    h.ok(&votes[1..], &[&b]);
    let payer = h.net.payer();
    let attest = ix::attest_node(&leaf, &payer);
    h.ok(std::slice::from_ref(&attest), &[]);
    // The same attestation again: its ballot is closed.
    h.expect_error(&[attest], &[], Refusal::new(io_registry::ID, AnchorError::AccountNotInitialized));
    // The same votes again open a new ballot, which the record refuses: that epoch is
    // attested, and the old record is no longer the leaf.
    let fresh = h.registry.proven_leaf(&node).unwrap();
    let again = ix::verdict_subject(&fresh, subject.epoch, Verdict::Verified, false, subject.gpu_ids.clone());
    for (i, o) in [&a, &b].into_iter().enumerate() {
        let _ = i;
        let v = vote(&h, o, &fresh, &again, good);
        h.ok(&[v], &[o]);
    }
    h.expect_error(&[ix::attest_node(&fresh, &payer)], &[], RegistryError::StaleAttestationEpoch);
    h.check_invariants();
}

#[test]
fn a_verified_node_can_be_suspended_once_within_its_audit_epoch() {
    let mut h = Harness::new();
    let (first, second) = (pending_node(&mut h), pending_node(&mut h));
    let epoch = h.current_epoch();
    let payer = h.net.payer();
    for (node, then) in [(first, Verdict::Suspended), (second, Verdict::Verified)] {
        let record = h.verify(&node);
        assert_eq!(record.status, NodeStatus::Verified);
        // Missed heartbeats: the quorum suspends it in the same epoch.
        h.attest(2, &node, Verdict::Suspended, NodeMetrics::default(), &[]);
        let record = *h.registry.record(&node).unwrap();
        assert_eq!((record.status, record.last_attested_epoch, record.score), (NodeStatus::Suspended, epoch, 0));
        // Only once, and never back to verified within the epoch.
        let leaf = h.registry.proven_leaf(&node).unwrap();
        let (gpus, metrics) = match then {
            Verdict::Verified => (h.gpu_ids(&record), Harness::good_metrics(Tier::Enterprise)),
            Verdict::Suspended => (vec![], NodeMetrics::default()),
        };
        let subject = ix::verdict_subject(&leaf, epoch, then, false, gpus);
        votes(&mut h, 2, &leaf, &subject, metrics);
        h.expect_error(&[ix::attest_node(&leaf, &payer)], &[], RegistryError::StaleAttestationEpoch);
    }
    let operator = h.registry.record(&first).unwrap().operator;
    assert_eq!(h.counted(&operator).gpus_by_tier, [0, 0, 0]);
    h.check_invariants();
}

#[test]
fn a_ballot_no_attestation_applied_returns_its_rent_after_its_lifetime() {
    let mut h = Harness::new();
    let op = h.operator();
    let spec = h.spec("H100", 8, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    let node = node.pubkey();
    let (leaf, subject) = verified(&mut h, &node);
    votes(&mut h, 2, &leaf, &subject, Harness::good_metrics(Tier::Enterprise));
    // The operator retires the node after the votes: no attestation can apply them.
    h.registry.retire(&mut h.net, &op, &node).unwrap();
    let address = pda::ballot(&leaf.merkle_tree, leaf.record.leaf_index);
    let payer = h.net.payer();
    let rent = lamports(&mut h, &address);
    assert!(rent > 0);
    for _ in 0..BALLOT_LIFETIME_EPOCHS {
        h.expect_error(&[ix::close_ballot(&address, &payer)], &[], RegistryError::BallotStillOpen);
        h.next_epoch();
    }
    // Only to whoever opened it.
    h.expect_error(&[ix::close_ballot(&address, &Pubkey::new_unique())], &[], RegistryError::BallotNotForRecord);
    let before = lamports(&mut h, &payer);
    h.ok(&[ix::close_ballot(&address, &payer)], &[]);
    // Back to the payer: the rent, less this transaction's one signature.
    assert_eq!(lamports(&mut h, &payer), before + rent - 5_000);
    assert!(ballot(&mut h, &leaf).is_none());
    h.expect_error(&[ix::close_ballot(&address, &payer)], &[], Refusal::new(io_registry::ID, AnchorError::AccountNotInitialized));
}
