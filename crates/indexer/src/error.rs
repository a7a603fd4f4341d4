//! What stops ingestion, by name. A stop leaves the store as the last committed batch
//! left it: the batch that failed is not applied in part.

use solana_sdk::pubkey::Pubkey;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum IndexerError {
    /// After a transaction's node events, the tree's rebuilt root differs from the root
    /// the compression program logged for it: an event is missing, or was altered.
    #[error("root mismatch for tree {tree} at transaction {seq} ({signature}): indexed {indexed}, logged {logged}")]
    RootMismatch { tree: Pubkey, seq: u64, signature: String, indexed: String, logged: String },
    /// A node event names a leaf past the next free one: events are missing.
    #[error("gap in tree {tree} at transaction {seq}: leaf {index} arrived before leaf {expected}")]
    Gap { tree: Pubkey, seq: u64, index: u32, expected: u32 },
    /// A node event for a tree the transaction did not change: the registry logs an event
    /// only beside the compression program's change of that tree.
    #[error("transaction {seq} has a node event for tree {tree} but logs no change of that tree")]
    UnknownTree { tree: Pubkey, seq: u64 },
    /// A node event that cannot be applied to its tree (leaf outside the tree, wrong tree).
    #[error("transaction {seq}: bad node event for tree {tree}: {reason}")]
    BadEvent { tree: Pubkey, seq: u64, reason: String },
    /// The source went backwards or repeated a transaction the store already holds.
    #[error("source returned transaction {seq} after the cursor {cursor}")]
    OutOfOrder { seq: u64, cursor: u64 },
    /// An event of one of the suite's programs, of a kind the indexer keeps, whose bytes do
    /// not decode as that kind: the program's layout and the indexer's differ.
    #[error("transaction {seq} ({signature}): {program} emitted a {kind} event that does not decode")]
    BadProgramEvent { seq: u64, signature: String, program: Pubkey, kind: &'static str },
    /// The runtime cut the transaction's logs short, so some of its events are missing;
    /// applying the rest would leave a gap in the economy's history.
    #[error("transaction {seq} ({signature}): its logs were truncated, events are missing")]
    LogsTruncated { seq: u64, signature: String },
    #[error("store: {0}")]
    Store(String),
    /// The source could not be read (an RPC error, say); nothing was applied.
    #[error("source: {0}")]
    Source(String),
}

impl From<redb::Error> for IndexerError {
    fn from(e: redb::Error) -> Self {
        IndexerError::Store(e.to_string())
    }
}

macro_rules! store_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for IndexerError {
            fn from(e: $t) -> Self {
                IndexerError::Store(e.to_string())
            }
        }
    )*};
}
store_error_from!(redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError, std::io::Error);
