//! An operator's aggregates account and the verification lease it keeps: the verified
//! capacity that counts for bond and reward weight, and the ring of lapse buckets through
//! which it expires lazily, without a loop over nodes.

use crate::constants::*;
use crate::errors::RegistryError;
use crate::state::{epoch_at, NodeRecord, NodeStatus};
use anchor_lang::prelude::*;

/// Deserialises a boxed array element by element straight into the heap, in a frame of its
/// own: the SBF VM's 4 KiB stack frame cannot hold a 2 KB array plus a copy, which is what
/// the derived decoding of `Box<[T; N]>` builds. For a hand-written `AnchorDeserialize`;
/// the encoding is the plain array's.
#[inline(never)]
pub fn boxed_array<R: std::io::Read, T: AnchorDeserialize + Default + Copy, const N: usize>(
    reader: &mut R,
) -> std::io::Result<Box<[T; N]>> {
    let mut out: Box<[T; N]> = vec![T::default(); N].into_boxed_slice().try_into().map_err(|_| std::io::Error::other("array length"))?;
    for slot in out.iter_mut() {
        *slot = T::deserialize_reader(reader)?;
    }
    Ok(out)
}

/// Verified capacity by `Tier` index: what an operator's bond requirement and reward
/// weight are computed from.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct VerifiedCapacity {
    pub nodes_by_tier: [u32; 3],
    pub gpus_by_tier: [u32; 3],
    /// Sum of score x GPU count: divided by 10,000 x the tier's GPUs it is the
    /// GPU-weighted average score.
    pub score_gpus_by_tier: [u64; 3],
}

impl VerifiedCapacity {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn total_gpus(&self) -> u32 {
        self.gpus_by_tier.iter().sum()
    }

    fn add(&mut self, record: &NodeRecord) -> Result<()> {
        self.combine(&Self::of(record), u64::checked_add, u32::checked_add)
    }

    fn sub(&mut self, record: &NodeRecord) -> Result<()> {
        self.combine(&Self::of(record), u64::checked_sub, u32::checked_sub)
    }

    fn sub_all(&mut self, other: &Self) -> Result<()> {
        self.combine(other, u64::checked_sub, u32::checked_sub)
    }

    /// One verified record's contribution.
    fn of(record: &NodeRecord) -> Self {
        let mut one = Self::default();
        let t = record.tier.index();
        one.nodes_by_tier[t] = 1;
        one.gpus_by_tier[t] = record.verified_gpus();
        one.score_gpus_by_tier[t] = record.verified_score_gpus();
        one
    }

    fn combine(&mut self, other: &Self, wide: fn(u64, u64) -> Option<u64>, narrow: fn(u32, u32) -> Option<u32>) -> Result<()> {
        let overflow = || error!(RegistryError::ArithmeticOverflow);
        for t in 0..3 {
            self.nodes_by_tier[t] = narrow(self.nodes_by_tier[t], other.nodes_by_tier[t]).ok_or_else(overflow)?;
            self.gpus_by_tier[t] = narrow(self.gpus_by_tier[t], other.gpus_by_tier[t]).ok_or_else(overflow)?;
            self.score_gpus_by_tier[t] = wide(self.score_gpus_by_tier[t], other.score_gpus_by_tier[t]).ok_or_else(overflow)?;
        }
        Ok(())
    }
}

/// The verified capacity whose leases end when epoch `end_epoch` starts; 0: a free slot.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct LeaseLapse {
    pub end_epoch: u64,
    pub capacity: VerifiedCapacity,
}

/// Per-operator aggregates that later programs (staking, emissions) read,
/// PDA `[OPERATOR_SEED, operator]`.
///
/// Verified capacity expires with its leases without any transaction: `verified` is the
/// capacity as of `settled_epoch`, and `lapses` holds the live capacity by the epoch its
/// lease ends. A reader subtracts the buckets that have ended since (`verified_at`), a
/// writer folds them in first (`settle`); both visit `LEASE_RING` buckets, whatever the
/// operator's node count.
///
/// The ring lives on the heap (`Box`): on the SBF VM a 1.8 KB array in a deserialising
/// frame, copied once or twice, overflows the 4 KiB stack frame. The encoding (and the
/// IDL) is the plain array's.
#[account]
#[derive(Debug)]
pub struct OperatorStats {
    pub operator: Pubkey,
    /// Records by `NodeStatus` index. A verified record whose lease ended is still
    /// counted as verified here (its leaf says so); it counts for nothing in `verified`.
    pub nodes_by_status: [u32; NodeStatus::COUNT],
    /// Capacity of the verified records whose lease had not ended at `settled_epoch`.
    /// Read it through `verified_at`.
    pub verified: VerifiedCapacity,
    /// Lapses of leases ending at or before this epoch are folded into `verified`.
    pub settled_epoch: u64,
    /// Live leases by end epoch, at `end_epoch % LEASE_RING`.
    pub lapses: Box<[LeaseLapse; LEASE_RING]>,
    /// Nodes ever registered.
    pub nodes_registered: u64,
    /// Registration deposits this account holds for the operator's live nodes.
    pub deposits_lamports: u64,
    /// Bumped whenever the verified capacity changes by an instruction or a settled
    /// lapse, so a reader can tell that the operator's reward weight must be recomputed.
    pub verified_version: u64,
    /// The registry's epoch clock (fixed at its initialisation), copied here so that this
    /// account alone tells its capacity now.
    pub epoch_origin: i64,
    pub epoch_length_secs: u32,
    pub bump: u8,
}

