//! The worst cases the compute-unit table (`docs/compute-units.md`) is measured on, for
//! instructions whose cost grows with state the rest of the suite keeps small. Each is a
//! real test of its outcome on both lanes; on the SBF lane the bank logs what each
//! instruction consumed (`IO_CU_LOG`), and `scripts/compute_units.py` checks the budgets.
//! The others are reached elsewhere: `attest_node` at the largest quorum and the deepest
//! proof of the reference tree (tx_size), `advance_epoch` catching up its maximum
//! (emissions), `create_tree` at depth 20 (every genesis), `buyback_and_burn` with a
//! Pyth price account (treasury).

use io_registry::{NodeStatus, Verdict};
use io_sdk::governance::{self as gx, actions};
use io_sdk::staking as sx;
use io_tests::Harness;
use io_treasury::Asset;
use solana_sdk::packet::PACKET_DATA_SIZE;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const IO: u64 = 1_000_000;
const DAY: i64 = 24 * 3600;

/// `execute_slash` walks the unbonding entries soonest first: a slash that reaches the
/// last of the eight drains every entry on the way.
#[test]
fn execute_slash_drains_every_unbonding_entry_in_turn() {
    let mut h = Harness::new();
    let op = h.operator();
    let tokens = h.fund_io(&op.pubkey(), 100_000 * IO);
    let (mint, treasury) = (h.io_mint, h.treasury);
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 100_000 * IO)], &[&op]);
    // Seven entries of 1 IO, then the rest: nothing stays bonded.
    for _ in 0..io_staking::MAX_UNBONDING_ENTRIES - 1 {
        h.ok(&[sx::request_unstake(&op.pubkey(), IO)], &[&op]);
        h.net.advance_clock(1);
    }
    h.ok(&[sx::request_unstake(&op.pubkey(), 99_993 * IO)], &[&op]);
    let stake = h.stake(&op.pubkey());
    assert_eq!(stake.bonded, 0);
    assert!(stake.unbonding.iter().all(|e| e.amount > 0), "every entry in use");

    // Half the stake (the most one proposal may take): the seven small entries, then
    // 49,993 IO of the last.
    let id = h.oracle_slash(&op.pubkey(), 50_000 * IO);
    h.net.warp_seconds(8 * DAY);
    h.ok(&[sx::execute_slash(&op.pubkey(), id, &mint, &treasury)], &[]);
    let stake = h.stake(&op.pubkey());
    let left: Vec<u64> = stake.unbonding.iter().map(|e| e.amount).collect();
    assert_eq!(left, [0, 0, 0, 0, 0, 0, 0, 50_000 * IO]);
    assert_eq!(h.staking_config().total_slashed, 50_000 * IO);
    h.check_vault_invariant();
}

/// Attests `node` again in the current epoch (verified, same metrics) with its operator's
/// weight refresh, as the oracles do within every lease.
fn keep_verified(h: &mut Harness, node: &Pubkey) {
    let record = *h.registry.record(node).unwrap();
    assert_eq!(record.status, NodeStatus::Verified);
    h.attest(2, node, Verdict::Verified, record.metrics, &[sx::refresh_weight(&record.operator)]);
}

/// `claim_rewards` of a stake whose weight lease ended long ago settles against the
/// pool's lapse history: it pays what the stake earned until its lease ended, nothing
/// more, however many distributions ran since.
#[test]
fn claim_rewards_of_a_long_lapsed_stake_pays_exactly_what_it_earned() {
    let mut h = Harness::new();
    let mint = h.io_mint;
    // Three operators with the same hardware and bond: `early` and `late` stop being
    // attested after the first epoch; `keeper` keeps the pool distributing.
    let mut stakers = vec![];
    for seed in 1..=3 {
        let key = h.operator();
        let tokens = h.fund_io(&key.pubkey(), 100_000 * IO);
        let spec = h.spec("H100", 8, seed);
        let (node, _) = h.register(&key, spec);
        stakers.push((key, tokens, node));
    }
    h.next_epoch();
    for (_, _, node) in &stakers {
        h.verify(&node.pubkey());
    }
    for (key, tokens, _) in &stakers {
        h.ok(&[sx::deposit(&key.pubkey(), &mint, tokens, 50_000 * IO)], &[key]);
    }
    let [early, late, keeper] = [0, 1, 2].map(|i| (stakers[i].0.insecure_clone(), stakers[i].1, stakers[i].2.pubkey()));
    let claim = |h: &mut Harness, who: &(Keypair, Pubkey, Pubkey)| {
        let before = h.token_balance(&who.1);
        h.ok(&[sx::claim_rewards(&who.0.pubkey(), &mint, &who.1)], &[&who.0]);
        h.token_balance(&who.1) - before
    };

    let lease = h.config().lease_epochs;
    let (mut keeper_claimed, mut early_claimed) = (0, 0);
    for epoch in 1..=lease + 40 {
        h.end_emission_epochs(1);
        keep_verified(&mut h, &keeper.2);
        h.crank();
        // `early` claims a few epochs after both leases ended.
        if epoch == lease + 4 {
            assert!(h.stake(&early.0.pubkey()).lease_end < h.current_epoch(), "the lease has ended");
            early_claimed = claim(&mut h, &early);
            h.net.advance_clock(1);
            keeper_claimed += claim(&mut h, &keeper);
        }
    }
    assert!(early_claimed > 0);
    let late_stake = h.stake(&late.0.pubkey());
    assert!(late_stake.lease_end + 40 <= h.current_epoch(), "the stake lapsed at least 40 distributions ago");
    let late_claimed = claim(&mut h, &late);
    assert_eq!(late_claimed, early_claimed, "a long-lapsed stake earns what a twin that claimed at its lapse did");
    keeper_claimed += claim(&mut h, &keeper);
    assert!(keeper_claimed > late_claimed, "the kept stake went on earning");
    h.check_reward_invariants();
}

/// `execute_proposal` at its largest: the eight actions a proposal may carry (drafted over
/// several transactions), each a grant, so each a CPI into the treasury and from it into
/// the token program. The execution transaction names the grant's accounts once, so it
/// fits a packet; it must also fit the default compute budget.
#[test]
fn execute_proposal_runs_eight_grants() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(10_000 * IO);
    h.pay_cluster_in_iosd(100_000 * IO);
    let mint = h.io_mint;
    let grantee = h.operator();
    let to = h.iosd_account(&grantee.pubkey(), 0);
    let n = io_governance::MAX_PROPOSAL_INSTRUCTIONS as u64;
    let grants: Vec<_> = (1..=n).map(|i| actions::grant(&mint, Asset::Iosd, &to, i * IO)).collect();
    let id = h.passed_proposal(&proposer, &grants);
    let execute = gx::execute_proposal(id, &h.proposal(id).instructions);
    assert!(bincode::serialize(&h.net.transaction(&[execute], &[])).unwrap().len() <= PACKET_DATA_SIZE);
    h.execute(id);
    let granted: u64 = (1..=n).map(|i| i * IO).sum();
    assert_eq!(h.token_balance(&to), granted);
    assert_eq!(h.treasury_config().totals.iosd_granted, granted);
}
