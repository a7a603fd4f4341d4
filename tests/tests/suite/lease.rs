//! The verification lease on the real programs: a verified node counts for its operator's
//! bond and reward weight for `lease_epochs` epochs from its audit, then stops counting by
//! itself (no transaction); the attestation transaction, `attest_node` followed by
//! `refresh_weight`, renews both. Expected figures come from the reference genesis
//! (24-epoch lease, 10,000 IO bond per enterprise GPU).

use io_registry::*;
use io_sdk::staking as sx;
use io_staking::StakingError;
use io_tests::{ix, Harness};
use solana_sdk::signature::{Keypair, Signer};

const IO: u64 = 1_000_000;

#[test]
fn a_verified_node_stops_counting_after_its_lease_and_the_attestation_renews_it() {
    let mut h = Harness::new();
    assert_eq!(h.config().lease_epochs, 24, "the reference genesis");
    let op = h.operator();
    let mint = h.io_mint;
    let tokens = h.fund_io(&op.pubkey(), 100_000 * IO);
    let spec = h.spec("H100", 8, 1);
    let (node, _) = h.register(&op, spec);
    let attested = h.next_epoch();
    let record = h.verify(&node.pubkey());
    assert_eq!(record.lease_end_epoch, attested + 24);

    // 8 H100s need 80,000 IO of bond; the weight's lease is the node's.
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 80_000 * IO)], &[&op]);
    let stake = h.stake(&op.pubkey());
    assert!(stake.weight > 0);
    assert_eq!(stake.lease_end, attested + 24);
    assert_eq!(h.staking_config().rewards.earning_weight, stake.weight);
    h.expect_error(&[sx::request_unstake(&op.pubkey(), IO)], &[&op], StakingError::BondStillNeeded);

    // The last epoch of the lease: it still counts.
    for _ in 0..23 {
        h.next_epoch();
    }
    assert_eq!(h.current_epoch(), attested + 23);
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [8, 0, 0]);
    h.check_invariants();

    // One epoch later it counts for nothing, though no transaction touched it.
    assert_eq!(h.next_epoch(), attested + 24);
    assert_eq!(h.counted(&op.pubkey()), VerifiedCapacity::default());
    assert_eq!(h.registry.record(&node.pubkey()).unwrap().status, NodeStatus::Verified, "the leaf still reads verified");
    h.check_invariants();

    // The next distribution pays the weight for the time it was live, then lapses it:
    // from then on nothing earns and the operator's pending rewards stop growing.
    h.end_emission_epochs(1);
    h.crank();
    let pool = h.staking_config().rewards;
    assert_eq!(pool.earning_weight, 0);
    assert!(pool.lapsed_through_epoch >= attested + 24);
    let config = h.staking_config();
    let owed = io_sdk::rewards::pending_rewards(&config, &h.stake(&op.pubkey()));
    assert!(owed > 0);
    let before = h.emissions_config();
    h.end_emission_epochs(1);
    h.crank();
    let config = h.staking_config();
    assert_eq!(io_sdk::rewards::pending_rewards(&config, &h.stake(&op.pubkey())), owed);
    let after = h.emissions_config();
    assert_eq!((after.total_minted, after.held_back), (before.total_minted, 0), "with no earner nothing is minted or owed");
    assert!(after.cursor.unscheduled > before.cursor.unscheduled, "the epoch's emission went back to the reserve");
    h.check_invariants();

    // Hardware that no longer counts needs no bond: the operator may unbond.
    h.ok(&[sx::request_unstake(&op.pubkey(), IO)], &[&op]);
    assert_eq!(h.stake(&op.pubkey()).weight, 0);

    // The quorum's attestation transaction renews the node's lease and, in the same
    // transaction, the operator's weight lease.
    let epoch = h.current_epoch();
    let metrics = Harness::good_metrics(Tier::Enterprise);
    h.attest(2, &node.pubkey(), Verdict::Verified, metrics, &[sx::refresh_weight(&op.pubkey())]);
    assert_eq!(h.registry.record(&node.pubkey()).unwrap().lease_end_epoch, epoch + 24);
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [8, 0, 0]);
    let stake = h.stake(&op.pubkey());
    assert!(stake.weight > 0);
    assert_eq!(stake.lease_end, epoch + 24);
    assert_eq!(h.staking_config().rewards.earning_weight, stake.weight);
    h.check_invariants();
}

