use crate::constants::*;
use crate::errors::StakingError;
use crate::events::RewardsDistributed;
use crate::state::StakingConfig;
use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

#[derive(Accounts)]
pub struct DistributeRewards<'info> {
    /// The emissions program's PDA, signing through `invoke_signed`.
    #[account(address = config.reward_distributor @ StakingError::NotRewardDistributor)]
    pub distributor: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(address = config.reward_vault @ StakingError::WrongRewardVault)]
    pub reward_vault: Box<Account<'info, TokenAccount>>,
}

/// Raises the accumulator by `amount` (already in the reward vault: minted, or paid from
/// reclaimed rewards) over the earning weight, hands `reclaimed` of the forfeited rewards
/// back to the emissions crank, then lapses the leases that ended by the current registry
/// epoch. O(1): the accounts and the work are the same for ten operators or a million.
pub fn handler(ctx: Context<DistributeRewards>, amount: u64, reclaimed: u64) -> Result<()> {
    let overflow = || error!(StakingError::ArithmeticOverflow);
    let registry_epoch = ctx.accounts.config.registry_epoch(Clock::get()?.unix_timestamp)?;
    let pool = &mut ctx.accounts.config.rewards;
    let earning_weight = pool.earning_weight;
    if amount > 0 {
        pool.distribute(amount)?;
    }
    pool.reclaim(reclaimed)?;
    // The vault must back every unit the stakes can claim (donations may make it hold more).
    require!(ctx.accounts.reward_vault.amount >= pool.backed()?, StakingError::RewardsNotFunded);

    pool.distributions = pool.distributions.checked_add(1).ok_or_else(overflow)?;
    let lapsed_weight = pool.lapse_through(registry_epoch)?;
    emit!(RewardsDistributed {
        distribution: pool.distributions,
        amount,
        earning_weight,
        accumulator: pool.accumulator,
        lapsed_weight,
        registry_epoch,
        reclaimed,
        forfeited: pool.forfeited,
    });
    Ok(())
}
