//! The reward pool inside the staking config: the accumulator, the weight leases it
//! divides by, the history of lapses, and what the stakes of each lease have not settled
//! (so what nobody can claim any more is known and returned to the emission reserve).

use crate::constants::*;
use crate::errors::StakingError;
use anchor_lang::prelude::*;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
