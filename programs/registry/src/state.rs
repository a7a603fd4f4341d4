//! Accounts and the node record (the compressed leaf) of the registry.
//!
//! `NodeRecord` is the single definition of a node: the program hashes it into leaves,
//! the SDK and indexer decode it from noop events, and the CLI prints it.

use crate::constants::*;
use crate::errors::RegistryError;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::keccak;

/// Hardware tier of a GPU model, set by the catalogue, never by the operator.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum Tier {
    Enterprise,
    MidMarket,
    Consumer,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Enterprise, Tier::MidMarket, Tier::Consumer];

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Lifecycle of a node record.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum NodeStatus {
    /// Registered or changed, waiting for an audit.
    Pending,
    /// Audited by an oracle quorum; its metrics are current.
    Verified,
    /// Failed an audit or went silent.
    Suspended,
    /// Taken out of service by its operator; final.
    Retired,
}

impl NodeStatus {
    pub const COUNT: usize = 4;

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A CUDA version. Field order makes the derived ordering compare major, then minor.
/// Apple and CPU nodes report 0.0.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, InitSpace)]
pub struct CudaVersion {
    pub major: u8,
    pub minor: u8,
}

/// What an operator declares about a node's hardware and location.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardwareSpec {
    /// Catalogue id of the GPU model.
    pub gpu_model: u16,
    pub gpu_count: u16,
    pub cuda: CudaVersion,
    /// H3 cell index of the node's location.
    pub region: u64,
    /// Hash of the node's sorted GPU UUIDs (the oracle re-checks it in its handshake).
    pub gpu_uuids_hash: [u8; 32],
}

/// Metrics measured by the Proof-of-Compute oracle.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct NodeMetrics {
    /// Measured throughput in hundredths of a TFLOPS (all GPUs of the node together
    /// divided by the GPU count: a per-GPU figure comparable with the catalogue).
    pub verified_centi_tflops: u32,
    /// Median round-trip time in microseconds.
    pub rtt_us: u32,
    pub bandwidth_mbps: u32,
    /// Packet loss in basis points.
    pub packet_loss_bps: u16,
}

/// One registry leaf. Leaf = keccak(LEAF_DOMAIN || borsh(record)).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeRecord {
    /// Layout version, `NODE_RECORD_VERSION`.
    pub version: u8,
    /// The node's own key: its worker agent signs with it.
    pub node_id: Pubkey,
    pub operator: Pubkey,
    /// Position in its tree; unique per tree, so no two leaves hash alike.
    pub leaf_index: u32,
    pub gpu_model: u16,
    pub gpu_count: u16,
    pub tier: Tier,
    pub cuda: CudaVersion,
    pub region: u64,
    pub gpu_uuids_hash: [u8; 32],
    pub status: NodeStatus,
    pub metrics: NodeMetrics,
    /// Attestation epoch of the last audit; strictly increases, so audits cannot be replayed.
    pub last_attested_epoch: u64,
    /// Score in basis points (see `io_math::node_score`); zero unless verified.
    pub score: u16,
    pub registered_at: i64,
    /// Lamports the operator deposited when registering it (the deposit in force then),
    /// held in the operator's aggregates account: refunded at retirement, forfeited by an
    /// attestation that slashes; 0 once either happened.
    pub deposit_lamports: u64,
    /// A verified record counts for its operator's bond and reward weight in the epochs
    /// before this one: the attestation epoch plus the lease in force then. 0 unless
    /// verified. Past it the record still reads `Verified` (with its last metrics), but it
    /// counts for nothing until a quorum attests it again.
    pub lease_end_epoch: u64,
}

impl NodeRecord {
    pub fn leaf_hash(&self) -> [u8; 32] {
        let mut bytes = Vec::with_capacity(160);
        // Serializing into a Vec cannot fail.
        self.serialize(&mut bytes).expect("borsh into Vec");
        keccak::hashv(&[LEAF_DOMAIN, &bytes]).to_bytes()
    }

    pub fn hardware(&self) -> HardwareSpec {
        HardwareSpec {
            gpu_model: self.gpu_model,
            gpu_count: self.gpu_count,
            cuda: self.cuda,
            region: self.region,
            gpu_uuids_hash: self.gpu_uuids_hash,
        }
    }

