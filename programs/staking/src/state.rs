//! Accounts of the staking program.

use crate::constants::*;
use crate::errors::StakingError;
use crate::reward_pool::RewardPool;
use anchor_lang::prelude::*;
use io_math::TierStakeParams;

/// Where slashed $IO goes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum SlashDestination {
    Burn,
    Treasury,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum SlashReason {
    SpoofedHardware,
    Downtime,
    FailedAudit,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum SlashStatus {
    Pending,
    Vetoed,
    Executed,
}

/// Everything the authority (later the DAO) tunes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct StakingParams {
    /// Minimum stake per verified GPU, base units, by tier (Enterprise, Mid-market, Consumer).
    pub min_stake_per_gpu: [u64; 3],
    /// Reward multiplier by tier, basis points.
    pub multiplier_bps: [u16; 3],
    pub unbonding_secs: u32,
    /// Largest share of an operator's stake (bonded + unbonding) one slash may take.
    pub max_slash_bps: u16,
    /// Time the authority has to veto a slash.
    pub challenge_secs: u32,
    pub slash_destination: SlashDestination,
}

impl StakingParams {
    pub fn validate(&self) -> Result<()> {
        require!(self.min_stake_per_gpu.iter().all(|m| *m > 0), StakingError::InvalidParams);
        require!(self.multiplier_bps.iter().all(|m| (1..=MAX_MULTIPLIER_BPS).contains(m)), StakingError::InvalidParams);
        require!((1..=10_000).contains(&self.max_slash_bps), StakingError::InvalidParams);
        require!(self.challenge_secs <= MAX_CHALLENGE_SECS, StakingError::InvalidParams);
        // Unbonding must outlast the challenge window, so stake cannot leave between a
        // misdeed and the end of the window that would slash it.
        require!(self.unbonding_secs <= MAX_UNBONDING_SECS && self.unbonding_secs >= self.challenge_secs, StakingError::InvalidParams);
        Ok(())
    }

    pub fn tiers(&self) -> TierStakeParams {
        TierStakeParams { min_stake_per_gpu: self.min_stake_per_gpu, multiplier_bps: self.multiplier_bps }
    }
}

io_program_common::params_change_type! {
    /// What one `set_params` changes: the fields it names, with their new values (`change`)
    /// and the values it was written against (`expected`).
    StakingParamsChange for StakingParams, refused with StakingError::StaleParams, StakingError::InvalidParamsChange;
    {
        min_stake_per_gpu: [u64; 3],
        multiplier_bps: [u16; 3],
        unbonding_secs: u32,
        max_slash_bps: u16,
        challenge_secs: u32,
        slash_destination: SlashDestination,
    }
}

/// PDA `[STAKING_CONFIG_SEED]`; also the vault's token authority.
#[account]
#[derive(InitSpace, Debug)]
pub struct StakingConfig {
    pub authority: Pubkey,
    pub pending_authority: Option<Pubkey>,
    pub io_mint: Pubkey,
    pub vault: Pubkey,
    /// Token account ($IO) that receives slashes when the destination is the treasury.
    pub treasury: Pubkey,
    pub params: StakingParams,
    pub total_bonded: u64,
    pub total_unbonding: u64,
    /// Sum of every operator's weight.
    pub total_weight: u64,
    pub total_slashed: u64,
    pub next_slash_id: u64,
    /// Token account ($IO) that emitted rewards wait in until claimed.
    pub reward_vault: Pubkey,
    /// The only key that may call `distribute_rewards` (the emissions program's PDA).
    pub reward_distributor: Pubkey,
    pub rewards: RewardPool,
    /// The registry's epoch clock (fixed when it was initialised), copied at
    /// initialisation: leases end at registry epochs, and the crank tells the epoch by it.
    pub registry_epoch_origin: i64,
    pub registry_epoch_length_secs: u32,
    /// The second `total_bonded` last changed in, and its value before that second: the
    /// total at the end of any later second's predecessor is known in O(1) (the
    /// governance program's quorum base, consistent with the positions' bond snapshots).
    pub total_bonded_since: i64,
    pub total_bonded_prior: u64,
    pub bump: u8,
    pub vault_bump: u8,
    pub reward_vault_bump: u8,
}

impl StakingConfig {
    /// Sets `total_bonded` at `now`, keeping what it was before this second.
    pub fn set_total_bonded(&mut self, now: i64, total: u64) {
        if now != self.total_bonded_since {
            self.total_bonded_prior = self.total_bonded;
            self.total_bonded_since = now;
        }
        self.total_bonded = total;
    }

    /// Total bonded at the end of the second before `ts`; `None` for a second before the
    /// last change (only the present is kept).
    pub fn total_bonded_before(&self, ts: i64) -> Option<u64> {
        match ts.cmp(&self.total_bonded_since) {
            std::cmp::Ordering::Greater => Some(self.total_bonded),
            std::cmp::Ordering::Equal => Some(self.total_bonded_prior),
            std::cmp::Ordering::Less => None,
        }
    }

    /// The registry epoch at unix time `now`.
    pub fn registry_epoch(&self, now: i64) -> Result<u64> {
        io_registry::epoch_at(self.registry_epoch_origin, self.registry_epoch_length_secs, now)
    }

