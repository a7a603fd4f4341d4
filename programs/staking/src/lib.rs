//! Tier-weighted staking and slashing of the $IO network.
//!
//! Operators bond $IO in a program vault; the bond their verified GPUs need and their
//! reward weight come from the registry's per-operator aggregates. Slashing is proposed
//! by the registry's oracle quorum, can be vetoed by the config authority (the DAO) during
//! a challenge window, and is then executed by anyone.
//!
//! Rewards: the emissions program's crank mints each epoch's emission into the reward vault
//! and calls `distribute_rewards`, which raises a reward-per-weight accumulator in O(1).
//! Each operator's share is settled lazily in `weight::apply_weight` before its weight
//! changes, and paid by `claim_rewards`. A weight is a lease: it earns in the distribution
//! of the epoch it was read from the registry in and the next one, then lapses until it is
//! refreshed (anyone may call `refresh_weight`), so a registry-side loss of verified
//! hardware stops earning within an epoch without any loop over operators. A lapsed stake
//! that settles within `LAPSE_HISTORY` epochs is paid to its lapse; what it leaves unsettled
//! after that, and a bucket's rounding, is forfeited and reclaimed by the next crank for
//! the emission reserve.
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
pub mod registry_view;
pub mod reward_pool;
pub mod state;
pub mod weight;

pub use constants::*;
pub use errors::StakingError;
pub use events::*;
pub use instructions::*;
pub use reward_pool::*;
pub use state::*;

declare_id!("EFYJU5okuMxEkDA8KdduYGYamTcvfBjPizUm24AwFaN6");

#[program]
pub mod staking {
    use super::*;

    /// Creates the staking config and its vault for the $IO mint.
    pub fn initialize_staking(
        ctx: Context<InitializeStaking>,
        authority: Pubkey,
        reward_distributor: Pubkey,
        params: StakingParams,
    ) -> Result<()> {
        instructions::initialize_staking::handler(ctx, authority, reward_distributor, params)
    }

    /// First half of the authority handover.
    pub fn propose_authority(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
        instructions::propose_authority::handler(ctx, new_authority)
    }

    /// Second half of the authority handover: the named successor accepts.
    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        instructions::accept_authority::handler(ctx)
    }

    /// Changes the staking parameters it names (each against its expected value) and,
    /// when one is passed, the treasury account.
    pub fn set_params(ctx: Context<SetParams>, expected: StakingParamsChange, change: StakingParamsChange) -> Result<()> {
        instructions::set_params::handler(ctx, expected, change)
    }

    /// Moves $IO from the operator's token account into the vault as bonded stake.
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::handler(ctx, amount)
    }

    /// Starts unbonding part of the bond; it stays slashable until withdrawn.
    pub fn request_unstake(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
        instructions::request_unstake::handler(ctx, amount)
    }

    /// Pays out an unbonding entry whose release time has passed.
    pub fn withdraw(ctx: Context<Withdraw>, entry: u8) -> Result<()> {
        instructions::withdraw::handler(ctx, entry)
    }

    /// Recomputes an operator's weight from the registry (anyone may call it).
    pub fn refresh_weight(ctx: Context<RefreshWeight>) -> Result<()> {
        instructions::refresh_weight::handler(ctx)
    }

    /// The emissions program shares an epoch's rewards among the earning weight and
    /// reclaims forfeited rewards for the reserve.
    pub fn distribute_rewards(ctx: Context<DistributeRewards>, amount: u64, reclaimed: u64) -> Result<()> {
        instructions::distribute_rewards::handler(ctx, amount, reclaimed)
    }

    /// Pays an operator's settled rewards from the reward vault.
    pub fn claim_rewards(ctx: Context<ClaimRewards>) -> Result<()> {
        instructions::claim_rewards::handler(ctx)
    }

    /// An oracle quorum proposes a slash, with a reason and an evidence hash.
    pub fn propose_slash<'info>(ctx: Context<'_, '_, '_, 'info, ProposeSlash<'info>>, args: ProposeSlashArgs) -> Result<()> {
        instructions::propose_slash::handler(ctx, args)
    }

    /// The config authority vetoes a pending slash during its challenge window.
    pub fn veto_slash(ctx: Context<VetoSlash>) -> Result<()> {
        instructions::veto_slash::handler(ctx)
    }

    /// Anyone executes a pending slash once its challenge window has passed.
    pub fn execute_slash(ctx: Context<ExecuteSlash>) -> Result<()> {
        instructions::execute_slash::handler(ctx)
    }

    /// Closes an executed or vetoed slash proposal; the rent goes back to its payer.
    pub fn close_slash_proposal(ctx: Context<CloseSlashProposal>) -> Result<()> {
        instructions::close_slash_proposal::handler(ctx)
    }
}
