//! Bond requirement and reward weight of an operator's stake.
//!
//! An operator's verified hardware justifies a bond: for each tier, its verified GPUs x
//! the tier's minimum stake per GPU. The reward weight is that bond, scaled by the tier's
//! multiplier and by the GPUs' measured performance (GPU-weighted average score), then
//! scaled down by how much of the bond is actually staked:
//!
//! ```text
//! required = sum_t gpus[t] * min_stake[t]
//! capacity = sum_t min_stake[t] * multiplier_bps[t] / 10_000 * score_gpus[t] / 10_000
//! weight   = capacity * min(bonded, required) / required        (0 when required == 0)
//! ```
//!
//! So: no verified GPUs, no weight; stake above the requirement earns nothing more; a bond
//! covered halfway earns half. `score_gpus[t]` is the sum over verified nodes of
//! score (bps) x GPU count, as the registry keeps it. Everything rounds down.

use crate::score::BPS_SCALE;

/// Per-tier parameters, in tier order (Enterprise, Mid-market, Consumer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierStakeParams {
    /// Minimum stake per verified GPU, base units.
    pub min_stake_per_gpu: [u64; 3],
    /// Reward multiplier per tier, basis points (10,000 = 1x).
    pub multiplier_bps: [u16; 3],
}

/// Verified hardware of one operator, as the registry aggregates it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifiedHardware {
    pub gpus: [u32; 3],
    pub score_gpus: [u64; 3],
}

/// The bond the hardware needs; `None` on overflow.
pub fn bond_required(hardware: &VerifiedHardware, params: &TierStakeParams) -> Option<u64> {
    let mut total: u64 = 0;
    for t in 0..3 {
        total = total.checked_add(u64::from(hardware.gpus[t]).checked_mul(params.min_stake_per_gpu[t])?)?;
    }
    Some(total)
}

/// The weight the hardware would earn with its bond fully covered; `None` on overflow.
pub fn weight_capacity(hardware: &VerifiedHardware, params: &TierStakeParams) -> Option<u64> {
    const SCALE: u128 = BPS_SCALE as u128 * BPS_SCALE as u128;
    let mut total: u128 = 0;
    for t in 0..3 {
        // A score never exceeds 10,000 bps, so this never exceeds gpus x min_stake x multiplier.
        let term = u128::from(params.min_stake_per_gpu[t])
            .checked_mul(u128::from(params.multiplier_bps[t]))?
            .checked_mul(u128::from(hardware.score_gpus[t]))?;
        total = total.checked_add(term)?;
    }
    u64::try_from(total.checked_div(SCALE)?).ok()
}

/// The reward weight of `bonded` stake behind `hardware`; `None` on overflow.
pub fn reward_weight(bonded: u64, hardware: &VerifiedHardware, params: &TierStakeParams) -> Option<u64> {
    let required = bond_required(hardware, params)?;
    if required == 0 {
        return Some(0);
    }
    let capacity = weight_capacity(hardware, params)?;
    let covered = bonded.min(required);
    crate::mul_div(capacity, covered, required)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IO: u64 = 1_000_000;
    const PARAMS: TierStakeParams =
        TierStakeParams { min_stake_per_gpu: [10_000 * IO, 2_000 * IO, 200 * IO], multiplier_bps: [15_000, 12_000, 10_000] };

    fn hw(gpus: [u32; 3], score: u64) -> VerifiedHardware {
        VerifiedHardware { gpus, score_gpus: [0, 1, 2].map(|t| u64::from(gpus[t]) * score) }
    }

    #[test]
    fn eight_h100s_at_full_score_and_full_bond() {
        let h = hw([8, 0, 0], 10_000);
        assert_eq!(bond_required(&h, &PARAMS), Some(80_000 * IO));
        assert_eq!(reward_weight(80_000 * IO, &h, &PARAMS), Some(120_000 * IO));
        // Twice the bond earns nothing more; half the bond earns half.
        assert_eq!(reward_weight(160_000 * IO, &h, &PARAMS), Some(120_000 * IO));
        assert_eq!(reward_weight(40_000 * IO, &h, &PARAMS), Some(60_000 * IO));
    }

    #[test]
    fn no_verified_hardware_no_weight() {
        assert_eq!(reward_weight(1_000_000 * IO, &VerifiedHardware::default(), &PARAMS), Some(0));
    }

    #[test]
    fn performance_scales_the_weight() {
        let slow = hw([0, 4, 0], 5_000);
        assert_eq!(reward_weight(8_000 * IO, &slow, &PARAMS), Some(4_800 * IO));
    }

    fn hardware() -> impl Strategy<Value = VerifiedHardware> {
        (prop::array::uniform3(0u32..100_000), prop::array::uniform3(0u64..=10_000))
            .prop_map(|(gpus, score)| VerifiedHardware { gpus, score_gpus: [0, 1, 2].map(|t| u64::from(gpus[t]) * score[t]) })
    }

    proptest! {
        #[test]
        fn weight_never_exceeds_what_the_hardware_justifies(bonded in any::<u64>(), h in hardware()) {
            let w = reward_weight(bonded, &h, &PARAMS).unwrap();
            let cap = weight_capacity(&h, &PARAMS).unwrap();
            prop_assert!(w <= cap);
            // Capacity is at most the bond requirement times the largest multiplier.
            prop_assert!(u128::from(cap) <= u128::from(bond_required(&h, &PARAMS).unwrap()) * 15 / 10);
        }

        #[test]
        fn more_stake_never_lowers_weight(bonded in 0u64..u64::MAX, h in hardware()) {
            prop_assert!(reward_weight(bonded + 1, &h, &PARAMS).unwrap() >= reward_weight(bonded, &h, &PARAMS).unwrap());
        }

        #[test]
        fn stake_beyond_the_requirement_earns_nothing(extra in any::<u32>(), h in hardware()) {
            let required = bond_required(&h, &PARAMS).unwrap();
            prop_assert_eq!(
                reward_weight(required.saturating_add(u64::from(extra)), &h, &PARAMS),
                reward_weight(required, &h, &PARAMS)
            );
        }
    }
}
