//! A proposal's lifecycle: queueing, the timelock, the execution window and cancelling.

use super::*;

#[test]
fn a_proposal_is_queued_only_after_its_vote_ends() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, id, VoteChoice::Yes);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::VotingNotEnded);
    let ends = h.proposal(id).voting_ends_at;
    advance_to(&mut h, ends - 1);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::VotingNotEnded);
    h.net.advance_clock(1);
    h.ok(&[gx::queue_proposal(id)], &[]);
    let p = h.proposal(id);
    assert_eq!((p.status, p.executable_at, p.expires_at), (ProposalStatus::Queued, ends + DAY, ends + 8 * DAY));
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::ProposalNotVoting);
}

#[test]
fn execution_waits_for_the_timelock_and_happens_once() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    // Not while voting.
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::ProposalNotQueued);
    h.vote(&proposer, id, VoteChoice::Yes);
    let p = h.end_vote_and_queue(id);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::TimelockNotElapsed);
    advance_to(&mut h, p.executable_at - 1);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::TimelockNotElapsed);
    assert_eq!(h.treasury_config().params.fee_bps, 200);
    h.net.advance_clock(1);
    h.ok(std::slice::from_ref(&ix), &[]);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::AlreadyExecuted);
    // Still refused later, and inside the window or not.
    advance_to(&mut h, p.expires_at + DAY);
    h.expect_dao_error(&[ix], &[], GovernanceError::AlreadyExecuted);
}

#[test]
fn a_defeated_proposal_cannot_be_executed() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(20_000 * IO);
    let against = h.staker_with_bond(30_000 * IO);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, id, VoteChoice::Yes);
    h.vote(&against, id, VoteChoice::No);
    let p = h.end_vote_and_queue(id);
    assert_eq!(p.status, ProposalStatus::Defeated);
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::ProposalNotQueued);
    h.net.advance_clock(2 * DAY);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::ProposalNotVoting);
    assert_eq!(h.treasury_config().params.fee_bps, 200);
}

#[test]
fn a_queued_proposal_expires_after_its_execution_window() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let id = h.passed_proposal(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    let p = h.proposal(id);
    assert_eq!(p.expires_at - p.executable_at, 7 * DAY);
    advance_to(&mut h, p.expires_at);
    assert_eq!(gx::stage(&p, now(&mut h)), gx::Stage::Expired);
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalExpired);
    assert_eq!(h.proposal(id).status, ProposalStatus::Queued);
    assert_eq!(h.treasury_config().params.fee_bps, 200);
}

#[test]
fn the_execution_window_is_fixed_by_the_end_of_the_vote_not_by_when_it_is_queued() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let late = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    let stale = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 120)]);
    h.vote(&proposer, late, VoteChoice::Yes);
    h.vote(&proposer, stale, VoteChoice::Yes);
    let ends = h.proposal(late).voting_ends_at;

    // Queued two days after the vote: the one-day timelock is already over.
    advance_to(&mut h, ends + 2 * DAY);
    h.ok(&[gx::queue_proposal(late)], &[]);
    let p = h.proposal(late);
    assert_eq!((p.executable_at, p.expires_at), (ends + DAY, ends + 8 * DAY));
    let ix = execute_ix(&mut h, late);
    h.ok(&[ix], &[]);
    assert_eq!(h.treasury_config().params.fee_bps, 150);

    // Queued after its window closed: recorded as passed, but it can never run.
    advance_to(&mut h, ends + 8 * DAY);
    h.ok(&[gx::queue_proposal(stale)], &[]);
    assert_eq!(h.proposal(stale).status, ProposalStatus::Queued);
    let ix = execute_ix(&mut h, stale);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalExpired);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
}

#[test]
fn a_failing_action_fails_the_whole_execution_and_leaves_it_queued_until_expiry() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    h.pay_cluster_in_iosd(10_000 * IO); // 200 IOSD of fees
    let grantee = h.operator();
    let to = h.iosd_account(&grantee.pubkey(), 0);
    let mint = h.io_mint;
    // Each proposal lowers the fee, then grants 300 IOSD: more than the vault holds.
    let plan = |fee| [actions::set_fee_bps(fees.fee_bps, fee), actions::grant(&mint, Asset::Iosd, &to, 300 * IO)];
    let retried = h.propose(&proposer, &plan(150));
    let abandoned = h.propose(&proposer, &plan(120));
    for id in [retried, abandoned] {
        h.vote(&proposer, id, VoteChoice::Yes);
    }
    h.end_vote_and_queue(retried);
    h.end_vote_and_queue(abandoned);
    let p = h.proposal(retried);
    advance_to(&mut h, p.executable_at);
    // Raised by the token program, two CPIs down (governance -> treasury -> token).
    let insufficient_funds = io_sdk::client::Refusal::new(
        anchor_spl::token::spl_token::ID,
        anchor_spl::token::spl_token::error::TokenError::InsufficientFunds as u32,
    );
    for id in [retried, abandoned] {
        // The grant fails, so the fee change before it is undone too.
        let ix = execute_ix(&mut h, id);
        h.expect_dao_error(&[ix], &[], insufficient_funds);
        assert_eq!(h.proposal(id).status, ProposalStatus::Queued);
    }
    assert_eq!((h.treasury_config().params.fee_bps, h.token_balance(&to)), (200, 0));
    // Fund the vault: the same proposal now executes.
    h.pay_cluster_in_iosd(10_000 * IO);
    h.execute(retried);
    assert_eq!((h.treasury_config().params.fee_bps, h.token_balance(&to)), (150, 300 * IO));
    assert_eq!(h.token_balance(&pda::treasury_iosd_vault()), 100 * IO);
    // The other waits out its window and can never run.
    h.pay_cluster_in_iosd(20_000 * IO);
    let q = h.proposal(abandoned);
    advance_to(&mut h, q.expires_at);
    let ix = execute_ix(&mut h, abandoned);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalExpired);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
}

#[test]
fn only_the_author_cancels_and_only_before_any_vote() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let author = h.staker_with_bond(20_000 * IO);
    let other = h.staker_with_bond(20_000 * IO);
    let id = h.propose(&author, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.expect_dao_error(&[gx::cancel_proposal(&other.pubkey(), id)], &[&other], GovernanceError::NotProposer);
    h.ok(&[gx::cancel_proposal(&author.pubkey(), id)], &[&author]);
    assert_eq!(h.proposal(id).status, ProposalStatus::Cancelled);
    // A cancelled proposal is over: no vote, no queue, no execution, no second cancel.
    h.expect_dao_error(&[gx::cast_vote(&other.pubkey(), id, VoteChoice::Yes)], &[&other], GovernanceError::ProposalNotVoting);
    h.expect_dao_error(&[gx::cancel_proposal(&author.pubkey(), id)], &[&author], GovernanceError::ProposalNotVoting);
    h.net.advance_clock(4 * DAY);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::ProposalNotVoting);
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);

    let voted = h.propose(&author, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&other, voted, VoteChoice::No);
    h.expect_dao_error(&[gx::cancel_proposal(&author.pubkey(), voted)], &[&author], GovernanceError::VotesAlreadyCast);
    assert_eq!(h.proposal(voted).status, ProposalStatus::Voting);
}