    pub fn signer_seeds(&self) -> [&[u8]; 2] {
        [STAKING_CONFIG_SEED, std::slice::from_ref(&self.bump)]
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct UnbondingEntry {
    /// Zero marks a free slot.
    pub amount: u64,
    pub release_at: i64,
}

/// The bond from `since` (unix seconds) until the next checkpoint.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct BondCheckpoint {
    pub since: i64,
    pub bonded: u64,
}

/// PDA `[STAKE_SEED, operator]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct OperatorStake {
    pub operator: Pubkey,
    pub bonded: u64,
    pub unbonding: [UnbondingEntry; MAX_UNBONDING_ENTRIES],
    /// Sum of the amounts of this operator's pending slash proposals.
    pub pending_slash: u64,
    pub weight: u64,
    /// The registry's `verified_version` the weight was computed from.
    pub registry_version: u64,
    /// The accumulator when rewards were last settled.
    pub reward_checkpoint: u128,
    /// The weight earns until this registry epoch starts (0: no lease).
    pub lease_end: u64,
    /// Settled, unclaimed rewards.
    pub accrued_rewards: u64,
    pub claimed_rewards: u64,
    /// Ring of the last `BOND_HISTORY` bond changes (the governance program weighs votes
    /// with it); the newest is at `(bond_checkpoints - 1) % BOND_HISTORY`.
    pub bond_history: [BondCheckpoint; BOND_HISTORY],
    /// Checkpoints ever written.
    pub bond_checkpoints: u64,
    pub bump: u8,
}

impl OperatorStake {
    /// Records the current bond as of `now`; every instruction that changes `bonded` calls
    /// it. Changes within one second share a checkpoint.
    pub fn record_bond(&mut self, now: i64) -> Result<()> {
        let n = self.bond_checkpoints;
        if let Some(newest) = n.checked_sub(1) {
            let last = &mut self.bond_history[io_math::ring_slot(newest, BOND_HISTORY)];
            if last.since == now {
                last.bonded = self.bonded;
                return Ok(());
            }
        }
        self.bond_history[io_math::ring_slot(n, BOND_HISTORY)] = BondCheckpoint { since: now, bonded: self.bonded };
        self.bond_checkpoints = n.checked_add(1).ok_or_else(|| error!(StakingError::ArithmeticOverflow))?;
        Ok(())
    }

    /// The bond as it stood at the end of the second before `ts`: bond changes made in
    /// second `ts` or later do not count. `None` when the answer was overwritten: every
    /// kept checkpoint is from `ts` or later and older ones exist, i.e. the position changed
    /// its bond `BOND_HISTORY` times from `ts` on. O(BOND_HISTORY).
    pub fn bonded_before(&self, ts: i64) -> Option<u64> {
        let n = self.bond_checkpoints;
        let kept = n.min(BOND_HISTORY as u64);
        for age in 1..=kept {
            // age <= kept <= n.
            let checkpoint = self.bond_history[io_math::ring_slot(n.saturating_sub(age), BOND_HISTORY)];
            if checkpoint.since < ts {
                return Some(checkpoint.bonded);
            }
        }
        // Nothing kept is old enough: before the first checkpoint there was no bond; if
        // older checkpoints were overwritten, the answer is lost.
        (n <= BOND_HISTORY as u64).then_some(0)
    }

    pub fn unbonding_total(&self) -> Result<u64> {
        self.unbonding.iter().try_fold(0u64, |sum, e| sum.checked_add(e.amount).ok_or_else(|| error!(StakingError::ArithmeticOverflow)))
    }

    /// Everything a slash can reach: bonded plus unbonding.
    pub fn slashable(&self) -> Result<u64> {
        self.bonded.checked_add(self.unbonding_total()?).ok_or_else(|| error!(StakingError::ArithmeticOverflow))
    }
}

/// PDA `[SLASH_SEED, id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct SlashProposal {
    pub id: u64,
    pub operator: Pubkey,
    pub amount: u64,
    pub reason: SlashReason,
    pub evidence_hash: [u8; 32],
    pub proposed_at: i64,
    /// End of the challenge window.
    pub executable_at: i64,
    pub status: SlashStatus,
    #[max_len(MAX_SLASH_PROPOSERS)]
    pub oracles: Vec<Pubkey>,
    /// Who paid the rent: `close_slash_proposal` returns it there once the slash is settled.
    pub rent_payer: Pubkey,
    pub bump: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stake() -> OperatorStake {
        OperatorStake {
            operator: Pubkey::default(),
            bonded: 0,
            unbonding: Default::default(),
            pending_slash: 0,
            weight: 0,
            registry_version: 0,
            reward_checkpoint: 0,
            lease_end: 0,
            accrued_rewards: 0,
            claimed_rewards: 0,
            bond_history: Default::default(),
            bond_checkpoints: 0,
            bump: 0,
        }
    }

    #[test]
    fn bond_snapshots_ignore_changes_from_the_snapshot_second_on() {
        let mut s = stake();
        assert_eq!(s.bonded_before(100), Some(0));
        s.bonded = 50;
        s.record_bond(10).unwrap();
        s.bonded = 80;
        s.record_bond(10).unwrap(); // same second: one checkpoint
        assert_eq!(s.bond_checkpoints, 1);
        s.bonded = 30;
        s.record_bond(20).unwrap();
        assert_eq!(s.bonded_before(10), Some(0));
        assert_eq!(s.bonded_before(11), Some(80));
        assert_eq!(s.bonded_before(20), Some(80));
        assert_eq!(s.bonded_before(21), Some(30));
    }

    #[test]
    fn bond_snapshots_older_than_the_ring_are_unavailable() {
        let mut s = stake();
        for i in 0..(BOND_HISTORY as i64 + 3) {
            s.bonded = 100 + i as u64;
            s.record_bond(10 * (i + 1)).unwrap();
        }
        // Checkpoints at 40..=110 are kept (8 of them); 10, 20, 30 were overwritten.
        assert_eq!(s.bonded_before(41), Some(103));
        assert_eq!(s.bonded_before(40), None);
        assert_eq!(s.bonded_before(1_000), Some(110));
        assert_eq!(s.bonded_before(105), Some(109));
    }
}
