use super::create_proposal::open_voting;
use crate::constants::*;
use crate::errors::GovernanceError;
use crate::state::{GovernanceConfig, Proposal, ProposalStatus};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct OpenProposal<'info> {
    /// A staker: the operator of `proposer_stake`.
    pub proposer: Signer<'info>,
    #[account(seeds = [GOVERNANCE_SEED], bump = config.bump)]
    pub config: Account<'info, GovernanceConfig>,
    /// CHECK: the proposer's staking position; address and owner checked in `suite_view`.
    pub proposer_stake: UncheckedAccount<'info>,
    /// CHECK: staking's config (total bonded); address and owner checked in `suite_view`.
    pub staking_config: UncheckedAccount<'info>,
    #[account(
        mut,
        seeds = [PROPOSAL_SEED, &proposal.id.to_le_bytes()],
        bump = proposal.bump,
        has_one = proposer @ GovernanceError::NotProposer
    )]
    pub proposal: Account<'info, Proposal>,
}

/// The author opens a complete draft for voting, exactly as `create_proposal` would have
/// opened it now: the threshold, the quorum's denominator and the parameters are those
/// of this moment, not of the draft's start.
pub fn handler(ctx: Context<OpenProposal>) -> Result<()> {
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status == ProposalStatus::Draft, GovernanceError::ProposalNotDraft);
    require!(!proposal.instructions.is_empty(), GovernanceError::InvalidInstructionCount);
    open_voting(proposal, &ctx.accounts.config, &ctx.accounts.proposer_stake, &ctx.accounts.staking_config)
}
