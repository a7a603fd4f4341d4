use crate::constants::*;
use crate::errors::StakingError;
use crate::events::SlashVetoed;
use crate::state::{OperatorStake, SlashProposal, SlashStatus, StakingConfig};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct VetoSlash<'info> {
    pub authority: Signer<'info>,
    #[account(seeds = [STAKING_CONFIG_SEED], bump = config.bump, has_one = authority @ StakingError::Unauthorized)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(mut, seeds = [STAKE_SEED, proposal.operator.as_ref()], bump = stake.bump)]
    pub stake: Box<Account<'info, OperatorStake>>,
    #[account(mut, seeds = [SLASH_SEED, &proposal.id.to_le_bytes()], bump = proposal.bump)]
    pub proposal: Box<Account<'info, SlashProposal>>,
}

pub fn handler(ctx: Context<VetoSlash>) -> Result<()> {
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status == SlashStatus::Pending, StakingError::SlashNotPending);
    require!(Clock::get()?.unix_timestamp < proposal.executable_at, StakingError::ChallengeWindowClosed);
    let stake = &mut ctx.accounts.stake;
    stake.pending_slash = stake.pending_slash.checked_sub(proposal.amount).ok_or_else(|| error!(StakingError::ArithmeticOverflow))?;
    proposal.status = SlashStatus::Vetoed;
    emit!(SlashVetoed { id: proposal.id, operator: proposal.operator, amount: proposal.amount });
    Ok(())
}
