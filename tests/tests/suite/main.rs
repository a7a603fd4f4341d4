//! Integration tests of the $IO programs on solana-program-test, with the real
//! spl-account-compression and noop programs. One binary, one module per area.

mod audit_cli;
mod cli;
mod compute_units;
mod config;
mod deploy;
mod emissions;
mod emissions_property;
mod governance;
mod governance_property;
mod idl_fixtures;
mod idl_fixtures_governance;
mod ids;
mod lease;
mod lifecycle;
mod oracle_quorum;
mod placement;
mod proofs;
mod property;
mod quorum;
mod registration;
mod sbf_lane;
mod staking;
mod staking_property;
mod treasury;
mod treasury_property;
mod tree;
mod tx_size;