#[test]
fn an_operator_s_weight_lease_is_its_first_node_lease_and_shrinks_with_it() {
    let mut h = Harness::new();
    let op = h.operator();
    let mint = h.io_mint;
    let tokens = h.fund_io(&op.pubkey(), 200_000 * IO);
    let (eight, four) = (h.spec("H100", 8, 1), h.spec("H100", 4, 2));
    let (first, _) = h.register(&op, eight);
    let (second, _) = h.register(&op, four);
    let e1 = h.next_epoch();
    h.verify(&first.pubkey());
    for _ in 0..10 {
        h.next_epoch();
    }
    let e2 = h.current_epoch();
    h.verify(&second.pubkey());
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 120_000 * IO)], &[&op]);
    // 12 GPUs count; the weight earns until the first node's lease ends.
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [12, 0, 0]);
    assert_eq!(h.stake(&op.pubkey()).lease_end, e1 + 24);

    // Past the first node's lease only the second's 4 GPUs count; a refresh (any
    // attestation of the operator's does one) earns on those until the second ends.
    while h.current_epoch() < e1 + 24 {
        h.next_epoch();
    }
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [4, 0, 0]);
    let full = h.stake(&op.pubkey()).weight;
    h.ok(&[sx::refresh_weight(&op.pubkey())], &[]);
    let stake = h.stake(&op.pubkey());
    assert_eq!(stake.lease_end, e2 + 24);
    // 4 of 12 GPUs, bonded beyond what 4 need: a third of the weight, to rounding.
    assert!(stake.weight.abs_diff(full / 3) <= 1, "{} vs {}", stake.weight, full / 3);
    h.check_invariants();
}

#[test]
fn the_lease_is_a_dao_parameter_within_bounds() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let stranger = Keypair::new();
    let lease = h.config().lease_epochs;
    for bad in [0, MAX_LEASE_EPOCHS + 1] {
        h.expect_error(&[ix::set_verification_lease(&authority.pubkey(), lease, bad)], &[&authority], RegistryError::InvalidLease);
    }
    h.expect_error(&[ix::set_verification_lease(&stranger.pubkey(), lease, 12)], &[&stranger], RegistryError::Unauthorized);
    // Written against another lease than the current one: stale, refused.
    h.expect_error(&[ix::set_verification_lease(&authority.pubkey(), lease + 1, 12)], &[&authority], RegistryError::StaleParams);

    // A node attested under the old lease keeps its end; the next attestation gets the new.
    let op = h.operator();
    let spec = h.spec("RTX 4090", 2, 1);
    let (node, _) = h.register(&op, spec);
    let e = h.next_epoch();
    assert_eq!(h.verify(&node.pubkey()).lease_end_epoch, e + 24);
    h.ok(&[ix::set_verification_lease(&authority.pubkey(), lease, 12)], &[&authority]);
    assert_eq!(h.config().lease_epochs, 12);
    assert_eq!(h.registry.record(&node.pubkey()).unwrap().lease_end_epoch, e + 24);
    let e = h.next_epoch();
    assert_eq!(h.verify(&node.pubkey()).lease_end_epoch, e + 12);
    h.check_invariants();
}

#[test]
fn forfeited_deposits_cannot_be_swept_into_the_config_itself() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let config = io_sdk::pda::registry_config();
    h.expect_error(&[ix::sweep_forfeited_deposits(&authority.pubkey(), &config)], &[&authority], RegistryError::SweepToConfig);
}