    /// Whether the record's verified status counts in `epoch`.
    pub fn counts_in(&self, epoch: u64) -> bool {
        self.status == NodeStatus::Verified && self.lease_end_epoch > epoch
    }

    /// Verified GPUs this record contributes to its operator's aggregates while its lease
    /// lasts.
    pub fn verified_gpus(&self) -> u32 {
        if self.status == NodeStatus::Verified {
            u32::from(self.gpu_count)
        } else {
            0
        }
    }

    /// Score x GPUs this record contributes to its operator's aggregates.
    pub fn verified_score_gpus(&self) -> u64 {
        u64::from(self.verified_gpus()) * u64::from(self.score)
    }
}

/// The registry's configuration, PDA `[CONFIG_SEED]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct RegistryConfig {
    pub authority: Pubkey,
    /// Successor named by `propose_authority`, until it accepts.
    pub pending_authority: Option<Pubkey>,
    #[max_len(MAX_ORACLES)]
    pub oracles: Vec<Pubkey>,
    /// M of the M-of-N quorum.
    pub threshold: u8,
    /// Unix time at which attestation epoch 1 began.
    pub epoch_origin: i64,
    pub epoch_length_secs: u32,
    /// Tree that `register_node` appends to; default until the first tree is created.
    pub active_tree: Pubkey,
    /// Every tree ever opened, oldest first (nodes stay in their tree for life).
    #[max_len(MAX_TREES)]
    pub trees: Vec<Pubkey>,
    pub registration: RegistrationParams,
    /// Forfeited deposits held by this account until the authority sweeps them.
    pub forfeited_lamports: u64,
    /// Epochs a verified attestation counts for (`NodeRecord::lease_end_epoch`); the
    /// oracles re-audit every verified leaf within it. 1..=`MAX_LEASE_EPOCHS`.
    pub lease_epochs: u64,
    pub bump: u8,
}

/// What registering costs and how trees are opened: set by the authority (the DAO).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct RegistrationParams {
    /// Refundable deposit per node, lamports.
    pub deposit_lamports: u64,
    /// Most pending nodes one operator may have at once (registration is refused beyond).
    pub max_pending_per_operator: u32,
    /// The shape anyone may open a new tree with (`open_tree`); depth 0: nobody may.
    pub tree_max_depth: u32,
    pub tree_max_buffer_size: u32,
    pub tree_canopy_depth: u32,
    /// `open_tree` is allowed once the active tree holds this share of its capacity.
    pub open_tree_fill_bps: u16,
}

impl RegistryConfig {
    /// Current attestation epoch; epoch 1 starts at `epoch_origin`, so 0 means "never".
    pub fn current_epoch(&self, now: i64) -> Result<u64> {
        epoch_at(self.epoch_origin, self.epoch_length_secs, now)
    }

    pub fn oracle_index(&self, key: &Pubkey) -> Option<usize> {
        self.oracles.iter().position(|o| o == key)
    }
}

/// Deserialises a boxed array element by element straight into the heap, in a frame of its
/// own: the SBF VM's 4 KiB stack frame cannot hold a 2 KB array plus a copy, which is what
/// the derived decoding of `Box<[T; N]>` builds. For a hand-written `AnchorDeserialize`;
/// the encoding is the plain array's.
#[inline(never)]
pub fn boxed_array<R: std::io::Read, T: AnchorDeserialize + Default + Copy, const N: usize>(
    reader: &mut R,
) -> std::io::Result<Box<[T; N]>> {
    let mut out: Box<[T; N]> = vec![T::default(); N]
        .into_boxed_slice()
        .try_into()
        .map_err(|_| std::io::Error::other("array length"))?;
    for slot in out.iter_mut() {
        *slot = T::deserialize_reader(reader)?;
    }
    Ok(out)
}

/// Attestation epoch at unix time `now` for a clock starting at `origin`: epoch 1 starts
/// at the origin, so 0 means "never".
pub fn epoch_at(origin: i64, length_secs: u32, now: i64) -> Result<u64> {
    let elapsed = now.saturating_sub(origin).max(0) as u64;
    elapsed
        .checked_div(u64::from(length_secs))
        .and_then(|e| e.checked_add(1))
        .ok_or_else(|| error!(RegistryError::ArithmeticOverflow))
}

