use crate::constants::*;
use crate::errors::GovernanceError;
use crate::state::{Proposal, VoteRecord};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CloseVoteRecord<'info> {
    /// The voter, who paid the record's rent and gets it back.
    /// CHECK: bound to the record by its seeds; only receives lamports.
    #[account(mut)]
    pub voter: UncheckedAccount<'info>,
    #[account(seeds = [PROPOSAL_SEED, &proposal.id.to_le_bytes()], bump = proposal.bump)]
    pub proposal: Account<'info, Proposal>,
    #[account(
        mut,
        close = voter,
        seeds = [VOTE_SEED, proposal.key().as_ref(), voter.key().as_ref()],
        bump = vote_record.bump
    )]
    pub vote_record: Account<'info, VoteRecord>,
}

/// Anyone may close a vote record once its proposal's voting period is over, returning
/// the rent to the voter who paid it. Until then the record is what refuses a second vote
/// (`cast_vote` creates it if missing); after it, nothing reads it: the tally lives in the
/// proposal, and `cast_vote` refuses every late vote by the clock.
pub fn handler(ctx: Context<CloseVoteRecord>) -> Result<()> {
    let proposal = &ctx.accounts.proposal;
    require!(Clock::get()?.unix_timestamp >= proposal.voting_ends_at, GovernanceError::VotingNotEnded);
    Ok(())
}
