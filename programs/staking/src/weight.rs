//! The one place an operator's reward weight changes. Every instruction that moves
//! bonded stake or reads new registry aggregates ends here, and rewards are settled here
//! first, so the weight an operator earned with is always the weight it had.

use crate::errors::StakingError;
use crate::events::WeightChanged;
use crate::registry_view::OperatorReading;
use crate::reward_pool::RewardPool;
use crate::state::{OperatorStake, StakingConfig};
use anchor_lang::prelude::*;
use io_math::{earned, reward_weight};

/// Credits what the stake's current weight earned since its checkpoint and takes the
/// weight out of the earning pool. A live lease earns up to the current accumulator; a
/// lapsed one up to the accumulator when it lapsed, or nothing more if that has left the
/// history (the lapse is older than `LAPSE_HISTORY` epochs).
/// Each settlement is debited from the bucket (or lapse mark) it was earned in, so what a
/// bucket still holds when nobody can claim it any more is known and reclaimed.
fn settle_rewards(pool: &mut RewardPool, stake: &mut OperatorStake) -> Result<()> {
    let overflow = || error!(StakingError::ArithmeticOverflow);
    let live = stake.weight > 0 && pool.is_live(stake.lease_end);
    let earned_up_to = if live { Some(pool.accumulator) } else { pool.accumulator_at_lapse(stake.lease_end) };
    if let Some(acc) = earned_up_to {
        let amount = earned(stake.weight, stake.reward_checkpoint, acc).ok_or_else(overflow)?;
        stake.accrued_rewards = stake.accrued_rewards.checked_add(amount).ok_or_else(overflow)?;
        if live {
            pool.release(stake.weight, stake.lease_end, amount)?;
        } else {
            pool.settle_lapsed(stake.lease_end, amount);
        }
    }
    stake.reward_checkpoint = pool.accumulator;
    Ok(())
}

pub fn apply_weight(config: &mut StakingConfig, stake: &mut OperatorStake, reading: &OperatorReading) -> Result<()> {
    let overflow = || error!(StakingError::ArithmeticOverflow);
    // Settling takes this stake's weight out and the lease below puts it back: whether
    // the pool was idle is read before both, so a sole staker's refresh is no new start.
    let pool_was_idle = config.rewards.earning_weight == 0;
    settle_rewards(&mut config.rewards, stake)?;

    let new_weight = reward_weight(stake.bonded, &reading.hardware, &config.params.tiers()).ok_or_else(overflow)?;
    let old_weight = stake.weight;
    config.total_weight = config.total_weight.checked_sub(old_weight).and_then(|t| t.checked_add(new_weight)).ok_or_else(overflow)?;
    stake.weight = new_weight;
    stake.registry_version = reading.version;

    // The weight was just read from the registry: it earns until the registry's lease on
    // the first of its nodes ends.
    stake.lease_end = 0;
    if let (true, Some(end)) = (new_weight > 0, reading.next_lapse) {
        config.rewards.lease(new_weight, end)?;
        stake.lease_end = end;
    }
    if pool_was_idle && config.rewards.earning_weight > 0 {
        config.rewards.earning_since = Clock::get()?.unix_timestamp;
    }

    if new_weight != old_weight {
        emit!(WeightChanged { operator: stake.operator, old_weight, new_weight, total_weight: config.total_weight });
    }
    Ok(())
}
