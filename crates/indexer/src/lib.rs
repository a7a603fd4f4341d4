//! The read side of the suite: follows the chain's transactions into a store that answers
//! what readers ask (a node by key, an operator's nodes, a node's history, a tree's leaves
//! and proofs, the change feed, stakes, slashes, emissions, payments, burns, proposals and
//! votes) without replaying the history on every call.
//!
//! - [`source::Source`]: where transactions come from, in the order the chain applied them:
//!   the embedded bank, a cluster's RPC ([`rpc_source::RpcSource`]), a recorded ledger
//!   ([`ledger_file::FileSource`]).
//! - [`store::Store`]: what is kept, behind one trait; [`store::RedbStore`] is the
//!   embedded backend, [`store::PostgresStore`] the production one.
//! - [`Indexer`]: decodes the registry's noop events, keeps each tree's mirror, checks the
//!   mirror's root against the root the compression program logged in the same
//!   transaction, keeps the economy's Anchor events ([`economy`]), and commits a batch
//!   with its cursor atomically, or nothing.
//! - [`api`]: the HTTP API over the store.
//!
//! Only noop data logged inside a top-level registry instruction is read: anybody can call
//! the noop program with bytes that decode as a node event, but only the registry's own
//! instructions (and the compression program it calls) log inside its instruction. In the
//! same way, an Anchor event counts only when the program that defines it logged it.

pub mod api;
pub mod client;
pub mod economy;
pub mod error;
pub mod ingest;
pub mod ledger_file;
pub mod network;
pub mod rpc_scan;
pub mod rpc_source;
pub mod source;
pub mod store;

pub use error::IndexerError;
pub use ingest::{Indexer, SyncReport};
pub use source::{Source, SourceTx};
pub use store::{IndexedNode, PostgresStore, RedbStore, Store};
