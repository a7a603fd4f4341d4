use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::ProposalFinalized;
use crate::state::{Proposal, ProposalStatus};
use anchor_lang::prelude::*;
use io_math::{proposal_outcome, Outcome, Votes};

#[derive(Accounts)]
pub struct QueueProposal<'info> {
    #[account(mut, seeds = [PROPOSAL_SEED, &proposal.id.to_le_bytes()], bump = proposal.bump)]
    pub proposal: Account<'info, Proposal>,
}

/// Anyone closes the vote once its period is over: a proposal that met quorum and approval
/// is queued, executable from the end of the vote plus the timelock until the execution
/// window closes; any other is recorded as defeated.
pub fn handler(ctx: Context<QueueProposal>) -> Result<()> {
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status == ProposalStatus::Voting, GovernanceError::ProposalNotVoting);
    let now = Clock::get()?.unix_timestamp;
    require!(now >= proposal.voting_ends_at, GovernanceError::VotingNotEnded);

    let votes = Votes { yes: proposal.yes, no: proposal.no, abstain: proposal.abstain };
    let params = proposal.params;
    if proposal_outcome(votes, proposal.stake_at_open, params.quorum_bps, params.approval_bps) == Outcome::Passed {
        let overflow = || error!(GovernanceError::ArithmeticOverflow);
        // The timelock runs from the end of the vote, not from this call: however late
        // someone queues, a passed proposal is executable in the same fixed window.
        proposal.executable_at = proposal.voting_ends_at.checked_add(i64::from(params.timelock_secs)).ok_or_else(overflow)?;
        proposal.expires_at = proposal.executable_at.checked_add(i64::from(params.execution_window_secs)).ok_or_else(overflow)?;
        proposal.status = ProposalStatus::Queued;
    } else {
        proposal.status = ProposalStatus::Defeated;
    }
    emit!(ProposalFinalized {
        id: proposal.id,
        status: proposal.status,
        yes: proposal.yes,
        no: proposal.no,
        abstain: proposal.abstain,
        stake_at_open: proposal.stake_at_open,
        executable_at: proposal.executable_at,
        expires_at: proposal.expires_at,
    });
    Ok(())
}
