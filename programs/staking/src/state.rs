//! Accounts of the staking program.

use crate::constants::*;
use crate::errors::StakingError;
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

/// The reward-per-weight accumulator and the weight leases it divides by.
///
/// A weight earns from the moment it is read from the registry until its lease ends: the
/// registry epoch in which the first of its operator's verified nodes stops counting. The
/// lease is renewed by any instruction that reads the weight again, above all the
/// `refresh_weight` in each attestation transaction, so the oracles' audits keep weights
/// earning and nobody else has to send anything.
///
/// The two rings live on the heap (`Box`): on the SBF VM the 2.5 KB of arrays in a
/// deserialising frame overflow the 4 KiB stack frame. The encoding (and the IDL) is the
/// plain arrays'.
#[derive(AnchorSerialize, Clone, Debug, PartialEq, Eq)]
pub struct RewardPool {
    /// Reward per unit of weight ever distributed, scaled by `io_math::REWARD_SCALE`.
    pub accumulator: u128,
    /// Distributions so far (one per emissions crank).
    pub distributions: u64,
    /// Sum of the weights whose lease is live: what each distribution is shared by.
    pub earning_weight: u64,
    /// Leases ending in this registry epoch or earlier have lapsed.
    pub lapsed_through_epoch: u64,
    /// Live weight by the registry epoch its lease ends, at `end_epoch % WEIGHT_LEASE_RING`.
    pub expiring: Box<[WeightLapse; WEIGHT_LEASE_RING]>,
    /// The accumulator when the leases ending at an epoch lapsed, at `epoch % LAPSE_HISTORY`.
    pub lapse_history: Box<[LapseMark; LAPSE_HISTORY]>,
    pub total_distributed: u64,
    pub total_claimed: u64,
    /// When the earning weight last rose from zero (unix seconds; 0 before any weight
    /// earned). The emissions crank returns to the reserve the emission of epochs that
    /// began before it: nobody earned those.
    pub earning_since: i64,
    /// Rewards nobody can claim any more, still in the reward vault: what the stakes of a
    /// lapse had not settled when its mark left the history (their unsettled share, with
    /// the bucket's rounding). The next emissions crank reclaims it.
    pub forfeited: u64,
    /// Everything the emissions crank reclaimed so far: the vault backs
    /// `total_distributed - total_claimed - total_reclaimed` for the stakes.
    pub total_reclaimed: u64,
}

/// Live weight whose lease ends at registry epoch `end_epoch`; 0: a free bucket.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct WeightLapse {
    pub end_epoch: u64,
    pub weight: u64,
    /// The bucket's share of the distributions while its weight earned (each rounded
    /// down), less what its stakes have settled: at most what they can still claim.
    pub unpaid: u64,
}

/// The accumulator at the moment the leases ending at `epoch` lapsed, and what their
/// stakes had not settled then, less what they settled since.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct LapseMark {
    pub epoch: u64,
    pub accumulator: u128,
    pub unpaid: u64,
}

impl Default for RewardPool {
    fn default() -> Self {
        RewardPool {
            accumulator: 0,
            distributions: 0,
            earning_weight: 0,
            lapsed_through_epoch: 0,
            expiring: Box::new([WeightLapse::default(); WEIGHT_LEASE_RING]),
            lapse_history: Box::new([LapseMark::default(); LAPSE_HISTORY]),
            total_distributed: 0,
            total_claimed: 0,
            earning_since: 0,
            forfeited: 0,
            total_reclaimed: 0,
        }
    }
}

// Field by field, in declaration order (the encoding the derive would produce), with the
// rings decoded straight into the heap.
impl AnchorDeserialize for RewardPool {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        Ok(RewardPool {
            accumulator: u128::deserialize_reader(reader)?,
            distributions: u64::deserialize_reader(reader)?,
            earning_weight: u64::deserialize_reader(reader)?,
            lapsed_through_epoch: u64::deserialize_reader(reader)?,
            expiring: io_registry::boxed_array(reader)?,
            lapse_history: io_registry::boxed_array(reader)?,
            total_distributed: u64::deserialize_reader(reader)?,
            total_claimed: u64::deserialize_reader(reader)?,
            earning_since: i64::deserialize_reader(reader)?,
            forfeited: u64::deserialize_reader(reader)?,
            total_reclaimed: u64::deserialize_reader(reader)?,
        })
    }
}

