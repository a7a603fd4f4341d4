// Every module has a `handler`; lib.rs names each one by its full path, and the glob
// re-exports exist so Anchor finds the generated account types at the crate root.
#![allow(ambiguous_glob_reexports)]

pub mod append_to_proposal;
pub mod cancel_proposal;
pub mod cast_vote;
pub mod close_vote_record;
pub mod create_proposal;
pub mod draft_proposal;
pub mod execute_proposal;
pub mod initialize_governance;
pub mod open_proposal;
pub mod queue_proposal;
pub mod set_governance_params;

pub use append_to_proposal::*;
pub use cancel_proposal::*;
pub use cast_vote::*;
pub use close_vote_record::*;
pub use create_proposal::*;
pub use draft_proposal::*;
pub use execute_proposal::*;
pub use initialize_governance::*;
pub use open_proposal::*;
pub use queue_proposal::*;
pub use set_governance_params::*;
