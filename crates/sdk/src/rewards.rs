//! Reading rewards the way the staking program settles them, without a transaction.

use io_math::earned;
use io_staking::{OperatorStake, StakingConfig};

/// What `claim_rewards` would pay now if the operator's weight did not change: settled
/// rewards plus what the current weight earned since the checkpoint (up to the lapse of
/// its lease, exactly as the program counts it).
pub fn pending_rewards(config: &StakingConfig, stake: &OperatorStake) -> u64 {
    let pool = &config.rewards;
    let up_to = if stake.lease_end > pool.distributions {
        Some(pool.accumulator)
    } else {
        pool.accumulator_after(stake.lease_end)
    };
    let fresh = up_to.and_then(|acc| earned(stake.weight, stake.reward_checkpoint, acc)).unwrap_or(0);
    stake.accrued_rewards.saturating_add(fresh)
}

/// True while the stake's weight still earns in the next distribution.
pub fn lease_is_live(config: &StakingConfig, stake: &OperatorStake) -> bool {
    stake.lease_end > config.rewards.distributions
}
