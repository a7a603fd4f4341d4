//! Off-chain base of the $IO suite: program ids, PDAs, instruction builders for every
//! registry instruction, tree sizing, and a tree mirror that rebuilds the registry from
//! the noop events of its transactions and produces proofs for the next change.

pub mod client;
pub mod emissions;
pub mod events;
pub mod governance;
pub mod mirror;
pub mod network;
pub mod parse;
pub mod pda;
pub mod placement;
pub mod placement_index;
pub mod registry;
pub mod rent;
pub mod rewards;
pub mod staking;
pub mod token;
pub mod treasury;
pub mod tree;

pub use io_registry;
pub use io_registry::{GpuModel, HardwareSpec, NodeEvent, NodeMetrics, NodeRecord, NodeStatus, Tier, Verdict};

use solana_sdk::pubkey::Pubkey;

/// Program id of the $IO registry.
pub const REGISTRY_PROGRAM_ID: Pubkey = io_registry::ID;
/// Program id of SPL account compression.
pub const COMPRESSION_PROGRAM_ID: Pubkey = spl_account_compression::ID;
/// Program id of the SPL noop program.
pub const NOOP_PROGRAM_ID: Pubkey = Pubkey::new_from_array(spl_noop::ID.to_bytes());

/// How the registry names GPUs (`io-gpu-id`, a crate of its own so the worker needs no
/// SDK): a GPU's identity, a node's identities in order, and a node's `gpu_uuids_hash`.
/// The worker reports the UUIDs, the oracle recomputes the hash, and the program checks a
/// verification's identities against it.
pub use io_gpu_id::{gpu_id, gpu_ids, gpu_uuids_hash};

#[cfg(test)]
mod tests {
    #[test]
    fn uuid_hash_ignores_order_and_case() {
        let a = super::gpu_uuids_hash(&["GPU-AAA", "gpu-bbb"]);
        let b = super::gpu_uuids_hash(&["gpu-bbb", "gpu-aaa"]);
        assert_eq!(a, b);
        assert_ne!(a, super::gpu_uuids_hash(&["gpu-aaa"]));
    }

    #[test]
    fn the_gpu_identity_crate_agrees_with_the_registry_program() {
        assert_eq!(io_gpu_id::GPU_ID_LEN, io_registry::GPU_ID_LEN);
        assert_eq!(io_gpu_id::GPU_ID_DOMAIN, io_registry::GPU_ID_DOMAIN);
        assert_eq!(io_gpu_id::GPU_SET_DOMAIN, io_registry::GPU_SET_DOMAIN);
        let uuids: Vec<String> = (0..32).map(|i| format!("GPU-{i:08x}-0000-0000-0000-{i:012x}")).collect();
        let ids = super::gpu_ids(&uuids);
        assert_eq!(io_registry::gpu_set_hash(&ids), super::gpu_uuids_hash(&uuids), "the program's keccak and the crate's agree");
    }

    #[test]
    fn gpu_ids_are_sorted_distinct_and_hash_to_the_record_hash() {
        let ids = super::gpu_ids(&["GPU-b", "gpu-a ", "gpu-B"]);
        assert_eq!(ids.len(), 2, "one GPU named twice is one GPU");
        assert!(ids[0] < ids[1]);
        assert_eq!(io_registry::gpu_set_hash(&ids), super::gpu_uuids_hash(&["gpu-a", "gpu-b"]));
        // The identity is keccak("io-registry:gpu:v1" || uuid), first 16 bytes.
        let expected = anchor_lang::solana_program::keccak::hash(b"io-registry:gpu:v1gpu-a").to_bytes();
        assert_eq!(super::gpu_id("GPU-A"), expected[..16]);
    }
}
