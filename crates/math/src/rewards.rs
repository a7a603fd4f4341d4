//! The reward-per-weight accumulator behind O(1) emission distribution.
//!
//! Each distribution of `amount` over `total_weight` raises the accumulator by
//! `floor(amount * SCALE / total_weight)`; an operator whose weight `w` was constant since
//! its checkpoint `c` has earned `floor(w * (acc - c) / SCALE)`. Both steps round down, so
//! the sum of what every operator is owed never exceeds what was distributed: the rounding
//! dust stays in the reward vault.

/// Fixed-point scale of the accumulator (1e18). With at most 8e14 base units ever emitted
/// the accumulator stays below 8e32, far inside u128.
pub const REWARD_SCALE: u128 = 1_000_000_000_000_000_000;

/// How much one distribution raises the accumulator; `None` when nobody has weight or on
/// overflow.
pub fn accumulator_increment(amount: u64, total_weight: u64) -> Option<u128> {
    if total_weight == 0 {
        return None;
    }
    u128::from(amount).checked_mul(REWARD_SCALE)?.checked_div(u128::from(total_weight))
}

/// What `weight` earned while the accumulator moved from `checkpoint` to `accumulator`.
pub fn earned(weight: u64, checkpoint: u128, accumulator: u128) -> Option<u64> {
    let delta = accumulator.checked_sub(checkpoint)?;
    let scaled = u128::from(weight).checked_mul(delta)? / REWARD_SCALE;
    u64::try_from(scaled).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weights_one_to_three_earn_one_to_three() {
        let inc = accumulator_increment(4_000_000, 4).unwrap();
        assert_eq!(earned(1, 0, inc), Some(1_000_000));
        assert_eq!(earned(3, 0, inc), Some(3_000_000));
        assert_eq!(accumulator_increment(1, 0), None);
        assert_eq!(earned(1, 5, 4), None);
    }

    proptest! {
        #[test]
        fn operators_are_never_owed_more_than_was_distributed(
            weights in proptest::collection::vec(0u64..=u64::MAX / 64, 1..20),
            amounts in proptest::collection::vec(0u64..=800_000_000_000_000, 1..20),
        ) {
            let total: u64 = weights.iter().sum();
            prop_assume!(total > 0);
            let mut acc: u128 = 0;
            let mut distributed: u128 = 0;
            for a in &amounts {
                acc += accumulator_increment(*a, total).unwrap();
                distributed += u128::from(*a);
            }
            let owed: u128 = weights.iter().map(|w| u128::from(earned(*w, 0, acc).unwrap())).sum();
            prop_assert!(owed <= distributed);
            // Rounding loses less than one unit per operator plus one per distribution
            // share of the total weight.
            let slack = weights.len() as u128 + amounts.len() as u128 * u128::from(total) / REWARD_SCALE + amounts.len() as u128;
            prop_assert!(distributed - owed <= slack, "lost {} of {}", distributed - owed, distributed);
        }
    }
}
