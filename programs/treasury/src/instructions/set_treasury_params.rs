use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::TreasuryParamsSet;
use crate::state::{TreasuryConfig, TreasuryParams};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetTreasuryParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump, has_one = authority @ TreasuryError::Unauthorized)]
    pub config: Box<Account<'info, TreasuryConfig>>,
}

/// Fee, gateway and its cap, and the buyback price guard. The fee can never pass
/// `MAX_FEE_BPS`, whoever the authority is.
pub fn handler(ctx: Context<SetTreasuryParams>, params: TreasuryParams) -> Result<()> {
    params.validate()?;
    ctx.accounts.config.params = params;
    emit!(TreasuryParamsSet { params });
    Ok(())
}
