//! Ingestion: transactions from a [`Source`] into a [`Store`], batch by batch.

use crate::economy::{EconomyEvent, StoredEvent, Unreadable};
use crate::error::IndexerError;
use crate::source::{Source, SourceTx};
use crate::store::{Batch, Store};
use anchor_lang::AnchorDeserialize;
use io_registry::NodeEvent;
use io_sdk::events::{decode_noop_data, NoopPayload};
use io_sdk::mirror::{MirrorError, TreeMirror};
use io_sdk::placement_index::PlacementIndex;
use solana_sdk::pubkey::Pubkey;
use spl_account_compression::events::{AccountCompressionEvent, ChangeLogEvent};
use std::collections::{BTreeMap, HashMap};

/// What the compression program logged last for a tree in one transaction.
#[derive(Clone, Copy)]
struct Logged {
    seq: u64,
    root: [u8; 32],
    depth: u32,
}

/// A change log's sequence number, root and tree depth (its path runs from the leaf to the
/// root: depth + 1 nodes).
fn change_log(data: &[u8]) -> Option<(Pubkey, Logged)> {
    let AccountCompressionEvent::ChangeLog(ChangeLogEvent::V1(log)) = AccountCompressionEvent::try_from_slice(data).ok()? else {
        return None;
    };
    let depth = u32::try_from(log.path.len().checked_sub(1)?).ok()?;
    Some((log.id, Logged { seq: log.seq, root: log.path.last()?.node, depth }))
}

/// What one [`Indexer::sync`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub transactions: u64,
    pub events: u64,
    /// The economy's events kept.
    pub economy: u64,
    pub batches: u64,
    pub cursor: Option<u64>,
}

/// The ingestion loop's state: the store, and an in-memory mirror of every tree (rebuilt
/// from the store when it opens) to check each transaction's roots against.
pub struct Indexer<S: Store> {
    store: S,
    mirrors: HashMap<Pubkey, TreeMirror>,
    /// The verified records, indexed for placement; follows the committed batches.
    placement: PlacementIndex,
    /// Transactions per batch (one store commit each).
    pub batch_size: usize,
    /// The economy's events committed since the indexer opened.
    economy_kept: u64,
}

