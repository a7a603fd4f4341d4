//! What the indexer keeps, behind one trait, so the embedded store and a server database
//! answer the same questions the same way.

mod postgres_store;
mod redb_store;

pub use postgres_store::PostgresStore;
pub use redb_store::RedbStore;

use crate::economy::{EventQuery, StoredEvent};
use crate::IndexerError;
use io_registry::{NodeEvent, NodeRecord};
use solana_sdk::pubkey::Pubkey;

/// A node's newest record and the tree it lives in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedNode {
    pub tree: Pubkey,
    pub record: NodeRecord,
}

/// Everything one ingestion step learned, applied at once with its cursor.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// The last transaction the batch covers.
    pub cursor: u64,
    /// Trees seen for the first time, with their depth.
    pub new_trees: Vec<(Pubkey, u32)>,
    /// Node events in chain order, each with its transaction's position.
    pub events: Vec<(u64, NodeEvent)>,
    /// The economy's events in chain order.
    pub economy: Vec<StoredEvent>,
}

pub trait Store {
    /// The last transaction applied; `None` for an empty store.
    fn cursor(&self) -> Result<Option<u64>, IndexerError>;
    /// Applies the whole batch and moves the cursor, or (on any error, or a crash before
    /// it returns) nothing at all.
    fn apply(&mut self, batch: &Batch) -> Result<(), IndexerError>;
    /// Every tree with its depth.
    fn trees(&self) -> Result<Vec<(Pubkey, u32)>, IndexerError>;
    /// A tree's leaves' newest records, by leaf index.
    fn tree_records(&self, tree: &Pubkey) -> Result<Vec<NodeRecord>, IndexerError>;
    /// The newest leaf of a node key: the one its latest registration appended (a
    /// re-registered key has several; events about the older ones do not move it).
    fn node(&self, node_id: &Pubkey) -> Result<Option<IndexedNode>, IndexerError>;
    /// Every leaf an operator registered, newest record of each.
    fn nodes_by_operator(&self, operator: &Pubkey) -> Result<Vec<IndexedNode>, IndexerError>;
    /// Every event of a node key, oldest first, with its transaction's position.
    fn history(&self, node_id: &Pubkey) -> Result<Vec<(u64, NodeEvent)>, IndexerError>;
    /// Node events of every key in chain order after `(seq, within)` (the position of an
    /// event: its transaction's, then its place among the transaction's node events), at
    /// most `limit`: the feed a follower applies to its own mirror.
    fn changes(&self, after: Option<(u64, u32)>, limit: usize) -> Result<Vec<(u64, u32, NodeEvent)>, IndexerError>;
    /// The economy's events a query selects, oldest first, at most `limit`.
    fn events(&self, query: &EventQuery<'_>) -> Result<Vec<StoredEvent>, IndexerError>;
}

/// A boxed store is a store, so a service can hold either backend behind one type.
impl<T: Store + ?Sized> Store for Box<T> {
    fn cursor(&self) -> Result<Option<u64>, IndexerError> {
        (**self).cursor()
    }
    fn apply(&mut self, batch: &Batch) -> Result<(), IndexerError> {
        (**self).apply(batch)
    }
    fn trees(&self) -> Result<Vec<(Pubkey, u32)>, IndexerError> {
        (**self).trees()
    }
    fn tree_records(&self, tree: &Pubkey) -> Result<Vec<NodeRecord>, IndexerError> {
        (**self).tree_records(tree)
    }
    fn node(&self, node_id: &Pubkey) -> Result<Option<IndexedNode>, IndexerError> {
        (**self).node(node_id)
    }
    fn nodes_by_operator(&self, operator: &Pubkey) -> Result<Vec<IndexedNode>, IndexerError> {
        (**self).nodes_by_operator(operator)
    }
    fn history(&self, node_id: &Pubkey) -> Result<Vec<(u64, NodeEvent)>, IndexerError> {
        (**self).history(node_id)
    }
    fn changes(&self, after: Option<(u64, u32)>, limit: usize) -> Result<Vec<(u64, u32, NodeEvent)>, IndexerError> {
        (**self).changes(after, limit)
    }
    fn events(&self, query: &EventQuery<'_>) -> Result<Vec<StoredEvent>, IndexerError> {
        (**self).events(query)
    }
}