impl Space for RewardPool {
    // Written out because the derive does not know `Box`; a test checks it against the
    // encoding of a value.
    const INIT_SPACE: usize =
        16 + 8 + 8 + 8 + WEIGHT_LEASE_RING * WeightLapse::INIT_SPACE + LAPSE_HISTORY * LapseMark::INIT_SPACE + 8 + 8 + 8 + 8 + 8;
}

impl RewardPool {
    /// Whether a lease ending at `end_epoch` still earns.
    pub fn is_live(&self, end_epoch: u64) -> bool {
        end_epoch > self.lapsed_through_epoch
    }

    /// The accumulator when the leases ending at `epoch` lapsed, while it is still kept.
    pub fn accumulator_at_lapse(&self, epoch: u64) -> Option<u128> {
        let mark = self.lapse_history[io_math::ring_slot(epoch, LAPSE_HISTORY)];
        (mark.epoch == epoch && epoch != 0).then_some(mark.accumulator)
    }

    pub fn bucket(end_epoch: u64) -> usize {
        io_math::ring_slot(end_epoch, WEIGHT_LEASE_RING)
    }

    /// Lapses every lease ending in `epoch` or earlier; returns the weight that stopped
    /// earning. Visits `WEIGHT_LEASE_RING` buckets whatever the number of stakes.
    pub fn lapse_through(&mut self, epoch: u64) -> Result<u64> {
        let overflow = || error!(StakingError::ArithmeticOverflow);
        let mut lapsed = 0u64;
        for i in 0..WEIGHT_LEASE_RING {
            let bucket = self.expiring[i];
            if bucket.end_epoch != 0 && bucket.end_epoch <= epoch {
                self.earning_weight = self.earning_weight.checked_sub(bucket.weight).ok_or_else(overflow)?;
                lapsed = lapsed.checked_add(bucket.weight).ok_or_else(overflow)?;
                // The mark this one replaces leaves the history: its stakes that have not
                // settled can no longer claim, so what they were owed is forfeited.
                let slot = &mut self.lapse_history[io_math::ring_slot(bucket.end_epoch, LAPSE_HISTORY)];
                self.forfeited = self.forfeited.checked_add(slot.unpaid).ok_or_else(overflow)?;
                *slot = LapseMark { epoch: bucket.end_epoch, accumulator: self.accumulator, unpaid: bucket.unpaid };
                self.expiring[i] = WeightLapse::default();
            }
        }
        self.lapsed_through_epoch = self.lapsed_through_epoch.max(epoch);
        Ok(lapsed)
    }

    /// Adds `weight` to the earning pool until `end_epoch`. A bucket still holding an
    /// older end epoch (the crank is more than a ring behind) is lapsed first: that epoch
    /// has long started.
    pub fn lease(&mut self, weight: u64, end_epoch: u64) -> Result<()> {
        let overflow = || error!(StakingError::ArithmeticOverflow);
        require!(self.is_live(end_epoch), StakingError::LeaseAlreadyEnded);
        let held = self.expiring[Self::bucket(end_epoch)].end_epoch;
        if held != 0 && held != end_epoch {
            require!(held < end_epoch, StakingError::LeaseAlreadyEnded);
            self.lapse_through(held)?;
        }
        self.earning_weight = self.earning_weight.checked_add(weight).ok_or_else(overflow)?;
        let bucket = &mut self.expiring[Self::bucket(end_epoch)];
        bucket.end_epoch = end_epoch;
        bucket.weight = bucket.weight.checked_add(weight).ok_or_else(overflow)?;
        Ok(())
    }

