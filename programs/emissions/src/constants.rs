//! Seeds and limits of the emissions program.

use anchor_lang::prelude::*;

/// The emissions config; also the $IO mint authority and the staking reward distributor.
#[constant]
pub const EMISSIONS_SEED: &[u8] = b"emissions";

/// The hard cap in whole $IO, counted as cumulative minted (burns never make room).
#[constant]
pub const SUPPLY_CAP_IO: u64 = 800_000_000;
/// The $IO mint's decimals (1 IO = 1,000,000 base units).
#[constant]
pub const IO_DECIMALS: u8 = 6;
/// Epochs one crank may catch up (a week of hourly epochs); more need more cranks.
pub const MAX_CATCH_UP_EPOCHS: u64 = 168;
/// Shortest epoch and fewest epochs per year the schedule accepts.
pub const MIN_EPOCH_SECS: u32 = 60;
pub const MAX_EPOCHS_PER_YEAR: u32 = 1_000_000;
/// Shortest breaker window.
pub const MIN_BREAKER_WINDOW_SECS: u32 = 60;
