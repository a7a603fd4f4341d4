//! Seeds and limits of the staking program.

use anchor_lang::prelude::*;

#[constant]
pub const STAKING_CONFIG_SEED: &[u8] = b"staking_config";
/// The token account holding every bonded and unbonding $IO.
#[constant]
pub const VAULT_SEED: &[u8] = b"vault";
/// An operator's stake: `[STAKE_SEED, operator]`.
#[constant]
pub const STAKE_SEED: &[u8] = b"stake";
/// A slash proposal: `[SLASH_SEED, id (u64 little-endian)]`; ids are global, so every
/// proposal can be listed from 0 to the config's `next_slash_id`.
#[constant]
pub const SLASH_SEED: &[u8] = b"slash";
/// The token account holding emitted $IO until operators claim it.
#[constant]
pub const REWARD_VAULT_SEED: &[u8] = b"reward_vault";

/// A weight's lease is the registry's verification lease: it earns until the first of its
/// operator's verified nodes stops counting (a registry epoch at most
/// `io_registry::MAX_LEASE_EPOCHS` ahead), so live leases fit a ring of this many buckets.
pub const WEIGHT_LEASE_RING: usize = io_registry::LEASE_RING;
/// Accumulator values kept for past lapses, by registry epoch, so an operator whose lease
/// lapsed is still paid exactly up to the lapse when it settles within this many epochs
/// (64 hours in the reference network).
pub const LAPSE_HISTORY: usize = 64;

/// Bond checkpoints kept per operator for governance snapshots (`OperatorStake::bonded_before`):
/// a vote can be weighed by the bond at any time after the eighth-latest bond change.
pub const BOND_HISTORY: usize = 8;

/// Unbonding entries an operator may have open at once.
pub const MAX_UNBONDING_ENTRIES: usize = 8;
/// Largest reward multiplier: 5x.
pub const MAX_MULTIPLIER_BPS: u16 = 50_000;
/// Longest unbonding period and challenge window: one year and 30 days.
pub const MAX_UNBONDING_SECS: u32 = 365 * 24 * 3600;
pub const MAX_CHALLENGE_SECS: u32 = 30 * 24 * 3600;
/// Oracles recorded on a slash proposal (the registry's quorum is at most 4).
pub const MAX_SLASH_PROPOSERS: usize = 4;
