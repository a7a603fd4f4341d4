//! The one place an operator's reward weight changes. Every instruction that moves
//! bonded stake or reads new registry aggregates ends here.

use crate::errors::StakingError;
use crate::events::WeightChanged;
use crate::state::{OperatorStake, StakingConfig};
use anchor_lang::prelude::*;
use io_math::{reward_weight, VerifiedHardware};

pub fn apply_weight(
    config: &mut StakingConfig,
    stake: &mut OperatorStake,
    hardware: &VerifiedHardware,
    registry_version: u64,
) -> Result<()> {
    let overflow = || error!(StakingError::ArithmeticOverflow);
    let new_weight = reward_weight(stake.bonded, hardware, &config.params.tiers()).ok_or_else(overflow)?;
    let old_weight = stake.weight;
    config.total_weight = config
        .total_weight
        .checked_sub(old_weight)
        .and_then(|t| t.checked_add(new_weight))
        .ok_or_else(overflow)?;
    stake.weight = new_weight;
    stake.registry_version = registry_version;
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
