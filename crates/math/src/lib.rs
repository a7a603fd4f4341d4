//! Pure integer math shared by the $IO on-chain programs and the off-chain services.
//!
//! Everything here is deterministic, allocation-free and free of floating point, so the
//! same function gives the same answer inside an SBF program and in a dashboard.

#![cfg_attr(not(test), no_std)]

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
