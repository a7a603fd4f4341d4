use crate::state::EmissionParams;
use anchor_lang::prelude::*;

#[event]
pub struct EmissionsInitialized {
    pub io_mint: Pubkey,
    pub genesis_supply: u64,
    pub reserve: u64,
    pub start_ts: i64,
    pub epoch_secs: u32,
    pub epochs_per_year: u32,
}

#[event]
pub struct AuthorityProposed {
    pub current: Pubkey,
    pub proposed: Pubkey,
}

#[event]
pub struct AuthorityAccepted {
    pub previous: Pubkey,
    pub authority: Pubkey,
}

#[event]
pub struct EmissionParamsSet {
    pub params: EmissionParams,
}

/// The authority added `amount` to the emission reserve: `reserve` in all now, of which
/// `unscheduled` is not yet assigned to any year (the next year boundary reads it).
#[event]
pub struct ReserveExtended {
    pub amount: u64,
    pub reserve: u64,
    pub unscheduled: u64,
}

/// One crank: `epochs` epochs from `first_epoch` accounted, `emitted` due for them,
/// `paid` into the reward vault's distribution (with earlier backlog), of it `minted` new
/// and the rest from reclaimed rewards, `returned` to the reserve (no weight earned it),
/// `reclaimed` from staking's forfeited rewards back to the reserve, `held_back` still
/// owed (the breaker's backlog).
#[event]
pub struct EpochAdvanced {
    pub first_epoch: u64,
    pub epochs: u64,
    pub year: u32,
    pub emitted: u64,
    pub minted: u64,
    pub paid: u64,
    pub returned: u64,
    pub reclaimed: u64,
    pub held_back: u64,
    pub total_minted: u64,
    /// True when the breaker, not the schedule, limited this mint.
    pub breaker_limited: bool,
}
