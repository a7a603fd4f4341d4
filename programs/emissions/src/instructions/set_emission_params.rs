use crate::constants::EMISSIONS_SEED;
use crate::errors::EmissionsError;
use crate::events::EmissionParamsSet;
use crate::state::{EmissionParamsChange, EmissionsConfig};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetEmissionParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [EMISSIONS_SEED], bump = config.bump, has_one = authority @ EmissionsError::Unauthorized)]
    pub config: Box<Account<'info, EmissionsConfig>>,
}

/// The decay applies from the next year boundary (the year in progress keeps the total it
/// started with); breaker limits apply at once. No parameter can raise what the schedule
/// emits in total: that is always the reserve. Only the fields the change names move, each
/// still at the value it expects.
pub fn handler(ctx: Context<SetEmissionParams>, expected: EmissionParamsChange, change: EmissionParamsChange) -> Result<()> {
    let params = EmissionParamsChange::apply(&ctx.accounts.config.params, &expected, &change)?;
    params.validate()?;
    ctx.accounts.config.params = params;
    emit!(EmissionParamsSet { params });
    Ok(())
}
