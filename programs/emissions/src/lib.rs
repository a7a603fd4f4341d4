//! The $IO emissions program: the only mint authority of $IO after genesis.
//!
//! Genesis mints the initial allocation and hands the mint authority to this program's
//! config PDA (`initialize_emissions`) with the emission reserve: at most the rest of the
//! 800,000,000 IO cap, whose remainder stays unminted until the DAO extends the reserve
//! (`extend_reserve`). Each short epoch emits its share of a yearly amount that is a fixed share of
//! what is left (halving by default), computed in `io_math::emission` so that all years
//! together emit the reserve to the last base unit. `advance_epoch`, a permissionless
//! crank, mints what ended epochs owe into the staking reward vault and has staking raise
//! its reward-per-weight accumulator: O(1) per crank whatever the number of operators.
//! A mint-rate breaker caps what any window can mint.
//!
//! This file only routes; each instruction lives in `instructions/<name>.rs`.

// Integer overflow on-chain is a silent wrong balance: every operation says what
// happens at the edge (checked, saturating with a reason, or a compile-time constant).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
// Anchor 0.31's `#[program]` emits IDL-account instructions that call the deprecated
// `AccountInfo::realloc`, at the crate's root where no narrower allow reaches.
#![allow(deprecated)]

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;

pub use constants::*;
pub use errors::EmissionsError;
pub use events::*;
pub use instructions::*;
pub use state::*;

declare_id!("6s1q8jxD2NprmTqfu3UfCco9zeMBSZiFFiU4cqkh12rE");

#[program]
pub mod emissions {
    use super::*;

    /// Takes over the $IO mint authority and starts the schedule.
    pub fn initialize_emissions(ctx: Context<InitializeEmissions>, args: InitializeEmissionsArgs) -> Result<()> {
        instructions::initialize_emissions::handler(ctx, args)
    }

    /// First half of the authority handover.
    pub fn propose_authority(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
        instructions::propose_authority::handler(ctx, new_authority)
    }

    /// Second half of the authority handover: the named successor accepts.
    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        instructions::accept_authority::handler(ctx)
    }

    /// Changes the yearly decay or the breaker: the fields named, each against its
    /// expected value.
    pub fn set_emission_params(
        ctx: Context<SetEmissionParams>,
        expected: EmissionParamsChange,
        change: EmissionParamsChange,
    ) -> Result<()> {
        instructions::set_emission_params::handler(ctx, expected, change)
    }

    /// Adds `amount` of the unminted rest of the cap to the emission reserve, written
    /// against the reserve it expects (the DAO's decision).
    pub fn extend_reserve(ctx: Context<ExtendReserve>, expected_reserve: u64, amount: u64) -> Result<()> {
        instructions::extend_reserve::handler(ctx, expected_reserve, amount)
    }

    /// The permissionless epoch crank.
    pub fn advance_epoch(ctx: Context<AdvanceEpoch>) -> Result<()> {
        instructions::advance_epoch::handler(ctx)
    }
}
