use crate::constants::GOVERNANCE_SEED;
use crate::errors::GovernanceError;
use crate::events::GovernanceParamsSet;
use crate::state::{GovernanceConfig, GovernanceParamsChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetGovernanceParams<'info> {
    /// The DAO PDA, signing from inside `execute_proposal`.
    pub authority: Signer<'info>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = config.bump, has_one = authority @ GovernanceError::Unauthorized)]
    pub config: Account<'info, GovernanceConfig>,
}

/// Applies to proposals opened afterwards: each proposal keeps the parameters it opened
/// with, so a change cannot shorten the vote or the timelock of one already under way.
/// Only the fields the change names move, each still at the value it expects.
pub fn handler(ctx: Context<SetGovernanceParams>, expected: GovernanceParamsChange, change: GovernanceParamsChange) -> Result<()> {
    let params = GovernanceParamsChange::apply(&ctx.accounts.config.params, &expected, &change)?;
    params.validate()?;
    ctx.accounts.config.params = params;
    emit!(GovernanceParamsSet { params });
    Ok(())
}
