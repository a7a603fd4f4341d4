//! The $IO treasury: IOSD, the protocol fee split, payments in $IO, and keeper
//! buyback-and-burn.
//!
//! Enterprises pay for clusters in IOSD (a 6-decimal USD unit minted only by the fiat
//! gateway, within a cap per period) or in $IO. Of an IOSD payment the protocol fee
//! (`fee_bps`, 200 in the reference network, never above `MAX_FEE_BPS`) goes to the
//! treasury and the rest to the buyback pool; of an $IO payment the same share goes to the
//! treasury and the rest is burned at once. Keepers convert the pool: they hand in $IO
//! bought on the market, which is burned, and take IOSD at a rate bounded by a Pyth IO/USD
//! price and a maximum slippage. Every flow is recorded, in totals and per demand period.
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
pub mod price;
pub mod state;

pub use constants::*;
pub use errors::TreasuryError;
pub use events::*;
pub use instructions::*;
pub use state::*;

declare_id!("PKZswihk2WyEQqrGPm3Wtwr6xK4kHfy4L4gqWNrGgeh");

#[program]
pub mod treasury {
    use super::*;

    /// Creates the config, the IOSD mint and the three vaults.
    pub fn initialize_treasury(
        ctx: Context<InitializeTreasury>,
        authority: Pubkey,
        params: TreasuryParams,
        demand_period_secs: u32,
    ) -> Result<()> {
        instructions::initialize_treasury::handler(ctx, authority, params, demand_period_secs)
    }

    /// First half of the authority handover.
    pub fn propose_authority(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
        instructions::propose_authority::handler(ctx, new_authority)
    }

    /// Second half of the authority handover: the named successor accepts.
    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        instructions::accept_authority::handler(ctx)
    }

    /// Changes the fee, the gateway and its cap, or the buyback price guard: the fields
    /// named, each checked against the value the change expects.
    pub fn set_treasury_params(
        ctx: Context<SetTreasuryParams>,
        expected: TreasuryParamsChange,
        change: TreasuryParamsChange,
    ) -> Result<()> {
        instructions::set_treasury_params::handler(ctx, expected, change)
    }

    /// The gateway mints IOSD within its cap per period.
    pub fn mint_iosd(ctx: Context<MintIosd>, amount: u64) -> Result<()> {
        instructions::mint_iosd::handler(ctx, amount)
    }

    /// A holder burns IOSD for a fiat payout.
    pub fn redeem_iosd(ctx: Context<RedeemIosd>, amount: u64, reference: [u8; 32]) -> Result<()> {
        instructions::redeem_iosd::handler(ctx, amount, reference)
    }

    /// A cluster payment in IOSD: fee to the treasury, the rest to the buyback pool.
    pub fn pay_with_iosd(ctx: Context<PayWithIosd>, amount: u64, reference: [u8; 32]) -> Result<()> {
        instructions::pay_with_iosd::handler(ctx, amount, reference)
    }

    /// A cluster payment in $IO: fee to the treasury, the rest burned.
    pub fn pay_with_io(ctx: Context<PayWithIo>, amount: u64, reference: [u8; 32]) -> Result<()> {
        instructions::pay_with_io::handler(ctx, amount, reference)
    }

    /// A keeper's fill: its $IO burned for IOSD from the pool, within the price bound.
    pub fn buyback_and_burn(ctx: Context<BuybackAndBurn>, iosd_amount: u64, io_amount: u64) -> Result<()> {
        instructions::buyback_and_burn::handler(ctx, iosd_amount, io_amount)
    }

    /// The authority pays a grant from the treasury's fees.
    pub fn grant(ctx: Context<Grant>, asset: Asset, amount: u64) -> Result<()> {
        instructions::grant::handler(ctx, asset, amount)
    }
}
