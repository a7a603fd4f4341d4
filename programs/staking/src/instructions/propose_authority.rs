use crate::constants::STAKING_CONFIG_SEED;
use crate::errors::StakingError;
use crate::events::AuthorityProposed;
use crate::state::StakingConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ProposeAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump, has_one = authority @ StakingError::Unauthorized)]
    pub config: Account<'info, StakingConfig>,
}

/// Naming `Pubkey::default()` cancels a pending handover.
pub fn handler(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
    let config = &mut ctx.accounts.config;
    io_program_common::authority::propose(&mut config.pending_authority, new_authority);
    emit!(AuthorityProposed { current: config.authority, proposed: new_authority });
    Ok(())
}
