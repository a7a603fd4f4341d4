use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::TreasuryParamsSet;
use crate::state::{TreasuryConfig, TreasuryParamsChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetTreasuryParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump, has_one = authority @ TreasuryError::Unauthorized)]
    pub config: Box<Account<'info, TreasuryConfig>>,
}

/// Fee, gateway and its cap, and the buyback price guard: only the fields the change
/// names, each still at the value it expects. The fee can never pass `MAX_FEE_BPS`,
/// whoever the authority is.
pub fn handler(ctx: Context<SetTreasuryParams>, expected: TreasuryParamsChange, change: TreasuryParamsChange) -> Result<()> {
    let params = TreasuryParamsChange::apply(&ctx.accounts.config.params, &expected, &change)?;
    params.validate()?;
    ctx.accounts.config.params = params;
    emit!(TreasuryParamsSet { params });
    Ok(())
}