/// One catalogue entry.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, InitSpace)]
pub struct GpuModel {
    /// Stable id stored in node records; the entry's position in the catalogue.
    pub id: u16,
    #[max_len(MAX_GPU_MODEL_NAME_LEN)]
    pub name: String,
    pub tier: Tier,
    /// Expected FP32 throughput of one GPU, hundredths of a TFLOPS.
    pub expected_centi_tflops: u32,
    pub min_cuda: CudaVersion,
    /// Retired models take no new registrations.
    pub active: bool,
}

/// The GPU catalogue, PDA `[CATALOGUE_SEED]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct GpuCatalogue {
    #[max_len(MAX_GPU_MODELS)]
    pub models: Vec<GpuModel>,
    pub bump: u8,
}

impl GpuCatalogue {
    pub fn model(&self, id: u16) -> Result<&GpuModel> {
        self.models
            .get(usize::from(id))
            .ok_or_else(|| error!(RegistryError::UnknownGpuModel))
    }

    pub fn model_mut(&mut self, id: u16) -> Result<&mut GpuModel> {
        self.models
            .get_mut(usize::from(id))
            .ok_or_else(|| error!(RegistryError::UnknownGpuModel))
    }

    /// Checks a declared spec against the catalogue and returns the model's tier.
    /// `allow_retired` lets existing nodes keep a model that was retired after they registered.
    pub fn check_spec(&self, spec: &HardwareSpec, allow_retired: bool) -> Result<Tier> {
        let model = self.model(spec.gpu_model)?;
        require!(model.active || allow_retired, RegistryError::GpuModelRetired);
        require!(
            (1..=MAX_GPUS_PER_NODE).contains(&spec.gpu_count),
            RegistryError::InvalidGpuCount
        );
        require!(spec.cuda >= model.min_cuda, RegistryError::CudaTooOld);
        require!(io_math::is_valid_h3_cell(spec.region), RegistryError::InvalidRegion);
        require!(spec.gpu_uuids_hash != [0u8; 32], RegistryError::InvalidGpuUuidHash);
        Ok(model.tier)
    }
}

/// One node tree, PDA `[TREE_SEED, merkle_tree]`; also the tree's authority.
#[account]
#[derive(InitSpace, Debug)]
pub struct TreeConfig {
    pub merkle_tree: Pubkey,
    /// 0 for the first tree the registry opened, 1 for the next, ...
    pub ordinal: u32,
    pub max_depth: u32,
    pub max_buffer_size: u32,
    pub canopy_depth: u32,
    pub capacity: u64,
    /// Leaves appended so far (= index of the next leaf).
    pub num_nodes: u64,
    pub bump: u8,
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

    fn combine(
        &mut self,
        other: &Self,
        wide: fn(u64, u64) -> Option<u64>,
        narrow: fn(u32, u32) -> Option<u32>,
    ) -> Result<()> {
        let overflow = || error!(RegistryError::ArithmeticOverflow);
        for t in 0..3 {
            self.nodes_by_tier[t] = narrow(self.nodes_by_tier[t], other.nodes_by_tier[t]).ok_or_else(overflow)?;
            self.gpus_by_tier[t] = narrow(self.gpus_by_tier[t], other.gpus_by_tier[t]).ok_or_else(overflow)?;
            self.score_gpus_by_tier[t] =
                wide(self.score_gpus_by_tier[t], other.score_gpus_by_tier[t]).ok_or_else(overflow)?;
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
    const INIT_SPACE: usize = 32
        + 4 * NodeStatus::COUNT
        + VerifiedCapacity::INIT_SPACE
        + 8
        + LEASE_RING * LeaseLapse::INIT_SPACE
        + 8
        + 8
        + 8
        + 8
        + 4
        + 1;
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
            require!(new.lease_end_epoch - epoch <= MAX_LEASE_EPOCHS, RegistryError::InvalidLease);
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
        (end_epoch % LEASE_RING as u64) as usize
    }

    fn bump_version(&mut self) -> Result<()> {
        self.verified_version =
            self.verified_version.checked_add(1).ok_or_else(|| error!(RegistryError::ArithmeticOverflow))?;
        Ok(())
    }
}
