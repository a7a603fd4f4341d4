use super::create_proposal::CreateProposalArgs;
use crate::constants::*;
use crate::events::ProposalDrafted;
use crate::state::{GovernanceConfig, Proposal};
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(args: CreateProposalArgs)]
pub struct DraftProposal<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The only key that may append to the draft, open it or cancel it.
    pub proposer: Signer<'info>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = config.bump)]
    pub config: Account<'info, GovernanceConfig>,
    #[account(
        init,
        payer = payer,
        space = Proposal::space(&args.link, &args.instructions),
        seeds = [PROPOSAL_SEED, &config.proposal_count.to_le_bytes()],
        bump
    )]
    pub proposal: Account<'info, Proposal>,
    pub system_program: Program<'info, System>,
}

/// Starts a proposal too large for one transaction: its text and the instructions that
/// fit (none at all is allowed). The threshold is checked when it opens.
pub fn handler(ctx: Context<DraftProposal>, args: CreateProposalArgs) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let proposal = Proposal::new_draft(config, ctx.accounts.proposer.key(), args, 0, ctx.bumps.proposal)?;
    emit!(ProposalDrafted { id: proposal.id, proposer: proposal.proposer, instructions: proposal.instructions.len() as u8 });
    ctx.accounts.proposal.set_inner(proposal);
    Ok(())
}
