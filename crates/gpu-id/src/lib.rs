//! How the registry names a GPU and a node's set of GPUs. The worker reports UUIDs; the
//! oracle and the registry compare identities and set hashes. The registry program computes
//! the set hash with the keccak syscall (`io_registry::gpu_set_hash`); the SDK's tests pin
//! this crate's results and constants to the program's.

use sha3::{Digest, Keccak256};

/// Bytes of a GPU's identity.
pub const GPU_ID_LEN: usize = 16;
/// Domain of a GPU's identity hash.
pub const GPU_ID_DOMAIN: &[u8] = b"io-registry:gpu:v1";
/// Domain of a GPU set's hash.
pub const GPU_SET_DOMAIN: &[u8] = b"io-registry:gpus:v1";

/// A GPU's identity as the registry knows it.
pub type GpuId = [u8; GPU_ID_LEN];

/// The head of keccak(`GPU_ID_DOMAIN` || the UUID lower-cased and trimmed), so the worker's
/// and the operator's spellings of one UUID agree.
pub fn gpu_id(uuid: &str) -> GpuId {
    let uuid = uuid.trim().to_ascii_lowercase();
    let hash = Keccak256::new().chain_update(GPU_ID_DOMAIN).chain_update(uuid.as_bytes()).finalize();
    let mut id = [0; GPU_ID_LEN];
    id.copy_from_slice(&hash[..GPU_ID_LEN]);
    id
}

/// The identities of a node's GPUs, ascending, each once: what a verifying quorum names.
pub fn gpu_ids<S: AsRef<str>>(uuids: &[S]) -> Vec<GpuId> {
    let mut ids: Vec<GpuId> = uuids.iter().map(|u| gpu_id(u.as_ref())).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// keccak(`GPU_SET_DOMAIN` || the identities in the order given): a record's
/// `gpu_uuids_hash` when given [`gpu_ids`].
pub fn gpu_set_hash(ids: &[GpuId]) -> [u8; 32] {
    let mut hasher = Keccak256::new().chain_update(GPU_SET_DOMAIN);
    for id in ids {
        hasher.update(id);
    }
    hasher.finalize().into()
}

/// A node's `gpu_uuids_hash` from its GPUs' UUIDs: the set hash of their identities.
pub fn gpu_uuids_hash<S: AsRef<str>>(uuids: &[S]) -> [u8; 32] {
    gpu_set_hash(&gpu_ids(uuids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_hash_ignores_order_case_and_repeats() {
        let a = gpu_uuids_hash(&["GPU-AAA", "gpu-bbb"]);
        assert_eq!(a, gpu_uuids_hash(&["gpu-bbb", " gpu-aaa", "GPU-BBB"]));
        assert_ne!(a, gpu_uuids_hash(&["gpu-aaa"]));
    }

    #[test]
    fn an_identity_is_the_head_of_the_domain_separated_keccak() {
        // keccak256("io-registry:gpu:v1gpu-a"), computed independently with the sha3
        // crate's one-shot API over the concatenated bytes.
        let whole = Keccak256::digest(b"io-registry:gpu:v1gpu-a");
        assert_eq!(gpu_id("GPU-A")[..], whole[..16]);
        // The empty set hashes its domain alone.
        assert_eq!(gpu_set_hash(&[])[..], Keccak256::digest(GPU_SET_DOMAIN)[..]);
    }
}
