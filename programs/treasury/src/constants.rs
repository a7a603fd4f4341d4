//! Seeds and limits of the treasury program.

use anchor_lang::prelude::*;

/// The treasury config; authority of the IOSD mint and of every treasury vault.
#[constant]
pub const TREASURY_SEED: &[u8] = b"treasury";
/// The IOSD mint (1 IOSD = 1 USD, 6 decimals).
#[constant]
pub const IOSD_MINT_SEED: &[u8] = b"iosd_mint";
/// IOSD protocol fees.
#[constant]
pub const TREASURY_IOSD_SEED: &[u8] = b"treasury_iosd";
/// $IO protocol fees (and slashes sent to the treasury).
#[constant]
pub const TREASURY_IO_SEED: &[u8] = b"treasury_io";
/// IOSD waiting to buy $IO back.
#[constant]
pub const BUYBACK_POOL_SEED: &[u8] = b"buyback_pool";

/// The protocol fee can never be set above 10%, whoever holds the authority.
#[constant]
pub const MAX_FEE_BPS: u16 = 1_000;
pub const IOSD_DECIMALS: u8 = 6;
/// Demand periods kept on-chain (a year of 30-day periods in the reference network).
pub const DEMAND_HISTORY: usize = 12;
/// The Pyth receiver program that owns `PriceUpdateV2` accounts.
pub const PYTH_RECEIVER_ID: Pubkey = pubkey!("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
