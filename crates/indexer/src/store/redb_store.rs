//! The embedded store: one redb file. redb is pure Rust (no C toolchain on an operator's
//! machine or in CI), ACID with one writer and lock-free readers, which is the indexer's
//! shape: one ingestion loop writes, API readers read; a batch is one write transaction,
//! so a crash leaves the last committed batch and its cursor.

use super::{Batch, IndexedNode, Store};
use crate::IndexerError;
use anchor_lang::{AnchorDeserialize, AnchorSerialize};
use io_registry::{NodeChange, NodeEvent, NodeRecord};
use redb::{Database, ReadableTable, TableDefinition};
use solana_sdk::pubkey::Pubkey;
use std::path::Path;

type Key32 = [u8; 32];

/// "cursor" -> the last applied transaction.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// tree -> depth.
const TREES: TableDefinition<Key32, u32> = TableDefinition::new("trees");
/// (tree, leaf index) -> the leaf's newest record (borsh).
const LEAVES: TableDefinition<(Key32, u32), &[u8]> = TableDefinition::new("leaves");
/// node key -> (tree, leaf index) of its newest leaf: the one its latest registration
/// appended (an event about an older leaf of the key, say its suspension, does not move it).
const NODES: TableDefinition<Key32, (Key32, u32)> = TableDefinition::new("nodes");
/// (operator, tree, leaf index) -> (): an operator's leaves.
const BY_OPERATOR: TableDefinition<(Key32, Key32, u32), ()> = TableDefinition::new("by_operator");
/// (node key, transaction position, event number within it) -> the event (borsh).
const HISTORY: TableDefinition<(Key32, u64, u32), &[u8]> = TableDefinition::new("history");

const CURSOR: &str = "cursor";

pub struct RedbStore {
    db: Database,
}

impl RedbStore {
    /// Opens (or creates) the store at `path`, with every table present.
    pub fn open(path: &Path) -> Result<Self, IndexerError> {
        let db = Database::create(path)?;
        let tx = db.begin_write()?;
        tx.open_table(META)?;
        tx.open_table(TREES)?;
        tx.open_table(LEAVES)?;
        tx.open_table(NODES)?;
        tx.open_table(BY_OPERATOR)?;
        tx.open_table(HISTORY)?;
        tx.commit()?;
        Ok(Self { db })
    }
}

fn encode<T: AnchorSerialize>(value: &T) -> Result<Vec<u8>, IndexerError> {
    value.try_to_vec().map_err(IndexerError::from)
}

fn decode<T: AnchorDeserialize>(bytes: &[u8]) -> Result<T, IndexerError> {
    T::try_from_slice(bytes).map_err(|e| IndexerError::Store(format!("stored value does not decode: {e}")))
}

impl Store for RedbStore {
    fn cursor(&self) -> Result<Option<u64>, IndexerError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(META)?.get(CURSOR)?.map(|v| v.value()))
    }

    fn apply(&mut self, batch: &Batch) -> Result<(), IndexerError> {
        let tx = self.db.begin_write()?;
        {
            let mut trees = tx.open_table(TREES)?;
            for (tree, depth) in &batch.new_trees {
                trees.insert(tree.to_bytes(), depth)?;
            }
            let mut leaves = tx.open_table(LEAVES)?;
            let mut nodes = tx.open_table(NODES)?;
            let mut by_operator = tx.open_table(BY_OPERATOR)?;
            let mut history = tx.open_table(HISTORY)?;
            let mut within = 0u32;
            let mut last_seq = None;
            for (seq, event) in &batch.events {
                within = if last_seq == Some(*seq) { within + 1 } else { 0 };
                last_seq = Some(*seq);
                let (tree, record) = (event.tree.to_bytes(), &event.record);
                leaves.insert((tree, record.leaf_index), encode(record)?.as_slice())?;
                let key = record.node_id.to_bytes();
                if event.change == NodeChange::Registered || nodes.get(key)?.is_none() {
                    nodes.insert(key, (tree, record.leaf_index))?;
                }
                by_operator.insert((record.operator.to_bytes(), tree, record.leaf_index), ())?;
                history.insert((record.node_id.to_bytes(), *seq, within), encode(event)?.as_slice())?;
            }
            tx.open_table(META)?.insert(CURSOR, batch.cursor)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn trees(&self) -> Result<Vec<(Pubkey, u32)>, IndexerError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(TREES)?;
        let mut out = vec![];
        for entry in table.iter()? {
            let (tree, depth) = entry?;
            out.push((Pubkey::new_from_array(tree.value()), depth.value()));
        }
        Ok(out)
    }

    fn tree_records(&self, tree: &Pubkey) -> Result<Vec<NodeRecord>, IndexerError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(LEAVES)?;
        let key = tree.to_bytes();
        let mut out = vec![];
        for entry in table.range((key, 0)..=(key, u32::MAX))? {
            out.push(decode(entry?.1.value())?);
        }
        Ok(out)
    }

    fn node(&self, node_id: &Pubkey) -> Result<Option<IndexedNode>, IndexerError> {
        let tx = self.db.begin_read()?;
        let Some(at) = tx.open_table(NODES)?.get(node_id.to_bytes())? else { return Ok(None) };
        let (tree, index) = at.value();
        let leaves = tx.open_table(LEAVES)?;
        let bytes = leaves.get((tree, index))?.ok_or_else(|| IndexerError::Store(format!("node {node_id} points at a missing leaf")))?;
        Ok(Some(IndexedNode { tree: Pubkey::new_from_array(tree), record: decode(bytes.value())? }))
    }

    fn nodes_by_operator(&self, operator: &Pubkey) -> Result<Vec<IndexedNode>, IndexerError> {
        let tx = self.db.begin_read()?;
        let index = tx.open_table(BY_OPERATOR)?;
        let leaves = tx.open_table(LEAVES)?;
        let key = operator.to_bytes();
        let mut out = vec![];
        for entry in index.range((key, [0; 32], 0)..=(key, [0xff; 32], u32::MAX))? {
            let (_, tree, leaf) = entry?.0.value();
            let bytes = leaves.get((tree, leaf))?.ok_or_else(|| IndexerError::Store("operator index points at a missing leaf".into()))?;
            out.push(IndexedNode { tree: Pubkey::new_from_array(tree), record: decode(bytes.value())? });
        }
        Ok(out)
    }

    fn history(&self, node_id: &Pubkey) -> Result<Vec<(u64, NodeEvent)>, IndexerError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(HISTORY)?;
        let key = node_id.to_bytes();
        let mut out = vec![];
        for entry in table.range((key, 0, 0)..=(key, u64::MAX, u32::MAX))? {
            let (k, v) = entry?;
            out.push((k.value().1, decode(v.value())?));
        }
        Ok(out)
    }
}
