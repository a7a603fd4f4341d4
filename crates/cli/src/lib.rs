//! The `io` command line as a library, so its commands run against any chain in tests.

pub mod demo;
pub mod registry_cmd;
pub mod rpc;
pub mod stake_cmd;