    /// Takes a live lease's weight out of the pool, its stake having settled `paid`. What a
    /// bucket emptied this way still holds is rounding (at most a unit per distribution it
    /// shared): it stays in the vault as dust, as the accumulator's own rounding does.
    pub fn release(&mut self, weight: u64, end_epoch: u64, paid: u64) -> Result<()> {
        let overflow = || error!(StakingError::ArithmeticOverflow);
        self.earning_weight = self.earning_weight.checked_sub(weight).ok_or_else(overflow)?;
        let bucket = &mut self.expiring[Self::bucket(end_epoch)];
        require!(bucket.end_epoch == end_epoch, StakingError::LeaseBookkeeping);
        bucket.weight = bucket.weight.checked_sub(weight).ok_or_else(overflow)?;
        // A stake's share is its weight times the accumulator's rise, rounded down once;
        // the bucket's is rounded down per distribution, so it can fall short by a unit
        // per distribution: the bucket then owes nothing more, never less than nothing.
        bucket.unpaid = bucket.unpaid.saturating_sub(paid);
        if bucket.weight == 0 {
            *bucket = WeightLapse::default();
        }
        Ok(())
    }

    /// A lapsed stake settled `paid` through the lapse mark of `epoch`.
    pub fn settle_lapsed(&mut self, epoch: u64, paid: u64) {
        let mark = &mut self.lapse_history[io_math::ring_slot(epoch, LAPSE_HISTORY)];
        mark.unpaid = mark.unpaid.saturating_sub(paid);
    }

    /// Raises the accumulator by `amount` over the earning weight and gives each live
    /// bucket its share (rounded down, so the shares never add up to more than `amount`).
    /// Visits `WEIGHT_LEASE_RING` buckets whatever the number of stakes.
    pub fn distribute(&mut self, amount: u64) -> Result<()> {
        let overflow = || error!(StakingError::ArithmeticOverflow);
        let increment = io_math::accumulator_increment(amount, self.earning_weight).ok_or_else(|| error!(StakingError::NoEarningWeight))?;
        self.accumulator = self.accumulator.checked_add(increment).ok_or_else(overflow)?;
        self.total_distributed = self.total_distributed.checked_add(amount).ok_or_else(overflow)?;
        for bucket in self.expiring.iter_mut().filter(|b| b.weight > 0) {
            let share = io_math::mul_div(amount, bucket.weight, self.earning_weight).ok_or_else(overflow)?;
            bucket.unpaid = bucket.unpaid.checked_add(share).ok_or_else(overflow)?;
        }
        Ok(())
    }

    /// Hands `amount` of the forfeited rewards to the emissions crank, which returns it to
    /// the reserve; the tokens stay in the vault for the emission to come.
    pub fn reclaim(&mut self, amount: u64) -> Result<()> {
        self.forfeited = self.forfeited.checked_sub(amount).ok_or_else(|| error!(StakingError::ReclaimExceedsForfeited))?;
        self.total_reclaimed = self.total_reclaimed.checked_add(amount).ok_or_else(|| error!(StakingError::ArithmeticOverflow))?;
        Ok(())
    }

    /// What the reward vault must hold for the stakes: distributed, not claimed, not
    /// reclaimed.
    pub fn backed(&self) -> Result<u64> {
        self.total_distributed
            .checked_sub(self.total_claimed)
            .and_then(|v| v.checked_sub(self.total_reclaimed))
            .ok_or_else(|| error!(StakingError::ArithmeticOverflow))
    }
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
    fn the_declared_pool_space_is_the_encoded_size_and_decoding_is_exact() {
        let mut pool = RewardPool { accumulator: u128::MAX - 3, lapsed_through_epoch: 77, ..RewardPool::default() };
        pool.expiring[5] = WeightLapse { end_epoch: 101, weight: 9, unpaid: 4 };
        pool.lapse_history[63] = LapseMark { epoch: 63, accumulator: 1 << 100, unpaid: 3 };
        pool.total_claimed = 12;
        pool.forfeited = 7;
        pool.total_reclaimed = 11;
        pool.earning_since = -5;
        let bytes = pool.try_to_vec().unwrap();
        assert_eq!(bytes.len(), RewardPool::INIT_SPACE);
        assert_eq!(RewardPool::try_from_slice(&bytes).unwrap(), pool);
    }

