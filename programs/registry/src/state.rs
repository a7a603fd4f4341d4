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
    /// Hash of the node's GPU set (`gpu_set_hash` of its GPUs' identities, which come
    /// from their UUIDs): the oracle re-checks it in its handshake, and a verifying quorum
    /// names every identity, checked against it.
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

/// The hash of a GPU set (what a record's `gpu_uuids_hash` holds): keccak of
/// `GPU_SET_DOMAIN` and the identities in ascending order.
pub fn gpu_set_hash(ids: &[[u8; GPU_ID_LEN]]) -> [u8; 32] {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(ids.len().saturating_add(1));
    parts.push(GPU_SET_DOMAIN);
    parts.extend(ids.iter().map(|id| &id[..]));
    keccak::hashv(&parts).to_bytes()
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
        // A u32 count times a u16 score fits a u64.
        u64::from(self.verified_gpus()).saturating_mul(u64::from(self.score))
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

io_program_common::params_change_type! {
    /// What one `set_registration_params` changes: the fields it names, with their new
    /// values (`change`) and the values it was written against (`expected`).
    RegistrationParamsChange for RegistrationParams, refused with RegistryError::StaleParams, RegistryError::InvalidParamsChange;
    {
        deposit_lamports: u64,
        max_pending_per_operator: u32,
        tree_max_depth: u32,
        tree_max_buffer_size: u32,
        tree_canopy_depth: u32,
        open_tree_fill_bps: u16,
    }
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

/// Attestation epoch at unix time `now` for a clock starting at `origin`: epoch 1 starts
/// at the origin, so 0 means "never".
pub fn epoch_at(origin: i64, length_secs: u32, now: i64) -> Result<u64> {
    let elapsed = now.saturating_sub(origin).max(0) as u64;
    elapsed.checked_div(u64::from(length_secs)).and_then(|e| e.checked_add(1)).ok_or_else(|| error!(RegistryError::ArithmeticOverflow))
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
        self.models.get(usize::from(id)).ok_or_else(|| error!(RegistryError::UnknownGpuModel))
    }

    pub fn model_mut(&mut self, id: u16) -> Result<&mut GpuModel> {
        self.models.get_mut(usize::from(id)).ok_or_else(|| error!(RegistryError::UnknownGpuModel))
    }

    /// Checks a declared spec against the catalogue and returns the model's tier.
    /// `allow_retired` lets existing nodes keep a model that was retired after they registered.
    pub fn check_spec(&self, spec: &HardwareSpec, allow_retired: bool) -> Result<Tier> {
        let model = self.model(spec.gpu_model)?;
        require!(model.active || allow_retired, RegistryError::GpuModelRetired);
        require!((1..=MAX_GPUS_PER_NODE).contains(&spec.gpu_count), RegistryError::InvalidGpuCount);
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
