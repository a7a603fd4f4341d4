//! The $IO worker agent, run by node operators beside their GPUs: its hardware inventory
//! and the gRPC service (`agent`) that answers the oracle's handshake, stress test, network
//! probes and heartbeat, built on `io-poc`.

pub mod agent;
pub mod inventory;

pub use agent::{Conduct, WorkerAgent};
pub use inventory::{catalogue_model, inventory, Accelerator, Inventory, InventorySource};
