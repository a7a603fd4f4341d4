//! The `io` command line as a library, so its commands run against any chain in tests.

pub mod chart;
mod compute_report;
pub mod dao_cmd;
pub mod dao_view;
pub mod demo;
mod demo_dao;
mod demo_index;
pub mod demo_poc;
mod demo_rewards;
mod demo_support;
mod demo_treasury;
pub mod emissions_cmd;
pub mod indexer_cmd;
pub mod indexer_read;
pub mod keeper;
pub mod metrics_cmd;
pub mod metrics_plot;
pub mod oracle_cmd;
pub mod placement_cmd;
pub mod poc_cmd;
pub mod registry_cmd;
pub mod rewards_cmd;
pub mod rpc;
pub mod stake_cmd;
pub mod treasury_cmd;
