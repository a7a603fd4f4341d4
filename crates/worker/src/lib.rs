//! The $IO worker agent, run by node operators beside their GPUs. This stage holds its
//! hardware inventory; the handshake, the stress test and the network probes build on
//! `io-poc`.

pub mod inventory;

pub use inventory::{catalogue_model, inventory, Accelerator, Inventory, InventorySource};
