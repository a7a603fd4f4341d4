// Every module has a `handler`; lib.rs names each one by its full path, and the glob
// re-exports exist so Anchor finds the generated account types at the crate root.
#![allow(ambiguous_glob_reexports)]

pub mod accept_authority;
pub mod advance_epoch;
pub mod extend_reserve;
pub mod initialize_emissions;
pub mod propose_authority;
pub mod set_emission_params;

pub use accept_authority::*;
pub use advance_epoch::*;
pub use extend_reserve::*;
pub use initialize_emissions::*;
pub use propose_authority::*;
pub use set_emission_params::*;
