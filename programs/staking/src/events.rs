use crate::state::{SlashDestination, SlashReason, SlashStatus, StakingParams};
use anchor_lang::prelude::*;

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
pub struct ParamsSet {
    pub params: StakingParams,
    pub treasury: Pubkey,
}

#[event]
pub struct Deposited {
    pub operator: Pubkey,
    pub amount: u64,
    pub bonded: u64,
}

#[event]
pub struct UnstakeRequested {
    pub operator: Pubkey,
    pub amount: u64,
    pub entry: u8,
    pub release_at: i64,
}

#[event]
pub struct Withdrawn {
    pub operator: Pubkey,
    pub amount: u64,
    pub entry: u8,
}

/// Every change of an operator's reward weight (rewards are settled just before).
#[event]
pub struct WeightChanged {
    pub operator: Pubkey,
    pub old_weight: u64,
    pub new_weight: u64,
    pub total_weight: u64,
}

#[event]
pub struct SlashProposed {
    pub id: u64,
    pub operator: Pubkey,
    pub amount: u64,
    pub reason: SlashReason,
    pub evidence_hash: [u8; 32],
    pub executable_at: i64,
    pub oracles: Vec<Pubkey>,
}

#[event]
pub struct SlashVetoed {
    pub id: u64,
    pub operator: Pubkey,
    pub amount: u64,
}

#[event]
pub struct SlashExecuted {
    pub id: u64,
    pub operator: Pubkey,
    pub amount: u64,
    pub from_bonded: u64,
    pub from_unbonding: u64,
    pub destination: SlashDestination,
}

/// One emissions crank: `amount` shared by `earning_weight`.
#[event]
pub struct RewardsDistributed {
    pub distribution: u64,
    pub amount: u64,
    pub earning_weight: u64,
    pub accumulator: u128,
    /// Weight whose lease ended by this distribution's registry epoch.
    pub lapsed_weight: u64,
    /// The registry epoch leases have lapsed through.
    pub registry_epoch: u64,
    /// Forfeited rewards handed back to the emissions crank (returned to the reserve).
    pub reclaimed: u64,
    /// Forfeited rewards left for the next crank (forfeited by this distribution's lapses).
    pub forfeited: u64,
}

#[event]
pub struct RewardsClaimed {
    pub operator: Pubkey,
    pub amount: u64,
    pub claimed_total: u64,
}

/// A settled slash proposal closed; its rent went back to `rent_payer`.
#[event]
pub struct SlashProposalClosed {
    pub id: u64,
    pub status: SlashStatus,
    pub rent_payer: Pubkey,
}
