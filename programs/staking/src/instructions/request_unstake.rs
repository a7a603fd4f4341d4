use crate::constants::*;
use crate::errors::StakingError;
use crate::events::UnstakeRequested;
use crate::registry_view::operator_hardware;
use crate::state::{OperatorStake, StakingConfig, UnbondingEntry};
use crate::weight::apply_weight;
use anchor_lang::prelude::*;
use io_math::bond_required;

#[derive(Accounts)]
pub struct RequestUnstake<'info> {
    pub operator: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(mut, seeds = [STAKE_SEED, operator.key().as_ref()], bump = stake.bump, has_one = operator)]
    pub stake: Box<Account<'info, OperatorStake>>,
    /// CHECK: the registry's aggregate account of `operator`, checked in `registry_view`.
    pub operator_stats: UncheckedAccount<'info>,
}

/// Moves `amount` from bonded into a new unbonding entry. The bond the operator's
/// verified nodes need stays bonded: retire or lose nodes first.
pub fn handler(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
    require!(amount > 0, StakingError::ZeroAmount);
    let config = &mut ctx.accounts.config;
    let stake = &mut ctx.accounts.stake;
    let reading = operator_hardware(&ctx.accounts.operator_stats, &stake.operator)?;
    let overflow = || error!(StakingError::ArithmeticOverflow);

    let remaining = stake.bonded.checked_sub(amount).ok_or_else(|| error!(StakingError::InsufficientBond))?;
    let required = bond_required(&reading.hardware, &config.params.tiers()).ok_or_else(overflow)?;
    require!(remaining >= required, StakingError::BondStillNeeded);
    let slot = stake.unbonding.iter().position(|e| e.amount == 0).ok_or_else(|| error!(StakingError::TooManyUnbondingEntries))?;
    let now = Clock::get()?.unix_timestamp;
    let release_at = now.checked_add(i64::from(config.params.unbonding_secs)).ok_or_else(overflow)?;

    stake.unbonding[slot] = UnbondingEntry { amount, release_at };
    stake.bonded = remaining;
    stake.record_bond(now)?;
    let total = config.total_bonded.checked_sub(amount).ok_or_else(overflow)?;
    config.set_total_bonded(now, total);
    config.total_unbonding = config.total_unbonding.checked_add(amount).ok_or_else(overflow)?;
    apply_weight(config, stake, &reading)?;
    emit!(UnstakeRequested { operator: stake.operator, amount, entry: slot as u8, release_at });
    Ok(())
}
