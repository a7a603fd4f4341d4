use crate::constants::EMISSIONS_SEED;
use crate::errors::EmissionsError;
use crate::events::ReserveExtended;
use crate::state::EmissionsConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ExtendReserve<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [EMISSIONS_SEED], bump = config.bump, has_one = authority @ EmissionsError::Unauthorized)]
    pub config: Box<Account<'info, EmissionsConfig>>,
}

/// Adds `amount` to the reserve and to what is not yet scheduled: the year in progress
/// keeps its total, and the next year boundary takes its share of the larger remainder, so
/// emission still halves from there. The reserve never passes the cap less the genesis
/// supply, so minted-ever stays within the cap. `expected_reserve` is the reserve the
/// decision was written against: a proposal executed after another extension is refused
/// rather than adding twice what voters saw.
pub fn handler(ctx: Context<ExtendReserve>, expected_reserve: u64, amount: u64) -> Result<()> {
    let config = &mut ctx.accounts.config;
    require!(config.reserve == expected_reserve, EmissionsError::StaleParams);
    require!(amount > 0, EmissionsError::InvalidParams);
    let unminted = config.supply_cap.checked_sub(config.genesis_supply).ok_or_else(|| error!(EmissionsError::ArithmeticOverflow))?;
    let reserve = config.reserve.checked_add(amount).ok_or_else(|| error!(EmissionsError::ReserveExceedsCap))?;
    require!(reserve <= unminted, EmissionsError::ReserveExceedsCap);
    let unscheduled = config.cursor.unscheduled.checked_add(amount).ok_or_else(|| error!(EmissionsError::ArithmeticOverflow))?;
    config.reserve = reserve;
    config.cursor.unscheduled = unscheduled;
    emit!(ReserveExtended { amount, reserve, unscheduled });
    Ok(())
}
