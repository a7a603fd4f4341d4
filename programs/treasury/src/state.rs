//! The treasury config: parameters, the gateway's mint window, and the records from which
//! demand, fees and burns can be computed from chain state alone.

use crate::constants::*;
use crate::errors::TreasuryError;
use anchor_lang::prelude::*;

/// What the authority (later the DAO) tunes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct TreasuryParams {
    /// Protocol share of every payment, bps (200 = 2%); at most `MAX_FEE_BPS`.
    pub fee_bps: u16,
    /// The only key that may mint IOSD (the fiat gateway).
    pub gateway: Pubkey,
    /// IOSD the gateway may mint in any interval of `gateway_period_secs` (a rolling
    /// window, `io_math::RollingCap`).
    pub gateway_cap: u64,
    pub gateway_period_secs: u32,
    /// The IO/USD Pyth feed buybacks are priced by.
    pub price_feed_id: [u8; 32],
    pub max_price_age_secs: u32,
    /// Widest confidence interval accepted, bps of the price.
    pub max_conf_bps: u16,
    /// How far below the oracle's fair amount a fill's IO may be, bps.
    pub max_slippage_bps: u16,
    /// Most IOSD one buyback fill may take from the pool.
    pub max_fill: u64,
}

impl TreasuryParams {
    pub fn validate(&self) -> Result<()> {
        require!(self.fee_bps <= MAX_FEE_BPS, TreasuryError::FeeAboveMax);
        require!(self.gateway_period_secs > 0 && self.max_price_age_secs > 0, TreasuryError::InvalidParams);
        require!(self.max_conf_bps <= 10_000 && self.max_slippage_bps <= 10_000, TreasuryError::InvalidParams);
        require!(self.max_fill > 0, TreasuryError::InvalidParams);
        Ok(())
    }
}

io_program_common::params_change_type! {
    /// What one `set_treasury_params` changes: the fields it names, with their new values
    /// (`change`) and the values it was written against (`expected`).
    TreasuryParamsChange for TreasuryParams, refused with TreasuryError::StaleParams, TreasuryError::InvalidParamsChange;
    {
        fee_bps: u16,
        gateway: Pubkey,
        gateway_cap: u64,
        gateway_period_secs: u32,
        price_feed_id: [u8; 32],
        max_price_age_secs: u32,
        max_conf_bps: u16,
        max_slippage_bps: u16,
        max_fill: u64,
    }
}

/// Cumulative records since genesis, base units.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct TreasuryTotals {
    pub iosd_minted: u64,
    pub iosd_redeemed: u64,
    /// IOSD paid for clusters, and how it split.
    pub iosd_paid: u64,
    pub iosd_fee: u64,
    pub iosd_to_pool: u64,
    /// IOSD handed to keepers and the $IO they brought, burned.
    pub iosd_spent_on_buybacks: u64,
    pub io_bought_and_burned: u64,
    /// $IO paid for clusters, and how it split.
    pub io_paid: u64,
    pub io_fee: u64,
    pub io_burned_from_payments: u64,
    pub iosd_granted: u64,
    pub io_granted: u64,
}

/// Demand in one period (`index` = periods since the treasury's origin).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct DemandPeriod {
    pub index: u64,
    pub iosd_paid: u64,
    pub io_paid: u64,
    /// $IO burned in the period: buybacks plus direct payments.
    pub io_burned: u64,
}

/// PDA `[TREASURY_SEED]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct TreasuryConfig {
    pub authority: Pubkey,
    pub pending_authority: Option<Pubkey>,
    pub io_mint: Pubkey,
    pub iosd_mint: Pubkey,
    pub iosd_vault: Pubkey,
    pub io_vault: Pubkey,
    pub pool_vault: Pubkey,
    pub params: TreasuryParams,
    pub origin_ts: i64,
    /// Length of a demand period (fixed at initialisation).
    pub demand_period_secs: u32,
    /// What the gateway cap counts: IOSD minted per slot of its rolling window.
    pub gateway_minted: RollingWindow,
    pub totals: TreasuryTotals,
    /// The latest periods, `index % DEMAND_HISTORY`.
    pub periods: [DemandPeriod; DEMAND_HISTORY],
    pub bump: u8,
}

impl TreasuryConfig {
    pub fn signer_seeds(&self) -> [&[u8]; 2] {
        [TREASURY_SEED, std::slice::from_ref(&self.bump)]
    }

    /// The demand record of the period containing `now`, reset if its slot held an older one.
    pub fn period_mut(&mut self, now: i64) -> &mut DemandPeriod {
        // `demand_period_secs` is validated nonzero at initialisation and never changes.
        let index = (now.saturating_sub(self.origin_ts).max(0) as u64).checked_div(u64::from(self.demand_period_secs)).unwrap_or(0);
        let slot = &mut self.periods[io_math::ring_slot(index, DEMAND_HISTORY)];
        if slot.index != index {
            *slot = DemandPeriod { index, ..DemandPeriod::default() };
        }
        slot
    }
}

/// Which treasury asset a grant pays.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    Iosd,
    Io,
}

io_program_common::rolling_window_type!();
