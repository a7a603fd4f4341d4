//! The embedded store: one redb file. redb is pure Rust (no C toolchain on an operator's
//! machine or in CI), ACID with one writer and lock-free readers, which is the indexer's
//! shape: one ingestion loop writes, API readers read; a batch is one write transaction,
//! so a crash leaves the last committed batch and its cursor.

use super::{Batch, IndexedNode, Store};
use crate::economy::{kind_named, EventQuery, StoredEvent};
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

/// (transaction position, event number within it) -> node key: every node event in chain
/// order (the event itself is in `HISTORY`).
const CHANGES: TableDefinition<(u64, u32), Key32> = TableDefinition::new("changes");
/// (transaction position, ordinal) -> (kind, subject or "", the event's bytes).
const ECONOMY: TableDefinition<(u64, u32), (&str, &str, &[u8])> = TableDefinition::new("economy");
/// transaction position -> unix seconds of its block, for transactions with kept events (a
/// table of its own, so stores written before it open unchanged; their events read 0).
const BLOCK_TIME: TableDefinition<u64, i64> = TableDefinition::new("block_time");
/// (kind, transaction position, ordinal) -> (): each kind's events in chain order.
const ECONOMY_BY_KIND: TableDefinition<(&str, u64, u32), ()> = TableDefinition::new("economy_by_kind");
/// (subject, transaction position, ordinal) -> (): each subject's events in chain order.
const ECONOMY_BY_SUBJECT: TableDefinition<(&str, u64, u32), ()> = TableDefinition::new("economy_by_subject");

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
        tx.open_table(CHANGES)?;
        tx.open_table(ECONOMY)?;
        tx.open_table(ECONOMY_BY_KIND)?;
        tx.open_table(BLOCK_TIME)?;
        tx.open_table(ECONOMY_BY_SUBJECT)?;
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
            let mut changes = tx.open_table(CHANGES)?;
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
                changes.insert((*seq, within), record.node_id.to_bytes())?;
            }
            let mut economy = tx.open_table(ECONOMY)?;
            let mut by_kind = tx.open_table(ECONOMY_BY_KIND)?;
            let mut by_subject = tx.open_table(ECONOMY_BY_SUBJECT)?;
            let mut block_time = tx.open_table(BLOCK_TIME)?;
            for e in &batch.economy {
                block_time.insert(e.seq, e.block_time)?;
                let subject = e.subject.as_deref().unwrap_or("");
                economy.insert((e.seq, e.ordinal), (e.kind, subject, e.data.as_slice()))?;
                by_kind.insert((e.kind, e.seq, e.ordinal), ())?;
                if !subject.is_empty() {
                    by_subject.insert((subject, e.seq, e.ordinal), ())?;
                }
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

    fn changes(&self, after: Option<(u64, u32)>, limit: usize) -> Result<Vec<(u64, u32, NodeEvent)>, IndexerError> {
        let tx = self.db.begin_read()?;
        let changes = tx.open_table(CHANGES)?;
        let history = tx.open_table(HISTORY)?;
        let mut out = vec![];
        let from = after.map_or((0, 0), |(seq, within)| (seq, within.saturating_add(1)));
        for entry in changes.range(from..)? {
            let (key, node) = entry?;
            let (seq, within) = key.value();
            if out.len() == limit {
                break;
            }
            if after.is_some_and(|a| (seq, within) <= a) {
                continue;
            }
            let bytes = history
                .get((node.value(), seq, within))?
                .ok_or_else(|| IndexerError::Store(format!("change {seq}:{within} has no history entry")))?;
            out.push((seq, within, decode(bytes.value())?));
        }
        Ok(out)
    }

    fn events(&self, query: &EventQuery<'_>) -> Result<Vec<StoredEvent>, IndexerError> {
        let tx = self.db.begin_read()?;
        let economy = tx.open_table(ECONOMY)?;
        let block_time = tx.open_table(BLOCK_TIME)?;
        let (from_seq, from_ordinal) = query.after.map_or((0, 0), |(seq, ordinal)| (seq, ordinal.saturating_add(1)));
        let after = |seq: u64, ordinal: u32| query.after.is_none_or(|a| (seq, ordinal) > a);
        let stored = |seq: u64, ordinal: u32| -> Result<StoredEvent, IndexerError> {
            let value =
                economy.get((seq, ordinal))?.ok_or_else(|| IndexerError::Store("economy index points at a missing event".into()))?;
            let (kind, subject, data) = value.value();
            let kind = kind_named(kind).ok_or_else(|| IndexerError::Store(format!("stored event kind {kind:?} is unknown")))?;
            let block_time = block_time.get(seq)?.map_or(0, |t| t.value());
            Ok(StoredEvent {
                seq,
                block_time,
                ordinal,
                kind,
                subject: (!subject.is_empty()).then(|| subject.to_string()),
                data: data.to_vec(),
            })
        };
        let mut out = vec![];
        if let Some(subject) = query.subject {
            let index = tx.open_table(ECONOMY_BY_SUBJECT)?;
            for entry in index.range((subject, from_seq, from_ordinal)..=(subject, u64::MAX, u32::MAX))? {
                let (_, seq, ordinal) = entry?.0.value();
                if out.len() == query.limit {
                    break;
                }
                let event = stored(seq, ordinal)?;
                if after(seq, ordinal) && query.kinds.contains(&event.kind) {
                    out.push(event);
                }
            }
            return Ok(out);
        }
        // Each kind's first `limit`, merged in chain order.
        let index = tx.open_table(ECONOMY_BY_KIND)?;
        for kind in query.kinds {
            for entry in index.range((*kind, from_seq, from_ordinal)..=(*kind, u64::MAX, u32::MAX))?.take(query.limit) {
                let (_, seq, ordinal) = entry?.0.value();
                if after(seq, ordinal) {
                    out.push(stored(seq, ordinal)?);
                }
            }
        }
        out.sort_by_key(|e| (e.seq, e.ordinal));
        out.truncate(query.limit);
        Ok(out)
    }
}
