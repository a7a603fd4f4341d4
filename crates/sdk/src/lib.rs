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

/// Hash of a node's GPU UUIDs as stored in its record: keccak of the lower-cased UUIDs,
/// sorted, joined by newlines. The worker reports the UUIDs, the oracle recomputes this.
pub fn gpu_uuids_hash<S: AsRef<str>>(uuids: &[S]) -> [u8; 32] {
    let mut ids: Vec<String> = uuids.iter().map(|u| u.as_ref().trim().to_ascii_lowercase()).collect();
    ids.sort();
    anchor_lang::solana_program::keccak::hash(ids.join("\n").as_bytes()).to_bytes()
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
}
