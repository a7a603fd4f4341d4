// Every module has a `handler`; lib.rs names each one by its full path, and the glob
// re-exports exist so Anchor finds the generated account types at the crate root.
#![allow(ambiguous_glob_reexports)]

pub mod accept_authority;
pub mod claim_rewards;
pub mod close_slash_proposal;
pub mod deposit;
pub mod distribute_rewards;
pub mod execute_slash;
pub mod initialize_staking;
pub mod propose_authority;
pub mod propose_slash;
pub mod refresh_weight;
pub mod request_unstake;
pub mod set_params;
pub mod veto_slash;
pub mod withdraw;

pub use accept_authority::*;
pub use claim_rewards::*;
pub use close_slash_proposal::*;
pub use deposit::*;
pub use distribute_rewards::*;
pub use execute_slash::*;
pub use initialize_staking::*;
pub use propose_authority::*;
pub use propose_slash::*;
pub use refresh_weight::*;
pub use request_unstake::*;
pub use set_params::*;
pub use veto_slash::*;
pub use withdraw::*;
