//! Off-chain base of the $IO suite: program ids, PDAs, instruction builders for every
//! registry instruction, tree sizing, and a tree mirror that rebuilds the registry from
//! the noop events of its transactions and produces proofs for the next change.

pub mod client;
pub mod emissions;
pub mod events;
pub mod governance;
pub mod mirror;
pub mod network;
pub mod pda;
pub mod placement;
pub mod registry;
pub mod rewards;
pub mod rent;
pub mod staking;
pub mod token;
pub mod tree;
pub mod treasury;

pub use io_registry;
pub use io_registry::{
    GpuModel, HardwareSpec, NodeEvent, NodeMetrics, NodeRecord, NodeStatus, Tier, Verdict,
};

use solana_sdk::pubkey::Pubkey;

/// Program id of the $IO registry.
pub const REGISTRY_PROGRAM_ID: Pubkey = io_registry::ID;
/// Program id of SPL account compression.
pub const COMPRESSION_PROGRAM_ID: Pubkey = spl_account_compression::ID;
/// Program id of the SPL noop program.
pub const NOOP_PROGRAM_ID: Pubkey = Pubkey::new_from_array(spl_noop::ID.to_bytes());

/// A GPU's identity as the registry knows it: the head of keccak of `GPU_ID_DOMAIN` and
/// its UUID, lower-cased and trimmed (so the worker's and the operator's spellings agree).
pub fn gpu_id(uuid: &str) -> [u8; io_registry::GPU_ID_LEN] {
    let uuid = uuid.trim().to_ascii_lowercase();
    let hash = anchor_lang::solana_program::keccak::hashv(&[io_registry::GPU_ID_DOMAIN, uuid.as_bytes()]).to_bytes();
    let mut id = [0; io_registry::GPU_ID_LEN];
    id.copy_from_slice(&hash[..io_registry::GPU_ID_LEN]);
    id
}

/// The identities of a node's GPUs, ascending, each once: what a verifying quorum names.
pub fn gpu_ids<S: AsRef<str>>(uuids: &[S]) -> Vec<[u8; io_registry::GPU_ID_LEN]> {
    let mut ids: Vec<_> = uuids.iter().map(|u| gpu_id(u.as_ref())).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A node's `gpu_uuids_hash` from its GPUs' UUIDs: the set hash of their identities
/// (`io_registry::gpu_set_hash`). The worker reports the UUIDs, the oracle recomputes this,
/// and the program checks a verification's identities against it.
pub fn gpu_uuids_hash<S: AsRef<str>>(uuids: &[S]) -> [u8; 32] {
    io_registry::gpu_set_hash(&gpu_ids(uuids))
}

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
