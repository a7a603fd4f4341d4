use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::VoteCast;
use crate::state::{Proposal, ProposalStatus, VoteChoice, VoteRecord};
use crate::suite_view::{operator_stake, weight_at_open};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CastVote<'info> {
    /// The operator of `voter_stake`; pays for the vote record.
    #[account(mut)]
    pub voter: Signer<'info>,
    #[account(mut, seeds = [PROPOSAL_SEED, &proposal.id.to_le_bytes()], bump = proposal.bump)]
    pub proposal: Account<'info, Proposal>,
    /// CHECK: the voter's staking position; address and owner checked in `suite_view`.
    pub voter_stake: UncheckedAccount<'info>,
    /// Created by the first vote; its existence is what refuses a second one.
    #[account(
        init_if_needed,
        payer = voter,
        space = 8 + VoteRecord::INIT_SPACE,
        seeds = [VOTE_SEED, proposal.key().as_ref(), voter.key().as_ref()],
        bump
    )]
    pub vote_record: Account<'info, VoteRecord>,
    pub system_program: Program<'info, System>,
}

/// One vote per position per proposal, final once cast (no changing it: the tally is a
/// plain sum). Its weight is the position's bond at the end of the second before the
/// proposal opened, read from the position's bond history in O(1).
pub fn handler(ctx: Context<CastVote>, choice: VoteChoice) -> Result<()> {
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status == ProposalStatus::Voting, GovernanceError::ProposalNotVoting);
    require!(Clock::get()?.unix_timestamp < proposal.voting_ends_at, GovernanceError::VotingClosed);
    let record = &mut ctx.accounts.vote_record;
    require_keys_eq!(record.voter, Pubkey::default(), GovernanceError::AlreadyVoted);

    let voter = ctx.accounts.voter.key();
    let position = operator_stake(&ctx.accounts.voter_stake, &voter)?;
    let weight = weight_at_open(position.as_ref(), proposal.opened_at)?;
    require!(weight > 0, GovernanceError::NoVotingWeight);

    let overflow = || error!(GovernanceError::ArithmeticOverflow);
    let count = match choice {
        VoteChoice::Yes => &mut proposal.yes,
        VoteChoice::No => &mut proposal.no,
        VoteChoice::Abstain => &mut proposal.abstain,
    };
    *count = count.checked_add(weight).ok_or_else(overflow)?;
    proposal.voters = proposal.voters.checked_add(1).ok_or_else(overflow)?;
    record.set_inner(VoteRecord { proposal: proposal.key(), voter, choice, weight, bump: ctx.bumps.vote_record });
    emit!(VoteCast { id: proposal.id, voter, choice, weight, yes: proposal.yes, no: proposal.no, abstain: proposal.abstain });
    Ok(())
}
