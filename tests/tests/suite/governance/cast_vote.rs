//! `cast_vote`: the snapshot weight, once per position, inside the voting period.

use super::*;

#[test]
fn votes_count_once_and_only_during_the_voting_period() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(20_000 * IO);
    let on_time = h.staker_with_bond(5_000 * IO);
    let late = h.staker_with_bond(5_000 * IO);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, id, VoteChoice::Yes);
    for choice in [VoteChoice::Yes, VoteChoice::No, VoteChoice::Abstain] {
        h.expect_dao_error(&[gx::cast_vote(&proposer.pubkey(), id, choice)], &[&proposer], GovernanceError::AlreadyVoted);
    }
    let ends = h.proposal(id).voting_ends_at;
    advance_to(&mut h, ends - 1);
    h.vote(&on_time, id, VoteChoice::No);
    h.net.advance_clock(1);
    h.expect_dao_error(&[gx::cast_vote(&late.pubkey(), id, VoteChoice::No)], &[&late], GovernanceError::VotingClosed);
    let p = h.proposal(id);
    assert_eq!((p.yes, p.no, p.voters), (20_000 * IO, 5_000 * IO, 2));
    h.ok(&[gx::queue_proposal(id)], &[]);
    h.expect_dao_error(&[gx::cast_vote(&late.pubkey(), id, VoteChoice::No)], &[&late], GovernanceError::ProposalNotVoting);
}

#[test]
fn vote_weight_is_the_bond_before_the_opening_second() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(30_000 * IO);
    let topped = h.staker_with_bond(10_000 * IO);
    let unstaker = h.staker_with_bond(10_000 * IO);
    // Bonds in the opening second itself do not count, for the voter nor for the quorum base.
    let same_second = h.operator();
    let tokens = h.fund_io(&same_second.pubkey(), 40_000 * IO);
    let mint = h.io_mint;
    h.ok(&[io_sdk::staking::deposit(&same_second.pubkey(), &mint, &tokens, 40_000 * IO)], &[&same_second]);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.top_up(&topped, 5_000 * IO);
    assert_eq!(h.proposal(id).stake_at_open, 50_000 * IO);
    // Later changes do not count either: more stake, less stake, a new position.
    h.net.advance_clock(60);
    h.top_up(&topped, 20_000 * IO);
    h.ok(&[io_sdk::staking::request_unstake(&unstaker.pubkey(), 9_000 * IO)], &[&unstaker]);
    let newcomer = h.staker_with_bond(100_000 * IO);
    h.vote(&topped, id, VoteChoice::Yes);
    h.vote(&unstaker, id, VoteChoice::No);
    let record: io_governance::VoteRecord = fetch(&mut h.net, &pda::vote_record(&pda::proposal(id), &topped.pubkey())).unwrap();
    assert_eq!((record.weight, record.choice), (10_000 * IO, VoteChoice::Yes));
    let p = h.proposal(id);
    assert_eq!((p.yes, p.no), (10_000 * IO, 10_000 * IO), "the old weights, not the bonds of now");
    assert_eq!(h.stake(&topped.pubkey()).bonded, 35_000 * IO);
    for voter in [&same_second, &newcomer] {
        h.expect_dao_error(&[gx::cast_vote(&voter.pubkey(), id, VoteChoice::Yes)], &[voter], GovernanceError::NoVotingWeight);
    }
    // A wallet that never staked has no position at all.
    let stranger = h.operator();
    h.expect_dao_error(&[gx::cast_vote(&stranger.pubkey(), id, VoteChoice::Yes)], &[&stranger], GovernanceError::NoVotingWeight);
    // A proposal opened now sees the new bonds.
    let next = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&newcomer, next, VoteChoice::Yes);
    h.vote(&topped, next, VoteChoice::Yes);
    let n = h.proposal(next);
    assert_eq!((n.yes, n.stake_at_open), (135_000 * IO, 206_000 * IO));
}

#[test]
fn a_position_changed_eight_times_since_opening_has_lost_its_snapshot() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(30_000 * IO);
    let steady = h.staker_with_bond(10_000 * IO);
    let busy = h.staker_with_bond(10_000 * IO);
    let early = h.staker_with_bond(10_000 * IO);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&early, id, VoteChoice::No);
    // Seven bond changes in seven later seconds: the ring of eight still holds the bond
    // from before the opening. An eighth overwrites it.
    for _ in 0..7 {
        h.net.advance_clock(1);
        for staker in [&steady, &busy, &early] {
            h.top_up(staker, IO);
        }
    }
    h.net.advance_clock(1);
    h.top_up(&busy, IO);
    assert_eq!(h.stake(&steady.pubkey()).bond_checkpoints, 8);
    assert_eq!(h.stake(&busy.pubkey()).bond_checkpoints, 9);
    h.vote(&steady, id, VoteChoice::Yes);
    h.expect_dao_error(&[gx::cast_vote(&busy.pubkey(), id, VoteChoice::Yes)], &[&busy], GovernanceError::SnapshotUnavailable);
    // A vote cast before the changes stands.
    let p = h.proposal(id);
    assert_eq!((p.yes, p.no, p.voters), (10_000 * IO, 10_000 * IO, 2));
}
