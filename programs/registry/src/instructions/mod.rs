// Every module has a `handler`; lib.rs names each one by its full path, and the glob
// re-exports exist so Anchor finds the generated account types at the crate root.
#![allow(ambiguous_glob_reexports)]

pub mod accept_authority;
pub mod add_gpu_model;
pub mod attest_node;
pub mod close_ballot;
pub mod create_tree;
pub mod initialize;
pub mod open_tree;
pub mod propose_authority;
pub mod register_node;
pub mod retire_gpu_model;
pub mod retire_node;
pub mod set_oracles;
pub mod set_registration_params;
pub mod set_verification_lease;
pub mod submit_verdict;
pub mod sweep_forfeited_deposits;
pub mod update_gpu_model;
pub mod update_node;

pub use accept_authority::*;
pub use add_gpu_model::*;
pub use attest_node::*;
pub use close_ballot::*;
pub use create_tree::*;
pub use initialize::*;
pub use open_tree::*;
pub use propose_authority::*;
pub use register_node::*;
pub use set_oracles::*;
pub use set_registration_params::*;
pub use set_verification_lease::*;
pub use submit_verdict::*;
pub use sweep_forfeited_deposits::*;
pub use update_node::*;