impl<S: Store> Indexer<S> {
    /// Opens an indexer over `store`, rebuilding each tree's mirror from what it holds.
    pub fn open(store: S) -> Result<Self, IndexerError> {
        let mut indexer = Self { store, mirrors: HashMap::new(), placement: PlacementIndex::new(), batch_size: 1_000, economy_kept: 0 };
        indexer.reload()?;
        Ok(indexer)
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// The mirror of `tree`, as far as the store has it: proofs and roots come from here.
    pub fn mirror(&self, tree: &Pubkey) -> Option<&TreeMirror> {
        self.mirrors.get(tree)
    }

    /// Every tree's mirror.
    pub fn mirrors(&self) -> impl Iterator<Item = &TreeMirror> {
        self.mirrors.values()
    }

    /// The economy's events committed since the indexer opened.
    pub fn economy_kept(&self) -> u64 {
        self.economy_kept
    }

    /// The placement index over what the store has committed.
    pub fn placement(&self) -> &PlacementIndex {
        &self.placement
    }

    fn reload(&mut self) -> Result<(), IndexerError> {
        self.mirrors.clear();
        for (tree, depth) in self.store.trees()? {
            let records = self.store.tree_records(&tree)?;
            let mirror = TreeMirror::from_records(tree, depth, records).map_err(|e| IndexerError::Store(format!("tree {tree}: {e}")))?;
            self.mirrors.insert(tree, mirror);
        }
        self.placement = PlacementIndex::from_records(self.mirrors.iter().flat_map(|(t, m)| m.records().iter().map(move |r| (t, r))));
        Ok(())
    }

    /// Ingests everything the source has after the store's cursor, one batch (and one
    /// commit) per `batch_size` transactions. Two batches are in flight at once, on two
    /// cores: while one commits on a thread of its own (the store's writes and its sync to
    /// disk), the next is read from the source, decoded and checked against the mirrors,
    /// root by root. Commits keep chain order (a batch is sent only once the one before it
    /// committed), and any error (the source, a check, a commit) ends the sync with the
    /// store at its last good commit and the mirrors rebuilt from it.
    pub fn sync(&mut self, source: &mut impl Source) -> Result<SyncReport, IndexerError>
    where
        S: Send,
    {
        let mut report = SyncReport { cursor: self.store.cursor()?, ..SyncReport::default() };
        let result = self.sync_pipelined(source, &mut report);
        if result.is_err() {
            self.reload()?;
        }
        result.map(|()| report)
    }

    fn sync_pipelined(&mut self, source: &mut impl Source, report: &mut SyncReport) -> Result<(), IndexerError>
    where
        S: Send,
    {
        let Indexer { store, mirrors, placement, batch_size, economy_kept } = self;
        let batch_size = *batch_size;
        std::thread::scope(|scope| {
            // The store, while no commit holds it.
            let mut idle: Option<&mut S> = Some(store);
            let mut committing: Option<std::thread::ScopedJoinHandle<'_, Committed<'_, S>>> = None;
            // The last transaction applied to the mirrors (committed or committing).
            let mut built_to = report.cursor;
            loop {
                let next = match source.after(built_to, batch_size) {
                    Ok(transactions) if transactions.is_empty() => None,
                    Ok(transactions) => Some(build_batch(mirrors, built_to, &transactions).map(|batch| (batch, transactions.len()))),
                    Err(e) => Some(Err(IndexerError::Source(e.to_string()))),
                };
                if let Some(handle) = committing.take() {
                    let (store, batch, transactions, outcome) = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    idle = Some(store);
                    outcome?;
                    committed(placement, economy_kept, &batch);
                    report.events += batch.events.len() as u64;
                    report.economy += batch.economy.len() as u64;
                    report.transactions += transactions as u64;
                    report.batches += 1;
                    report.cursor = Some(batch.cursor);
                }
                let Some(next) = next else { return Ok(()) };
                let (batch, transactions) = next?;
                built_to = Some(batch.cursor);
                let store = idle.take().expect("no commit is in flight");
                committing = Some(scope.spawn(move || {
                    let outcome = store.apply(&batch);
                    (store, batch, transactions, outcome)
                }));
            }
        })
    }

    /// One batch: every node event applied to its tree's mirror and each transaction's
    /// roots checked, then the events and the new cursor committed together. On any error
    /// nothing is committed and the mirrors are rebuilt from the store. Returns the number
    /// of node events.
    pub fn ingest(&mut self, transactions: &[SourceTx]) -> Result<usize, IndexerError> {
        let result = self.store.cursor().and_then(|cursor| build_batch(&mut self.mirrors, cursor, transactions)).and_then(|batch| {
            if let Some(last) = transactions.last() {
                debug_assert_eq!(batch.cursor, last.seq);
                self.store.apply(&batch)?;
                committed(&mut self.placement, &mut self.economy_kept, &batch);
            }
            Ok(batch.events.len())
        });
        if result.is_err() {
            self.reload()?;
        }
        result
    }
}

/// What follows a batch's commit: its records in the placement index, its economy's
/// events counted.
fn committed(placement: &mut PlacementIndex, economy_kept: &mut u64, batch: &Batch) {
    for (_, event) in &batch.events {
        placement.upsert(&event.tree, &event.record);
    }
    *economy_kept += batch.economy.len() as u64;
}

/// A commit's result, with the store and the batch handed back.
type Committed<'a, S> = (&'a mut S, Batch, usize, Result<(), IndexerError>);

