//! The $IO Proof-of-Compute oracle daemon. `audit` drives the four stages of one node's
//! audit against its worker agent over gRPC and turns what the oracle measured into a
//! verdict and the registry's metrics.

pub mod audit;

pub use audit::{audit_node, AuditOutcome, AuditSettings, Finding, NodeUnderAudit};
