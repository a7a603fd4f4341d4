//! The one place an operator's reward weight changes. Every instruction that moves
//! bonded stake or reads new registry aggregates ends here, and rewards are settled here
//! first, so the weight an operator earned with is always the weight it had.

use crate::constants::WEIGHT_LEASE_DISTRIBUTIONS;
use crate::errors::StakingError;
use crate::events::WeightChanged;
use crate::state::{OperatorStake, RewardPool, StakingConfig};
use anchor_lang::prelude::*;
use io_math::{earned, reward_weight, VerifiedHardware};

/// Credits what the stake's current weight earned since its checkpoint and takes the
/// weight out of the earning pool. A live lease earns up to the current accumulator; a
/// lapsed one up to the distribution its lease ended with, or nothing more if that
/// distribution has left the history (the lapse is older than `REWARD_HISTORY` cranks).
fn settle_rewards(pool: &mut RewardPool, stake: &mut OperatorStake) -> Result<()> {
    let overflow = || error!(StakingError::ArithmeticOverflow);
    let live = stake.lease_end > pool.distributions;
    let earned_up_to = if live { Some(pool.accumulator) } else { pool.accumulator_after(stake.lease_end) };
    if let Some(acc) = earned_up_to {
        let amount = earned(stake.weight, stake.reward_checkpoint, acc).ok_or_else(overflow)?;
        stake.accrued_rewards = stake.accrued_rewards.checked_add(amount).ok_or_else(overflow)?;
    }
    if live {
        pool.earning_weight = pool.earning_weight.checked_sub(stake.weight).ok_or_else(overflow)?;
        let bucket = &mut pool.expiring_weight[RewardPool::bucket(stake.lease_end)];
        *bucket = bucket.checked_sub(stake.weight).ok_or_else(overflow)?;
    }
    stake.reward_checkpoint = pool.accumulator;
    Ok(())
}

pub fn apply_weight(
    config: &mut StakingConfig,
    stake: &mut OperatorStake,
    hardware: &VerifiedHardware,
    registry_version: u64,
) -> Result<()> {
    let overflow = || error!(StakingError::ArithmeticOverflow);
    settle_rewards(&mut config.rewards, stake)?;

    let new_weight = reward_weight(stake.bonded, hardware, &config.params.tiers()).ok_or_else(overflow)?;
    let old_weight = stake.weight;
    config.total_weight = config
        .total_weight
        .checked_sub(old_weight)
        .and_then(|t| t.checked_add(new_weight))
        .ok_or_else(overflow)?;
    stake.weight = new_weight;
    stake.registry_version = registry_version;

    // The weight was just read from the registry: it earns for a fresh lease.
    let pool = &mut config.rewards;
    let lease_end = pool.distributions.checked_add(WEIGHT_LEASE_DISTRIBUTIONS).ok_or_else(overflow)?;
    pool.earning_weight = pool.earning_weight.checked_add(new_weight).ok_or_else(overflow)?;
    let bucket = &mut pool.expiring_weight[RewardPool::bucket(lease_end)];
    *bucket = bucket.checked_add(new_weight).ok_or_else(overflow)?;
    stake.lease_end = lease_end;

    if new_weight != old_weight {
        emit!(WeightChanged {
            operator: stake.operator,
            old_weight,
            new_weight,
            total_weight: config.total_weight,
        });
    }
    Ok(())
}
