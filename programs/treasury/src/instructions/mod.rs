// Every module has a `handler`; lib.rs names each one by its full path, and the glob
// re-exports exist so Anchor finds the generated account types at the crate root.
#![allow(ambiguous_glob_reexports)]

pub mod accept_authority;
pub mod buyback_and_burn;
pub mod grant;
pub mod initialize_treasury;
pub mod mint_iosd;
pub mod pay_with_io;
pub mod pay_with_iosd;
pub mod propose_authority;
pub mod redeem_iosd;
pub mod set_treasury_params;

pub use accept_authority::*;
pub use buyback_and_burn::*;
pub use grant::*;
pub use initialize_treasury::*;
pub use mint_iosd::*;
pub use pay_with_io::*;
pub use pay_with_iosd::*;
pub use propose_authority::*;
pub use redeem_iosd::*;
pub use set_treasury_params::*;
