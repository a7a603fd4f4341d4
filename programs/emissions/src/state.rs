//! The emissions config: schedule, cursor, backlog and breaker.

use crate::constants::*;
use crate::errors::EmissionsError;
use anchor_lang::prelude::*;
use io_math::{EmissionSchedule, ScheduleCursor};

/// What the authority (later the DAO) tunes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct EmissionParams {
    /// Share of the remaining reserve each year emits, bps: 5,000 halves the emission every
    /// year. A change applies from the next year boundary on.
    pub yearly_share_bps: u16,
    /// The emission-rate breaker: at most `breaker_max_mint` base units emitted (minted,
    /// or paid from reclaimed rewards) in any interval of `breaker_window_secs` (a rolling
    /// window, `io_math::RollingCap`).
    pub breaker_window_secs: u32,
    pub breaker_max_mint: u64,
}

impl EmissionParams {
    pub fn validate(&self) -> Result<()> {
        require!((1..=10_000).contains(&self.yearly_share_bps), EmissionsError::InvalidParams);
        require!(self.breaker_window_secs >= MIN_BREAKER_WINDOW_SECS, EmissionsError::InvalidParams);
        require!(self.breaker_max_mint > 0, EmissionsError::InvalidParams);
        Ok(())
    }
}

io_program_common::params_change_type! {
    /// What one `set_emission_params` changes: the fields it names, with their new values
    /// (`change`) and the values it was written against (`expected`).
    EmissionParamsChange for EmissionParams, refused with EmissionsError::StaleParams, EmissionsError::InvalidParamsChange;
    {
        yearly_share_bps: u16,
        breaker_window_secs: u32,
        breaker_max_mint: u64,
    }
}

/// PDA `[EMISSIONS_SEED]`: the mint authority of $IO and the reward distributor of staking.
#[account]
#[derive(InitSpace, Debug)]
pub struct EmissionsConfig {
    pub authority: Pubkey,
    pub pending_authority: Option<Pubkey>,
    pub io_mint: Pubkey,
    pub staking_config: Pubkey,
    pub reward_vault: Pubkey,
    pub params: EmissionParams,
    /// Fixed at initialisation: changing them mid-schedule would re-time every epoch.
    pub epoch_secs: u32,
    pub epochs_per_year: u32,
    /// Start of epoch 0.
    pub start_ts: i64,
    /// 800M IO in base units.
    pub supply_cap: u64,
    /// Supply at the handover: the genesis allocation.
    pub genesis_supply: u64,
    /// What the schedule emits in all (set at initialisation, raised only by
    /// `extend_reserve`): at most `supply_cap - genesis_supply`, whose rest stays unminted.
    pub reserve: u64,
    /// Everything ever minted, genesis included. Never above `supply_cap`.
    pub total_minted: u64,
    /// Epochs accounted so far (epoch `next_epoch` is the next one to be paid).
    pub next_epoch: u64,
    pub cursor: Cursor,
    /// Emission of epochs already accounted but not minted yet because the breaker's
    /// window was full. Minted by the next cranks that can; returned to the reserve
    /// (`cursor.unscheduled`) by a crank that finds no earning weight.
    pub held_back: u64,
    /// Rewards staking forfeited and this program reclaimed for the reserve, still in the
    /// reward vault: minted once, emitted again. The next emission is paid from them before
    /// anything new is minted, so `total_minted` never counts a unit twice.
    pub reclaimed: u64,
    /// What the breaker counts: minted per slot of its rolling window.
    pub breaker: RollingWindow,
    pub bump: u8,
}

/// `io_math::ScheduleCursor` as stored.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct Cursor {
    pub year: u32,
    pub epoch_in_year: u32,
    pub year_total: u64,
    pub unscheduled: u64,
}

impl From<Cursor> for ScheduleCursor {
    fn from(c: Cursor) -> Self {
        ScheduleCursor { year: c.year, epoch_in_year: c.epoch_in_year, year_total: c.year_total, unscheduled: c.unscheduled }
    }
}

impl From<ScheduleCursor> for Cursor {
    fn from(c: ScheduleCursor) -> Self {
        Cursor { year: c.year, epoch_in_year: c.epoch_in_year, year_total: c.year_total, unscheduled: c.unscheduled }
    }
}

impl EmissionsConfig {
    pub fn schedule(&self) -> EmissionSchedule {
        EmissionSchedule { yearly_share_bps: self.params.yearly_share_bps, epochs_per_year: self.epochs_per_year }
    }

    pub fn signer_seeds(&self) -> [&[u8]; 2] {
        [EMISSIONS_SEED, std::slice::from_ref(&self.bump)]
    }

    /// Of `epochs` epochs from `first_epoch`, those that began before `earning_since` (when
    /// staking's earning weight last rose from zero): nobody earned them.
    pub fn idle_epochs(&self, first_epoch: u64, epochs: u64, earning_since: i64) -> u64 {
        let since_start = earning_since.saturating_sub(self.start_ts).max(0) as u64;
        let first_earned = since_start.div_ceil(u64::from(self.epoch_secs));
        first_earned.saturating_sub(first_epoch).min(epochs)
    }

    /// Epochs that have fully ended at `now`.
    pub fn epochs_ended(&self, now: i64) -> u64 {
        let elapsed = now.saturating_sub(self.start_ts).max(0) as u64;
        // `epoch_secs` is validated nonzero at initialisation and never changes.
        elapsed.checked_div(u64::from(self.epoch_secs)).unwrap_or(0)
    }
}

io_program_common::rolling_window_type!();
