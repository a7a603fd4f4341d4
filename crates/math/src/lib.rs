//! Pure integer math shared by the $IO on-chain programs and the off-chain services.
//!
//! Everything here is deterministic, allocation-free and free of floating point, so the
//! same function gives the same answer inside an SBF program and in a dashboard.

#![cfg_attr(not(test), no_std)]
// Integer overflow on-chain is a silent wrong balance: every operation says what
// happens at the edge (checked, saturating with a reason, or a compile-time constant).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

pub mod emission;
pub mod governance;
pub mod h3;
pub mod median;
pub mod rate;
pub mod rewards;
pub mod score;
pub mod stake;
pub mod treasury;

pub use emission::{epoch_emission, year_emission, CrankAccount, EmissionSchedule, ScheduleCursor};
pub use governance::{proposal_outcome, Outcome, Votes};
pub use h3::is_valid_h3_cell;
pub use median::median;
pub use rate::{RollingCap, RATE_SLOTS};
pub use rewards::{accumulator_increment, earned, REWARD_SCALE};
pub use score::{node_score, BPS_SCALE};
pub use stake::{bond_required, reward_weight, TierStakeParams, VerifiedHardware};
pub use treasury::{fee_split, min_io_for_fill, UsdPrice};

/// `floor(a * b / d)` computed in u128 (the product of two u64 cannot overflow it);
/// `None` when `d` is 0 or the quotient does not fit a u64.
pub fn mul_div(a: u64, b: u64, d: u64) -> Option<u64> {
    let product = u128::from(a).checked_mul(u128::from(b))?;
    u64::try_from(product.checked_div(u128::from(d))?).ok()
}

/// `ceil(a * b / d)`, as [`mul_div`].
pub fn mul_div_ceil(a: u64, b: u64, d: u64) -> Option<u64> {
    let product = u128::from(a).checked_mul(u128::from(b))?;
    if d == 0 {
        return None;
    }
    u64::try_from(product.div_ceil(u128::from(d))).ok()
}

/// The slot of `value` in a ring of `len` slots (`value mod len`); slot 0 for a ring of
/// none, which no caller has (every ring length is a nonzero constant).
pub fn ring_slot(value: u64, len: usize) -> usize {
    // Lossless both ways: `len` fits a u64, and the remainder is below `len`.
    value.checked_rem(len as u64).unwrap_or(0) as usize
}
