//! The $IO worker agent, run by node operators beside their GPUs: its hardware inventory
//! and the gRPC service (`agent`) that answers the oracle's handshake, stress test, network
//! probes and heartbeat, built on `io-poc`.

// gRPC handlers answer with tonic's `Status` by value, as tonic's own traits do.
#![allow(clippy::result_large_err)]

pub mod agent;
#[cfg(feature = "cuda")]
pub mod cuda;
pub mod enroll;
pub mod inventory;
pub mod process;
pub mod stress;

pub use agent::{Conduct, WorkerAgent};
pub use inventory::{catalogue_model, inventory, Accelerator, Inventory, InventorySource};

use io_poc::{Backend, CpuBackend};
use std::sync::Arc;

/// The fastest backend this machine runs: CUDA on GPU 0 where the `cuda` feature is built
/// and the driver, a device and cuBLAS are there, else the CPU. The second value says why
/// CUDA is not used (`None` when it is), for the operator's log.
pub fn best_backend() -> (Arc<dyn Backend + Send + Sync>, Option<String>) {
    #[cfg(feature = "cuda")]
    {
        match cuda::CudaBackend::open(0) {
            Ok(gpu) => (Arc::new(gpu), None),
            Err(reason) => (Arc::new(CpuBackend), Some(reason.to_string())),
        }
    }
    #[cfg(not(feature = "cuda"))]
    {
        (Arc::new(CpuBackend), Some("built without the `cuda` feature".into()))
    }
}

/// One backend per GPU this machine runs: every CUDA device that opens (ordinals 0, 1, ...
/// until one does not) where the `cuda` feature is built, else the CPU alone, with the
/// reason CUDA is not used.
pub fn all_backends() -> (Vec<Arc<dyn Backend + Send + Sync>>, Option<String>) {
    let (first, reason) = best_backend();
    let mut devices = vec![first];
    #[cfg(feature = "cuda")]
    if reason.is_none() {
        for ordinal in 1.. {
            match cuda::CudaBackend::open(ordinal) {
                Ok(gpu) => devices.push(Arc::new(gpu)),
                Err(_) => break,
            }
        }
    }
    (devices, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPU when CUDA is not used, and then always with the reason; CUDA without one.
    #[test]
    fn the_best_backend_says_why_it_is_the_cpu() {
        let (backend, reason) = best_backend();
        match reason {
            Some(reason) => {
                assert_eq!(backend.name(), CpuBackend.name());
                assert!(!reason.is_empty());
            }
            None => assert!(backend.name().starts_with("cuda "), "{}", backend.name()),
        }
        if !cfg!(feature = "cuda") {
            assert_eq!(best_backend().1.as_deref(), Some("built without the `cuda` feature"));
        }
    }
}
