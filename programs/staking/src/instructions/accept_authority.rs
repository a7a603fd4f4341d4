use crate::constants::STAKING_CONFIG_SEED;
use crate::errors::StakingError;
use crate::events::AuthorityAccepted;
use crate::state::StakingConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, StakingConfig>,
}

pub fn handler(ctx: Context<AcceptAuthority>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let pending = config.pending_authority.ok_or_else(|| error!(StakingError::NoPendingAuthority))?;
    require_keys_eq!(pending, ctx.accounts.new_authority.key(), StakingError::NotPendingAuthority);
    let previous = config.authority;
    config.authority = pending;
    config.pending_authority = None;
    emit!(AuthorityAccepted { previous, authority: pending });
    Ok(())
}
