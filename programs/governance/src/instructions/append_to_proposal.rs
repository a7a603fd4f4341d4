use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::ProposalAppended;
use crate::rules::{check_each_instruction, check_governance_calls};
use crate::state::{GovernanceConfig, Proposal, ProposalInstruction, ProposalStatus};
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(instructions: Vec<ProposalInstruction>)]
pub struct AppendToProposal<'info> {
    /// Pays the rent of the account's growth.
    #[account(mut)]
    pub payer: Signer<'info>,
    pub proposer: Signer<'info>,
    #[account(seeds = [GOVERNANCE_SEED], bump = config.bump)]
    pub config: Account<'info, GovernanceConfig>,
    #[account(
        mut,
        seeds = [PROPOSAL_SEED, &proposal.id.to_le_bytes()],
        bump = proposal.bump,
        has_one = proposer @ GovernanceError::NotProposer,
        realloc = Proposal::space(&proposal.link, &proposal.instructions).saturating_add(ProposalInstruction::total_size(&instructions)),
        realloc::payer = payer,
        realloc::zero = false
    )]
    pub proposal: Account<'info, Proposal>,
    pub system_program: Program<'info, System>,
}

/// Adds instructions to the author's draft, after those it carries (the order is the
/// order of execution), up to `MAX_PROPOSAL_INSTRUCTIONS` in all.
pub fn handler(ctx: Context<AppendToProposal>, instructions: Vec<ProposalInstruction>) -> Result<()> {
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status == ProposalStatus::Draft, GovernanceError::ProposalNotDraft);
    let total = proposal.instructions.len().saturating_add(instructions.len());
    require!(!instructions.is_empty() && total <= MAX_PROPOSAL_INSTRUCTIONS, GovernanceError::InvalidInstructionCount);
    check_each_instruction(&instructions, &ctx.accounts.config.authority)?;
    check_governance_calls(&instructions)?;
    proposal.instructions.extend(instructions);
    emit!(ProposalAppended { id: proposal.id, instructions: proposal.instructions.len() as u8 });
    Ok(())
}
