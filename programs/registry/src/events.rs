//! Events. Node changes go through the noop program (full records, never truncated);
//! configuration changes are ordinary Anchor events in the logs.

use crate::constants::GPU_ID_LEN;
use crate::state::{GpuModel, NodeRecord};
use anchor_lang::prelude::*;

/// What happened to a node.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeChange {
    Registered,
    Updated,
    Retired,
    Attested,
}

/// Logged through the noop program, after `NODE_EVENT_TAG`, on every leaf change.
/// An indexer rebuilds every record and the tree itself from these alone.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    pub change: NodeChange,
    pub tree: Pubkey,
    /// The full new record; its `leaf_index` says where it sits.
    pub record: NodeRecord,
    /// Attestation epoch, for `Attested`; 0 otherwise.
    pub epoch: u64,
    /// Oracles whose votes made the quorum, for `Attested`.
    pub oracles: Vec<Pubkey>,
    /// Identities of the GPUs a verification proved (ascending; their set hash is the
    /// record's `gpu_uuids_hash`); empty otherwise. With these every reader of the chain
    /// knows which GPUs count and where, so the same GPU is not counted on two nodes.
    pub gpu_ids: Vec<[u8; GPU_ID_LEN]>,
}

/// What an attestation adds to its node event (nothing, for other changes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attestation {
    pub epoch: u64,
    pub oracles: Vec<Pubkey>,
    pub gpu_ids: Vec<[u8; GPU_ID_LEN]>,
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
pub struct OraclesSet {
    pub oracles: Vec<Pubkey>,
    pub threshold: u8,
}

#[event]
pub struct GpuModelChanged {
    pub model: GpuModel,
}

#[event]
pub struct TreeCreated {
    pub merkle_tree: Pubkey,
    pub ordinal: u32,
    pub max_depth: u32,
    pub max_buffer_size: u32,
    pub canopy_depth: u32,
}

#[event]
pub struct RegistrationParamsSet {
    pub params: crate::state::RegistrationParams,
}

#[event]
pub struct ForfeitedDepositsSwept {
    pub destination: Pubkey,
    pub lamports: u64,
}

#[event]
pub struct VerificationLeaseSet {
    pub lease_epochs: u64,
}