    #[test]
    fn buckets_keep_their_unsettled_share_and_what_nobody_can_claim_is_forfeited() {
        let mut pool = RewardPool::default();
        pool.lease(1, 40).unwrap();
        pool.lease(3, 41).unwrap();
        // 10 over weights 1 and 3: shares floor(10/4) = 2 and floor(30/4) = 7.
        pool.distribute(10).unwrap();
        assert_eq!((pool.expiring[40 % 32].unpaid, pool.expiring[41 % 32].unpaid), (2, 7));
        assert_eq!(pool.accumulator, 2_500_000_000_000_000_000);
        // The weight-1 stake earned floor(1 x 2.5) = 2 and leaves: its bucket is empty and
        // nothing is left in it.
        pool.release(1, 40, 2).unwrap();
        assert_eq!((pool.forfeited, pool.expiring[40 % 32]), (0, WeightLapse::default()));
        // 41 lapses with its 7 unsettled; a stake settling 5 through the mark leaves 2.
        pool.lapse_through(41).unwrap();
        assert_eq!(pool.lapse_history[41], LapseMark { epoch: 41, accumulator: 2_500_000_000_000_000_000, unpaid: 7 });
        pool.settle_lapsed(41, 5);
        // Epoch 105 takes 41's place in the history: its 2 can no longer be claimed.
        pool.lease(4, 105).unwrap();
        pool.lapse_through(105).unwrap();
        assert_eq!(pool.forfeited, 2);
        assert_eq!(pool.accumulator_at_lapse(41), None);
        // A bucket whose last stake leaves forfeits its rounding: 3 over weights 2 and 2
        // gives each bucket 1 (floor 1.5), while each stake earns floor(2 x 0.75) = 1.
        let mut pool = RewardPool::default();
        pool.lease(2, 50).unwrap();
        pool.lease(2, 51).unwrap();
        pool.distribute(3).unwrap();
        pool.release(2, 50, 1).unwrap();
        assert_eq!(pool.forfeited, 0);
        // Paid more than the bucket's floored share (possible over several distributions):
        // the bucket owes nothing more, never less than nothing.
        pool.release(2, 51, 2).unwrap();
        assert_eq!(pool.forfeited, 0);
        // Rounding left in a bucket its stakes emptied stays in the vault as dust.
        let mut pool = RewardPool::default();
        pool.lease(4, 60).unwrap();
        pool.distribute(7).unwrap();
        pool.release(4, 60, 5).unwrap();
        assert_eq!((pool.forfeited, pool.expiring[60 % 32]), (0, WeightLapse::default()));
        // The crank reclaims at most what was forfeited.
        pool.forfeited = 2;
        assert_eq!(pool.reclaim(3).unwrap_err(), StakingError::ReclaimExceedsForfeited.into());
        pool.reclaim(2).unwrap();
        assert_eq!((pool.forfeited, pool.total_reclaimed), (0, 2));
        assert_eq!(pool.backed().unwrap(), 7 - 2);
    }

    #[test]
    fn leases_lapse_by_registry_epoch_and_a_bucket_a_ring_behind_lapses_first() {
        let mut pool = RewardPool::default();
        pool.lease(10, 40).unwrap();
        pool.lease(7, 41).unwrap();
        pool.accumulator = 1_000;
        assert_eq!(pool.lapse_through(39).unwrap(), 0);
        assert_eq!(pool.lapse_through(40).unwrap(), 10);
        assert_eq!((pool.earning_weight, pool.lapsed_through_epoch), (7, 40));
        assert_eq!(pool.accumulator_at_lapse(40), Some(1_000));
        assert!(!pool.is_live(40) && pool.is_live(41));
        // 41 + 32 lands in 41's bucket: the crank is a ring behind, so 41 (long started)
        // lapses first, at the accumulator of that moment.
        pool.accumulator = 2_000;
        pool.lease(5, 41 + WEIGHT_LEASE_RING as u64).unwrap();
        assert_eq!(pool.earning_weight, 5);
        assert_eq!(pool.accumulator_at_lapse(41), Some(2_000));
        // A lease that has already ended cannot be granted.
        assert_eq!(pool.lease(1, 41).unwrap_err(), StakingError::LeaseAlreadyEnded.into());
        // Releasing a live lease empties its bucket.
        pool.release(5, 41 + WEIGHT_LEASE_RING as u64, 0).unwrap();
        assert_eq!(pool.earning_weight, 0);
        assert!(pool.expiring.iter().all(|b| *b == WeightLapse::default()));
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
