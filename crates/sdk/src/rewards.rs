//! Reading rewards the way the staking program settles them, without a transaction.

use io_math::{earned, VerifiedHardware};
use io_registry::OperatorStats;
use io_staking::{OperatorStake, StakingConfig};

/// An operator's verified hardware as it counts at unix time `now`, exactly as staking
/// reads it: nodes whose verification lease has ended are left out.
pub fn counted_hardware(stats: &OperatorStats, now: i64) -> VerifiedHardware {
    let capacity = stats.current_epoch(now).and_then(|epoch| stats.verified_at(epoch)).unwrap_or_default();
    VerifiedHardware { gpus: capacity.gpus_by_tier, score_gpus: capacity.score_gpus_by_tier }
}

/// What `claim_rewards` would pay now if the operator's weight did not change: settled
/// rewards plus what the current weight earned since the checkpoint (up to the lapse of
/// its lease, exactly as the program counts it).
pub fn pending_rewards(config: &StakingConfig, stake: &OperatorStake) -> u64 {
    let pool = &config.rewards;
    let up_to = if lease_is_live(config, stake) { Some(pool.accumulator) } else { pool.accumulator_at_lapse(stake.lease_end) };
    let fresh = up_to.and_then(|acc| earned(stake.weight, stake.reward_checkpoint, acc)).unwrap_or(0);
    stake.accrued_rewards.saturating_add(fresh)
}

/// True while the pool still counts the stake's weight as earning (its lease lapses at
/// the first distribution in registry epoch `stake.lease_end` or later).
pub fn lease_is_live(config: &StakingConfig, stake: &OperatorStake) -> bool {
    stake.weight > 0 && config.rewards.is_live(stake.lease_end)
}
