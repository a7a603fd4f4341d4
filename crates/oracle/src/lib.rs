//! The $IO Proof-of-Compute oracle daemon.
//! - `audit` drives the four stages of one node's audit against its worker agent;
//! - `daemon` leads audits, gathers a quorum of peers and commits verdicts on-chain;
//!   `service` is the gRPC side peers and workers call (review, co-sign, enroll);
//! - `policy` says what a peer agrees to and which messages it signs;
//! - `liveness` follows worker heartbeats;
//! - `history` keeps finished audits and enrolled workers in an embedded database;
//! - `port` hands chain work to the thread that owns the chain client;
//! - `registry_feed` keeps the daemon's registry from an indexer's change feed;
//! - `metrics` serves Prometheus counters;
//! - `local` runs a whole oracle set in one process on loopback (demo, tests).

// gRPC handlers answer with tonic's `Status` by value, as tonic's own traits do.
#![allow(clippy::result_large_err)]

pub mod audit;
mod commit;
pub mod daemon;
mod groups;
pub mod history;
mod liveness;
pub mod local;
pub mod metrics;
pub mod outbox;
pub mod peer_auth;
pub mod policy;
pub mod port;
pub mod registry_feed;
mod service;
mod slashing;
mod suspensions;
pub mod view;
pub mod window;

pub use audit::{audit_node, judge_speed, AuditOutcome, AuditSettings, Finding, NodeUnderAudit};
pub use daemon::{CycleReport, OracleDaemon, OracleSettings, Peer, ReviewKind};
pub use history::{AuditHistory, AuditRecord, HistoryError};
pub use metrics::{serve_metrics, OracleMetrics};
pub use policy::Tolerance;
pub use port::{chain_port, ChainDesk, ChainPort, DeskChain};
pub use registry_feed::{IndexerFeed, SyncHook};
