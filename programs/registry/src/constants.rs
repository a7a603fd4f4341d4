//! Seeds, limits and fixed protocol numbers of the registry, in one place.

use anchor_lang::prelude::*;

#[constant]
pub const CONFIG_SEED: &[u8] = b"config";
#[constant]
pub const CATALOGUE_SEED: &[u8] = b"catalogue";
/// Seed of a tree's config PDA, which is also the tree's authority: `[TREE_SEED, merkle_tree]`.
#[constant]
pub const TREE_SEED: &[u8] = b"tree";
/// Seed of an operator's aggregate account: `[OPERATOR_SEED, operator]`.
#[constant]
pub const OPERATOR_SEED: &[u8] = b"operator";
/// Seed of a leaf's ballot, where the oracles' verdicts on it gather until one attestation
/// applies them: `[BALLOT_SEED, merkle_tree, leaf_index (u32 little-endian)]`.
#[constant]
pub const BALLOT_SEED: &[u8] = b"ballot";

/// A ballot no attestation applied may be closed (its rent returned) this many epochs
/// after its epoch; before that a late attestation may still apply it.
pub const BALLOT_LIFETIME_EPOCHS: u64 = 2;

/// Largest oracle set.
pub const MAX_ORACLES: usize = 16;
/// Largest quorum. Each oracle sends its verdict in a transaction of its own, so the quorum
/// does not weigh on any registry transaction; it bounds a ballot's votes and the slash
/// proposal, which the quorum still co-signs in one transaction.
pub const MAX_QUORUM: u8 = 4;
/// Most proof nodes a registry transaction carries; a tree's canopy must cover the rest,
/// so that every registry transaction fits one packet (depth 20 with canopy 12 at the
/// reference shape).
pub const MAX_PROOF_NODES: u32 = 8;
/// Most trees the registry opens (32 x 2^20 leaves at the reference shape).
pub const MAX_TREES: usize = 32;
/// Capacity of the GPU catalogue.
pub const MAX_GPU_MODELS: usize = 64;
/// Longest GPU model name.
pub const MAX_GPU_MODEL_NAME_LEN: usize = 24;
/// Most GPUs one node record may claim: every one is named in its verdicts (16 bytes
/// each), and a verdict must fit one packet beside its two signatures. The largest single
/// hosts carry 16 GPUs.
pub const MAX_GPUS_PER_NODE: u16 = 32;
/// Bytes of a GPU's identity: the head of keccak(`GPU_ID_DOMAIN` || its lower-cased
/// UUID). 128 bits: finding a second UUID with a given identity is out of reach.
pub const GPU_ID_LEN: usize = 16;
/// Domain of a GPU identity (computed off-chain from the UUID the worker reports).
pub const GPU_ID_DOMAIN: &[u8] = b"io-registry:gpu:v1";
/// Domain of a node's GPU set hash, the record's `gpu_uuids_hash`: keccak of this and the
/// node's GPU identities in ascending order.
pub const GPU_SET_DOMAIN: &[u8] = b"io-registry:gpus:v1";

/// Version byte at the head of every borsh-encoded node record.
pub const NODE_RECORD_VERSION: u8 = 3;
/// Domain separator hashed in front of every encoded record to form its leaf.
pub const LEAF_DOMAIN: &[u8] = b"io-registry:node:v1";
/// Tag in front of every node event this program logs through the noop program, so an
/// indexer can tell its events from other application data.
pub const NODE_EVENT_TAG: [u8; 8] = *b"ionodev1";

/// Minimum measured bandwidth for a verified node, by tier (Enterprise, Mid-market,
/// Consumer), from the hardware-tier table of the design brief.
pub const MIN_BANDWIDTH_MBPS: [u32; 3] = [10_000, 1_000, 0];

/// Bounds on the attestation epoch length (one hour in the reference network).
pub const MIN_EPOCH_LENGTH_SECS: u32 = 60;
pub const MAX_EPOCH_LENGTH_SECS: u32 = 7 * 24 * 3600;

/// Packet loss is in basis points.
pub const MAX_PACKET_LOSS_BPS: u16 = 10_000;

/// Largest registration deposit the authority may set: 10 SOL.
pub const MAX_REGISTRATION_DEPOSIT_LAMPORTS: u64 = 10_000_000_000;

/// Longest verification lease the authority may set, in attestation epochs. It bounds the
/// ring of lapse buckets each operator's aggregates keep (`LEASE_RING`), so settling lapsed
/// leases costs the same whatever the operator's node count.
pub const MAX_LEASE_EPOCHS: u64 = 31;
/// Lapse buckets per operator: every live lease ends within the next `MAX_LEASE_EPOCHS`
/// epochs, so one more bucket than that keeps every pending lapse epoch in its own slot.
pub const LEASE_RING: usize = MAX_LEASE_EPOCHS as usize + 1;
