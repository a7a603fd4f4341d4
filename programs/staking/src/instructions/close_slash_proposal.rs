use crate::constants::*;
use crate::errors::StakingError;
use crate::events::SlashProposalClosed;
use crate::state::{SlashProposal, SlashStatus};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CloseSlashProposal<'info> {
    #[account(
        mut,
        close = rent_payer,
        seeds = [SLASH_SEED, &proposal.id.to_le_bytes()],
        bump = proposal.bump,
        constraint = proposal.status != SlashStatus::Pending @ StakingError::SlashStillPending
    )]
    pub proposal: Box<Account<'info, SlashProposal>>,
    /// Whoever paid the proposal's rent, and gets it back.
    /// CHECK: only receives lamports; the address the proposal recorded.
    #[account(mut, address = proposal.rent_payer @ StakingError::NotRentPayer)]
    pub rent_payer: UncheckedAccount<'info>,
}

/// Anyone may close a slash proposal once it was executed or vetoed, returning the rent
/// to whoever paid it. A pending one still reserves stake and may yet be executed or
/// vetoed; a settled one is read by nothing (its outcome is in the events and in the
/// stake), and its id is never reused (`next_slash_id` only grows).
pub fn handler(ctx: Context<CloseSlashProposal>) -> Result<()> {
    let proposal = &ctx.accounts.proposal;
    emit!(SlashProposalClosed { id: proposal.id, status: proposal.status, rent_payer: proposal.rent_payer });
    Ok(())
}
