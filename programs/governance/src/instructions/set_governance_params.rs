use crate::constants::GOVERNANCE_SEED;
use crate::errors::GovernanceError;
use crate::events::GovernanceParamsSet;
use crate::state::{GovernanceConfig, GovernanceParams};
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
pub fn handler(ctx: Context<SetGovernanceParams>, params: GovernanceParams) -> Result<()> {
    params.validate()?;
    ctx.accounts.config.params = params;
    emit!(GovernanceParamsSet { params });
    Ok(())
}
