use crate::constants::STAKING_CONFIG_SEED;
use crate::errors::StakingError;
use crate::events::ParamsSet;
use crate::state::{StakingConfig, StakingParams};
use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

#[derive(Accounts)]
pub struct SetParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump, has_one = authority @ StakingError::Unauthorized)]
    pub config: Account<'info, StakingConfig>,
    /// Where treasury-bound slashes go from now on.
    #[account(constraint = treasury.mint == config.io_mint @ StakingError::WrongMint)]
    pub treasury: Account<'info, TokenAccount>,
}

/// New minimums and multipliers apply to each operator at its next weight change
/// (`refresh_weight` applies them at once).
pub fn handler(ctx: Context<SetParams>, params: StakingParams) -> Result<()> {
    params.validate()?;
    let config = &mut ctx.accounts.config;
    config.params = params;
    config.treasury = ctx.accounts.treasury.key();
    emit!(ParamsSet { params, treasury: config.treasury });
    Ok(())
}
