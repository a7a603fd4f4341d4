use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::ProposalCancelled;
use crate::state::{Proposal, ProposalStatus};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CancelProposal<'info> {
    pub proposer: Signer<'info>,
    #[account(
        mut,
        seeds = [PROPOSAL_SEED, &proposal.id.to_le_bytes()],
        bump = proposal.bump,
        has_one = proposer @ GovernanceError::NotProposer
    )]
    pub proposal: Account<'info, Proposal>,
}

/// The author withdraws a draft, or a proposal nobody has voted on yet.
pub fn handler(ctx: Context<CancelProposal>) -> Result<()> {
    let proposal = &mut ctx.accounts.proposal;
    let open = matches!(proposal.status, ProposalStatus::Voting | ProposalStatus::Draft);
    require!(open, GovernanceError::ProposalNotVoting);
    require!(proposal.voters == 0, GovernanceError::VotesAlreadyCast);
    proposal.status = ProposalStatus::Cancelled;
    emit!(ProposalCancelled { id: proposal.id });
    Ok(())
}