/// One batch of `transactions` (after `cursor`): their node events applied to the
/// mirrors, each transaction's roots checked, and the economy's events decoded.
fn build_batch(mirrors: &mut HashMap<Pubkey, TreeMirror>, cursor: Option<u64>, transactions: &[SourceTx]) -> Result<Batch, IndexerError> {
    let mut batch = Batch::default();
    let mut cursor = cursor;
    for tx in transactions {
        if let Some(c) = cursor.filter(|c| tx.seq <= *c) {
            return Err(IndexerError::OutOfOrder { seq: tx.seq, cursor: c });
        }
        apply_transaction(mirrors, tx, &mut batch)?;
        cursor = Some(tx.seq);
        batch.cursor = tx.seq;
    }
    Ok(batch)
}

fn apply_transaction(mirrors: &mut HashMap<Pubkey, TreeMirror>, tx: &SourceTx, batch: &mut Batch) -> Result<(), IndexerError> {
    apply_node_events(mirrors, tx, batch)?;
    if tx.program_data.truncated {
        return Err(IndexerError::LogsTruncated { seq: tx.seq, signature: tx.signature.clone() });
    }
    let mut ordinal = 0u32;
    for (program, data) in &tx.program_data.events {
        match EconomyEvent::decode(program, data) {
            Ok(Some(event)) => {
                batch.economy.push(StoredEvent {
                    seq: tx.seq,
                    block_time: tx.block_time,
                    ordinal,
                    kind: event.kind(),
                    subject: event.subject(),
                    data: data.clone(),
                });
                ordinal += 1;
            }
            Ok(None) => {}
            Err(Unreadable::Malformed(kind)) => {
                return Err(IndexerError::BadProgramEvent { seq: tx.seq, signature: tx.signature.clone(), program: *program, kind })
            }
        }
    }
    Ok(())
}

fn apply_node_events(mirrors: &mut HashMap<Pubkey, TreeMirror>, tx: &SourceTx, batch: &mut Batch) -> Result<(), IndexerError> {
    let registry: Vec<&[u8]> = tx.noop_data.iter().filter(|(program, _)| *program == io_registry::ID).map(|(_, d)| d.as_slice()).collect();
    // The root the compression program logged last for each tree in this transaction.
    let mut logged: BTreeMap<Pubkey, Logged> = BTreeMap::new();
    for (tree, log) in registry.iter().filter_map(|data| change_log(data)) {
        let entry = logged.entry(tree).or_insert(log);
        if log.seq >= entry.seq {
            *entry = log;
        }
    }
    let mut touched: Vec<Pubkey> = vec![];
    for data in &registry {
        if let NoopPayload::Node(event) = decode_noop_data(data) {
            apply_event(mirrors, tx, &event, logged.get(&event.tree), batch)?;
            if !touched.contains(&event.tree) {
                touched.push(event.tree);
            }
            batch.events.push((tx.seq, *event));
        }
    }
    for tree in touched {
        let indexed = mirrors[&tree].root();
        let logged_root = logged.get(&tree).map(|log| log.root);
        if logged_root != Some(indexed) {
            return Err(IndexerError::RootMismatch {
                tree,
                seq: tx.seq,
                signature: tx.signature.clone(),
                indexed: hex(&indexed),
                logged: logged_root.map_or_else(|| "none".into(), |r| hex(&r)),
            });
        }
    }
    Ok(())
}

/// A tree seen for the first time takes its depth from the change the compression
/// program logged for it in the same transaction; a node event with no such change is
/// about no tree the registry wrote.
fn apply_event(
    mirrors: &mut HashMap<Pubkey, TreeMirror>,
    tx: &SourceTx,
    event: &NodeEvent,
    logged: Option<&Logged>,
    batch: &mut Batch,
) -> Result<(), IndexerError> {
    let tree = event.tree;
    let log = logged.ok_or(IndexerError::UnknownTree { tree, seq: tx.seq })?;
    let mirror = mirrors.entry(tree).or_insert_with(|| {
        batch.new_trees.push((tree, log.depth));
        TreeMirror::new(tree, log.depth)
    });
    mirror.apply(event).map_err(|e| match e {
        MirrorError::Gap { index, expected } => IndexerError::Gap { tree, seq: tx.seq, index, expected },
        other => IndexerError::BadEvent { tree, seq: tx.seq, reason: other.to_string() },
    })
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
