//! `queue_proposal` decides: quorum, approval and abstentions, to the base unit.

use super::*;

#[test]
fn quorum_is_ten_percent_of_the_stake_at_opening_inclusive() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let silent = h.staker_with_bond(90_000 * IO);
    // 10,000 of 100,000 IO: exactly the quorum.
    let met = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, met, VoteChoice::Yes);
    // One base unit more bonded elsewhere: 10,000 IO is now just short of 10%.
    h.top_up(&silent, 1);
    h.net.advance_clock(1);
    let short = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, short, VoteChoice::Yes);
    assert_eq!((h.proposal(met).stake_at_open, h.proposal(short).stake_at_open), (100_000 * IO, 100_000 * IO + 1));
    assert_eq!(h.end_vote_and_queue(met).status, ProposalStatus::Queued);
    let p = h.end_vote_and_queue(short);
    assert_eq!((p.status, p.yes, p.no), (ProposalStatus::Defeated, THRESHOLD, 0), "unanimous, but without quorum");
    let ix = execute_ix(&mut h, short);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);
}

#[test]
fn approval_needs_sixty_percent_of_yes_and_no() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let yes = h.staker_with_bond(30_000 * IO);
    let no = h.staker_with_bond(20_000 * IO);
    // 30,000 yes to 20,000 no: exactly 60%.
    let exact = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&yes, exact, VoteChoice::Yes);
    h.vote(&no, exact, VoteChoice::No);
    // 30,000 yes to 20,000 IO + 1 base unit no: just below.
    h.top_up(&no, 1);
    h.net.advance_clock(1);
    let below = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&yes, below, VoteChoice::Yes);
    h.vote(&no, below, VoteChoice::No);
    assert_eq!(h.end_vote_and_queue(exact).status, ProposalStatus::Queued);
    let p = h.end_vote_and_queue(below);
    assert_eq!((p.status, p.yes, p.no), (ProposalStatus::Defeated, 30_000 * IO, 20_000 * IO + 1));
    let executable_at = h.proposal(exact).executable_at;
    advance_to(&mut h, executable_at);
    let ix = execute_ix(&mut h, below);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);
    h.execute(exact);
}

#[test]
fn abstentions_count_for_quorum_but_not_for_approval() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let abstainer = h.staker_with_bond(THRESHOLD);
    let yes = h.staker_with_bond(600 * IO);
    let no = h.staker_with_bond(400 * IO);
    h.staker_with_bond(50_000 * IO); // silent
                                     // 61,000 IO at opening: quorum 6,100. Yes + no alone (1,000) would miss it; with the
                                     // abstention it is met, and approval is 600 of 1,000 = 60%, the abstention diluting nothing.
    let id = h.propose(&abstainer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&abstainer, id, VoteChoice::Abstain);
    h.vote(&yes, id, VoteChoice::Yes);
    h.vote(&no, id, VoteChoice::No);
    let only_abstain = h.propose(&abstainer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&abstainer, only_abstain, VoteChoice::Abstain);
    let p = h.end_vote_and_queue(id);
    assert_eq!((p.stake_at_open, p.yes, p.no, p.abstain, p.voters), (61_000 * IO, 600 * IO, 400 * IO, THRESHOLD, 3));
    assert_eq!(p.status, ProposalStatus::Queued);
    // Quorum with nobody saying yes passes nothing.
    let q = h.end_vote_and_queue(only_abstain);
    assert_eq!((q.status, q.abstain, q.yes), (ProposalStatus::Defeated, THRESHOLD, 0));
}
