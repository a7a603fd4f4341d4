//! The $IO Proof-of-Compute oracle daemon. `audit` drives the four stages of one node's
//! audit against its worker agent over gRPC and turns what the oracle measured into a
//! verdict and the registry's metrics; `history` keeps every finished audit in an
//! embedded database across restarts.

pub mod audit;
pub mod history;

pub use audit::{audit_node, AuditOutcome, AuditSettings, Finding, NodeUnderAudit};
pub use history::{AuditHistory, AuditRecord, HistoryError};