impl Space for OperatorStats {
    // Written out because the derive does not know `Box`; a test checks it against the
    // encoding of a value.
    const INIT_SPACE: usize =
        32 + 4 * NodeStatus::COUNT + VerifiedCapacity::INIT_SPACE + 8 + LEASE_RING * LeaseLapse::INIT_SPACE + 8 + 8 + 8 + 8 + 4 + 1;
}

impl OperatorStats {
    /// An empty aggregates account (the ring allocated on the heap).
    pub fn empty(operator: Pubkey, epoch_origin: i64, epoch_length_secs: u32, bump: u8) -> Self {
        OperatorStats {
            operator,
            nodes_by_status: [0; NodeStatus::COUNT],
            verified: VerifiedCapacity::default(),
            settled_epoch: 0,
            lapses: Box::new([LeaseLapse::default(); LEASE_RING]),
            nodes_registered: 0,
            deposits_lamports: 0,
            verified_version: 0,
            epoch_origin,
            epoch_length_secs,
            bump,
        }
    }

    pub fn current_epoch(&self, now: i64) -> Result<u64> {
        epoch_at(self.epoch_origin, self.epoch_length_secs, now)
    }

    /// The verified capacity that counts in `epoch` (read-only; `epoch` at or after
    /// `settled_epoch`).
    pub fn verified_at(&self, epoch: u64) -> Result<VerifiedCapacity> {
        let mut capacity = self.verified;
        for lapse in self.lapses.iter().filter(|l| l.end_epoch != 0 && l.end_epoch <= epoch) {
            capacity.sub_all(&lapse.capacity)?;
        }
        Ok(capacity)
    }

    /// The first epoch after `epoch` in which part of the capacity counting in `epoch`
    /// stops counting; `None` when nothing counts.
    pub fn next_lapse_after(&self, epoch: u64) -> Option<u64> {
        self.lapses.iter().map(|l| l.end_epoch).filter(|end| *end > epoch).min()
    }

    /// Folds every lease that ended by `epoch` into `verified`.
    pub fn settle(&mut self, epoch: u64) -> Result<()> {
        let mut lapsed = false;
        for i in 0..LEASE_RING {
            let lapse = self.lapses[i];
            if lapse.end_epoch != 0 && lapse.end_epoch <= epoch {
                self.verified.sub_all(&lapse.capacity)?;
                self.lapses[i] = LeaseLapse::default();
                lapsed = true;
            }
        }
        self.settled_epoch = self.settled_epoch.max(epoch);
        if lapsed {
            self.bump_version()?;
        }
        Ok(())
    }

    /// The one place aggregates change: settles to `epoch`, takes the old record's
    /// contribution out (if any, and if its lease still runs) and puts the new record's in.
    pub fn apply(&mut self, old: Option<&NodeRecord>, new: &NodeRecord, epoch: u64) -> Result<()> {
        let overflow = || error!(RegistryError::ArithmeticOverflow);
        self.settle(epoch)?;
        let mut verified_changed = false;
        if let Some(old) = old {
            let slot = &mut self.nodes_by_status[old.status.index()];
            *slot = slot.checked_sub(1).ok_or_else(overflow)?;
            if old.counts_in(epoch) {
                self.verified.sub(old)?;
                let lapse = &mut self.lapses[Self::slot(old.lease_end_epoch)];
                require!(lapse.end_epoch == old.lease_end_epoch, RegistryError::LeaseBookkeeping);
                lapse.capacity.sub(old)?;
                if lapse.capacity.is_empty() {
                    *lapse = LeaseLapse::default();
                }
                verified_changed = true;
            }
        } else {
            self.nodes_registered = self.nodes_registered.checked_add(1).ok_or_else(overflow)?;
        }
        let slot = &mut self.nodes_by_status[new.status.index()];
        *slot = slot.checked_add(1).ok_or_else(overflow)?;
        if new.counts_in(epoch) {
            let lease_left = new.lease_end_epoch.checked_sub(epoch).ok_or_else(|| error!(RegistryError::InvalidLease))?;
            require!(lease_left <= MAX_LEASE_EPOCHS, RegistryError::InvalidLease);
            self.verified.add(new)?;
            let lapse = &mut self.lapses[Self::slot(new.lease_end_epoch)];
            // Every live bucket ends within MAX_LEASE_EPOCHS of `epoch`, so a slot holds
            // one end epoch at a time.
            require!(lapse.end_epoch == 0 || lapse.end_epoch == new.lease_end_epoch, RegistryError::LeaseBookkeeping);
            lapse.end_epoch = new.lease_end_epoch;
            lapse.capacity.add(new)?;
            verified_changed = true;
        }
        if verified_changed {
            self.bump_version()?;
        }
        Ok(())
    }

    fn slot(end_epoch: u64) -> usize {
        io_math::ring_slot(end_epoch, LEASE_RING)
    }

    fn bump_version(&mut self) -> Result<()> {
        self.verified_version = self.verified_version.checked_add(1).ok_or_else(|| error!(RegistryError::ArithmeticOverflow))?;
        Ok(())
    }
}
