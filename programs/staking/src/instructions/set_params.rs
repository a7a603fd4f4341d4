use crate::constants::STAKING_CONFIG_SEED;
use crate::errors::StakingError;
use crate::events::ParamsSet;
use crate::state::{StakingConfig, StakingParamsChange};
use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

#[derive(Accounts)]
pub struct SetParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump, has_one = authority @ StakingError::Unauthorized)]
    pub config: Account<'info, StakingConfig>,
    /// Where treasury-bound slashes go from now on; left as it is when not passed.
    #[account(constraint = treasury.mint == config.io_mint @ StakingError::WrongMint)]
    pub treasury: Option<Account<'info, TokenAccount>>,
}

/// Changes the fields the change names, each still at the value it expects, and the slash
/// treasury when one is passed (a change of the treasury alone names no field). New
/// minimums and multipliers apply to each operator at its next weight change
/// (`refresh_weight` applies them at once).
pub fn handler(ctx: Context<SetParams>, expected: StakingParamsChange, change: StakingParamsChange) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let treasury_only = ctx.accounts.treasury.is_some() && expected == StakingParamsChange::default() && change == expected;
    if !treasury_only {
        let params = StakingParamsChange::apply(&config.params, &expected, &change)?;
        params.validate()?;
        config.params = params;
    }
    if let Some(treasury) = &ctx.accounts.treasury {
        config.treasury = treasury.key();
    }
    emit!(ParamsSet { params: config.params, treasury: config.treasury });
    Ok(())
}
