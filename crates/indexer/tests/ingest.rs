//! The indexer against the embedded bank running the real registry, compression and noop
//! programs: what it stores equals what the chain says, a batch commits whole or not at
//! all, ingestion resumes where it stopped, and tampered, missing or foreign data stops it
//! by name or is ignored. Every test runs on both backends: redb, and PostgreSQL.

use anchor_lang::AnchorSerialize;
use common::Backend;
use io_indexer::api::DynStore;
use io_indexer::source::MemorySource;
use io_indexer::store::Batch;
use io_indexer::{Indexer, IndexerError, Source, SourceTx, Store};
use io_registry::{NodeChange, NodeEvent, NodeRecord, NODE_EVENT_TAG};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
mod common;
use common::{network, Network};
use spl_account_compression::events::{AccountCompressionEvent, ApplicationDataEvent, ApplicationDataEventV1};

/// Every leaf the store holds, per tree: what two stores are compared by.
fn contents(store: &impl Store) -> Vec<(Pubkey, Vec<NodeRecord>)> {
    store.trees().unwrap().into_iter().map(|(tree, _)| (tree, store.tree_records(&tree).unwrap())).collect()
}

fn the_index_equals_the_chain(b: &Backend) {
    let mut net = network();
    let mut indexer = Indexer::open(b.open("index")).unwrap();
    let report = indexer.sync(&mut net.h.net).unwrap();
    // 5 registrations, 4 verifications, 1 update, 1 suspension, 1 retirement.
    assert_eq!(report.events, 12, "{report:?}");

    // Each node's newest record is the harness mirror's (itself checked against the chain's
    // root after every step), and the indexed tree's root is the on-chain root.
    let tree = net.h.first_tree;
    for node in &net.nodes {
        let indexed = indexer.store().node(node).unwrap().expect("indexed");
        assert_eq!((indexed.tree, &indexed.record), (tree, net.h.registry.record(node).unwrap()));
    }
    assert_eq!(indexer.mirror(&tree).unwrap().root(), net.h.onchain_root(&tree));
    assert_eq!(indexer.store().tree_records(&tree).unwrap().len(), 5);

    // An operator's nodes, and a node's history in order.
    let first: Vec<Pubkey> =
        indexer.store().nodes_by_operator(&net.operators[0].pubkey()).unwrap().iter().map(|n| n.record.node_id).collect();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|id| [net.nodes[0], net.nodes[2], net.nodes[4]].contains(id)));
    let changes: Vec<NodeChange> = indexer.store().history(&net.nodes[1]).unwrap().iter().map(|(_, e)| e.change).collect();
    assert_eq!(changes, [NodeChange::Registered, NodeChange::Attested, NodeChange::Updated]);
    let retired: Vec<NodeChange> = indexer.store().history(&net.nodes[3]).unwrap().iter().map(|(_, e)| e.change).collect();
    assert_eq!(retired, [NodeChange::Registered, NodeChange::Attested, NodeChange::Retired]);

    // Nothing new: a second sync reads nothing and changes nothing.
    let cursor = indexer.store().cursor().unwrap();
    let again = indexer.sync(&mut net.h.net).unwrap();
    assert_eq!((again.transactions, again.events, again.cursor), (0, 0, cursor));

    // New activity is picked up from the cursor on.
    let spec = net.h.spec("L40S", 2, 77);
    let (late, _) = net.h.register(&net.operators[0], spec);
    let more = indexer.sync(&mut net.h.net).unwrap();
    assert_eq!(more.events, 1);
    assert_eq!(indexer.store().node(&late.pubkey()).unwrap().unwrap().record.leaf_index, 5);
    assert_eq!(indexer.mirror(&tree).unwrap().root(), net.h.onchain_root(&tree));
}

/// The change feed is every node event once, in chain order: a page at a time from any
/// position, it is each key's history merged by (transaction, place within it).
fn the_change_feed_is_every_event_once_in_chain_order(b: &Backend) {
    let mut net = network();
    let mut indexer = Indexer::open(b.open("feed")).unwrap();
    indexer.batch_size = 3;
    indexer.sync(&mut net.h.net).unwrap();
    let store = indexer.store();
    let mut paged: Vec<(u64, u32, NodeEvent)> = vec![];
    loop {
        let after = paged.last().map(|(seq, within, _)| (*seq, *within));
        let page = store.changes(after, 5).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 5);
        paged.extend(page);
    }
    // 5 registrations, 4 verifications, 1 update, 1 suspension, 1 retirement.
    assert_eq!(paged.len(), 12);
    let mut merged: Vec<(u64, NodeEvent)> = net.nodes.iter().flat_map(|n| store.history(n).unwrap()).collect();
    merged.sort_by_key(|(seq, _)| *seq);
    let positions: Vec<(u64, u32)> = paged.iter().map(|(seq, within, _)| (*seq, *within)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in chain order, each once: {positions:?}");
    // Compared per transaction as sets: the histories do not say which of two keys'
    // events in one transaction came first.
    let events = |list: Vec<(u64, NodeEvent)>| {
        let mut v: Vec<(u64, Vec<u8>)> = list.into_iter().map(|(seq, e)| (seq, encode(&e))).collect();
        v.sort();
        v
    };
    assert_eq!(events(paged.into_iter().map(|(seq, _, e)| (seq, e)).collect()), events(merged));
}

/// A store that fails its `fail_at`-th commit, as a crash between two batches would.
struct FailingStore {
    inner: DynStore,
    commits: usize,
    fail_at: usize,
}

impl Store for FailingStore {
    fn cursor(&self) -> Result<Option<u64>, IndexerError> {
        self.inner.cursor()
    }
    fn apply(&mut self, batch: &Batch) -> Result<(), IndexerError> {
        self.commits += 1;
        if self.commits == self.fail_at {
            return Err(IndexerError::Store("disk full".into()));
        }
        self.inner.apply(batch)
    }
    fn trees(&self) -> Result<Vec<(Pubkey, u32)>, IndexerError> {
        self.inner.trees()
    }
    fn tree_records(&self, tree: &Pubkey) -> Result<Vec<NodeRecord>, IndexerError> {
        self.inner.tree_records(tree)
    }
    fn node(&self, node_id: &Pubkey) -> Result<Option<io_indexer::IndexedNode>, IndexerError> {
        self.inner.node(node_id)
    }
    fn nodes_by_operator(&self, operator: &Pubkey) -> Result<Vec<io_indexer::IndexedNode>, IndexerError> {
        self.inner.nodes_by_operator(operator)
    }
    fn history(&self, node_id: &Pubkey) -> Result<Vec<(u64, NodeEvent)>, IndexerError> {
        self.inner.history(node_id)
    }
    fn changes(&self, after: Option<(u64, u32)>, limit: usize) -> Result<Vec<(u64, u32, NodeEvent)>, IndexerError> {
        self.inner.changes(after, limit)
    }
    fn events(&self, query: &io_indexer::economy::EventQuery<'_>) -> Result<Vec<io_indexer::economy::StoredEvent>, IndexerError> {
        self.inner.events(query)
    }
}

fn a_failed_commit_applies_nothing_and_a_reopened_indexer_resumes_without_loss_or_repeat(b: &Backend) {
    let mut net = network();
    let mut clean = Indexer::open(b.open("clean")).unwrap();
    clean.sync(&mut net.h.net).unwrap();

    // Two transactions per batch; the third commit fails.
    let failing = FailingStore { inner: b.open("resumed"), commits: 0, fail_at: 3 };
    let mut indexer = Indexer::open(failing).unwrap();
    indexer.batch_size = 2;
    let error = indexer.sync(&mut net.h.net).unwrap_err();
    assert!(matches!(error, IndexerError::Store(ref m) if m == "disk full"), "{error}");
    let ledger = net.h.net.after(None, usize::MAX).unwrap();
    assert_eq!(indexer.store().cursor().unwrap(), Some(ledger[3].seq), "two batches of two committed, the third not at all");
    let partial: usize = contents(indexer.store()).iter().map(|(_, r)| r.len()).sum();
    assert!(partial < 5);

    // The process restarts: a new indexer over the same file, from its cursor.
    let file = indexer.into_store().inner;
    drop(file);
    let mut resumed = Indexer::open(b.open("resumed")).unwrap();
    resumed.sync(&mut net.h.net).unwrap();
    assert_eq!(contents(resumed.store()), contents(clean.store()));
    for node in &net.nodes {
        assert_eq!(resumed.store().history(node).unwrap(), clean.store().history(node).unwrap(), "no event lost or applied twice");
    }
}

/// The bank's ledger, as a source that can be edited.
fn recorded(net: &mut Network) -> MemorySource {
    MemorySource { transactions: net.h.net.after(None, usize::MAX).unwrap() }
}

/// The first transaction with a node event of `change`, and the position of that event.
fn find(source: &MemorySource, change: NodeChange) -> (usize, usize) {
    for (t, tx) in source.transactions.iter().enumerate() {
        for (i, (program, data)) in tx.noop_data.iter().enumerate() {
            if *program == io_registry::ID && decode(data).is_some_and(|e| e.change == change) {
                return (t, i);
            }
        }
    }
    panic!("no {change:?} event");
}

fn decode(data: &[u8]) -> Option<NodeEvent> {
    match io_sdk::events::decode_noop_data(data) {
        io_sdk::events::NoopPayload::Node(event) => Some(*event),
        _ => None,
    }
}

fn encode(event: &NodeEvent) -> Vec<u8> {
    let mut application_data = NODE_EVENT_TAG.to_vec();
    application_data.extend(event.try_to_vec().unwrap());
    AccountCompressionEvent::ApplicationData(ApplicationDataEvent::V1(ApplicationDataEventV1 { application_data })).try_to_vec().unwrap()
}

fn refused(b: &Backend, source: &mut MemorySource, check: impl Fn(&IndexerError) -> bool) {
    let mut indexer = Indexer::open(b.open("index")).unwrap();
    indexer.batch_size = 1;
    let error = indexer.sync(source).unwrap_err();
    assert!(check(&error), "{error}");
    // Everything before the bad transaction was committed, nothing of it or after.
    let (IndexerError::RootMismatch { seq, .. } | IndexerError::Gap { seq, .. } | IndexerError::UnknownTree { seq, .. }) = error else {
        panic!("{error}")
    };
    let before = source.transactions.iter().rev().find(|t| t.seq < seq).map(|t| t.seq);
    assert_eq!(indexer.store().cursor().unwrap(), before);
    // The batch before committed while the bad one was being checked (two are in flight):
    // the mirrors are back at what the store holds, not at the half-checked batch.
    for (tree, depth) in indexer.store().trees().unwrap() {
        let stored = io_sdk::mirror::TreeMirror::from_records(tree, depth, indexer.store().tree_records(&tree).unwrap()).unwrap();
        assert_eq!(indexer.mirror(&tree).map(|m| m.root()), Some(stored.root()), "tree {tree}");
    }
}

fn an_altered_event_stops_ingestion_with_a_root_mismatch(b: &Backend) {
    let mut net = network();
    let mut source = recorded(&mut net);
    let (t, i) = find(&source, NodeChange::Updated);
    let mut event = decode(&source.transactions[t].noop_data[i].1).unwrap();
    event.record.gpu_count += 1;
    source.transactions[t].noop_data[i].1 = encode(&event);
    refused(b, &mut source, |e| matches!(e, IndexerError::RootMismatch { .. }));
}

fn a_missing_event_stops_ingestion_with_a_gap(b: &Backend) {
    let mut net = network();
    let mut source = recorded(&mut net);
    // The second registration's transaction is lost: the third arrives at leaf 2 first.
    let registrations: Vec<usize> = source
        .transactions
        .iter()
        .enumerate()
        .filter(|(_, tx)| {
            tx.noop_data.iter().any(|(p, d)| *p == io_registry::ID && decode(d).is_some_and(|e| e.change == NodeChange::Registered))
        })
        .map(|(t, _)| t)
        .collect();
    source.transactions.remove(registrations[1]);
    refused(b, &mut source, |e| matches!(e, IndexerError::Gap { index: 2, expected: 1, .. }));
}

fn an_event_for_a_tree_the_registry_never_made_is_refused_by_name(b: &Backend) {
    let mut net = network();
    let mut source = recorded(&mut net);
    let (t, i) = find(&source, NodeChange::Registered);
    let mut event = decode(&source.transactions[t].noop_data[i].1).unwrap();
    event.tree = Pubkey::new_unique();
    source.transactions[t].noop_data[i].1 = encode(&event);
    refused(b, &mut source, |e| matches!(e, IndexerError::UnknownTree { .. }));
}

fn node_events_logged_outside_a_registry_instruction_are_ignored(b: &Backend) {
    let mut net = network();
    let mut clean = Indexer::open(b.open("clean")).unwrap();
    clean.sync(&mut net.h.net).unwrap();

    // Anybody can call the noop program: a forged "update" of node 0 to 8 GPUs, logged by
    // another program, is placed among the real transactions.
    let mut source = recorded(&mut net);
    let (t, i) = find(&source, NodeChange::Registered);
    let mut forged = decode(&source.transactions[t].noop_data[i].1).unwrap();
    forged.change = NodeChange::Updated;
    forged.record.gpu_count = 8;
    // Positions are the source's: spread them so one is free right after the registration.
    for (k, tx) in source.transactions.iter_mut().enumerate() {
        tx.seq = 10 * (k as u64 + 1);
    }
    let seq = source.transactions[t].seq + 5;
    source.transactions.insert(
        t + 1,
        SourceTx {
            seq,
            signature: "forged".into(),
            block_time: 0,
            noop_data: vec![(Pubkey::new_unique(), encode(&forged))],
            program_data: Default::default(),
        },
    );
    let mut indexer = Indexer::open(b.open("forged")).unwrap();
    indexer.sync(&mut source).unwrap();
    assert_eq!(contents(indexer.store()), contents(clean.store()));
    assert_eq!(indexer.store().node(&net.nodes[0]).unwrap().unwrap().record.gpu_count, 1);
}

fn a_source_that_repeats_a_transaction_is_refused(b: &Backend) {
    let mut net = network();
    let source = recorded(&mut net);
    let mut indexer = Indexer::open(b.open("index")).unwrap();
    let first = source.transactions[..3].to_vec();
    indexer.ingest(&first).unwrap();
    let error = indexer.ingest(&source.transactions[2..4]).unwrap_err();
    assert!(matches!(error, IndexerError::OutOfOrder { .. }), "{error}");
    assert_eq!(indexer.store().cursor().unwrap(), Some(first[2].seq), "the repeated batch applied nothing");
}

fn a_re_registered_key_is_its_newest_leaf_even_after_its_old_leaf_is_suspended(b: &Backend) {
    let mut net = network();
    // Node 0's key registered again (as one GPU of another model), then its old leaf
    // suspended: the key's leaf is the new one.
    let node = Keypair::new();
    let op = net.operators[0].insecure_clone();
    let (h100, l40s) = (net.h.spec("H100", 8, 40), net.h.spec("L40S", 1, 41));
    let first = net.h.registry.register(&mut net.h.net, &op, &node, h100).unwrap();
    let second = net.h.registry.register(&mut net.h.net, &op, &node, l40s).unwrap();
    net.h.next_epoch();
    let tree = net.h.first_tree;
    let old = net.h.registry.proven_leaf_at(&tree, first.leaf_index).unwrap();
    let subject = io_sdk::registry::verdict_subject(&old, net.h.current_epoch(), io_registry::Verdict::Suspended, false, vec![]);
    net.h.attest_subject(2, &old, &subject, Default::default(), &[]);
    let mut indexer = Indexer::open(b.open("index")).unwrap();
    indexer.sync(&mut net.h.net).unwrap();
    let indexed = indexer.store().node(&node.pubkey()).unwrap().unwrap();
    assert_eq!(indexed.record.leaf_index, second.leaf_index);
    assert_eq!(indexed.record.status, io_registry::NodeStatus::Pending);
    let old_leaf = &indexer.store().tree_records(&tree).unwrap()[first.leaf_index as usize];
    assert_eq!(old_leaf.status, io_registry::NodeStatus::Suspended);
    let changes: Vec<NodeChange> = indexer.store().history(&node.pubkey()).unwrap().iter().map(|(_, e)| e.change).collect();
    assert_eq!(changes, [NodeChange::Registered, NodeChange::Registered, NodeChange::Attested]);
}

common::on_both_backends!(
    the_change_feed_is_every_event_once_in_chain_order,
    the_index_equals_the_chain,
    a_failed_commit_applies_nothing_and_a_reopened_indexer_resumes_without_loss_or_repeat,
    an_altered_event_stops_ingestion_with_a_root_mismatch,
    a_missing_event_stops_ingestion_with_a_gap,
    an_event_for_a_tree_the_registry_never_made_is_refused_by_name,
    node_events_logged_outside_a_registry_instruction_are_ignored,
    a_source_that_repeats_a_transaction_is_refused,
    a_re_registered_key_is_its_newest_leaf_even_after_its_old_leaf_is_suspended
);

/// The PostgreSQL schema is versioned: opening a database an older indexer made runs the
/// missing migrations once and records them, reopening runs nothing, and a database newer
/// than the indexer is refused by name.
#[test]
fn postgres_migrations_run_once_and_a_newer_schema_is_refused() {
    let Some(backend) = Backend::postgres("postgres_migrations_run_once_and_a_newer_schema_is_refused") else { return };
    let common::Backend::Postgres { config, .. } = &backend else { unreachable!() };
    let schema = format!("io_test_{}_migrations", std::process::id());
    let mut client = ::postgres::Client::connect(config, ::postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).unwrap();
    let versions = |client: &mut ::postgres::Client| -> Vec<(i32, String)> {
        let rows = client.query(&format!("SELECT version, name FROM {schema}.schema_migrations ORDER BY version"), &[]).unwrap();
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    };
    // A database an indexer of schema version 1 made: opening it adds versions 2 and 3 only.
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema}; {}
             CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
             INSERT INTO schema_migrations (version, name) VALUES (1, 'registry'); SET search_path TO public",
            include_str!("../migrations/0001_registry.sql")
        ))
        .unwrap();
    drop(io_indexer::PostgresStore::connect(config, Some(&schema)).unwrap());
    assert_eq!(versions(&mut client), [(1, "registry".to_string()), (2, "economy".to_string()), (3, "block_time".to_string())]);
    drop(io_indexer::PostgresStore::connect(config, Some(&schema)).unwrap());
    assert_eq!(versions(&mut client).len(), 3, "reopening ran a migration again");

    client.execute(&format!("INSERT INTO {schema}.schema_migrations (version, name) VALUES (4, 'from the future')"), &[]).unwrap();
    let refused = io_indexer::PostgresStore::connect(config, Some(&schema)).err().expect("a newer schema is refused");
    assert!(matches!(&refused, IndexerError::Store(m) if m.contains("schema version 4, newer than this indexer's 3")), "{refused}");
    assert!(matches!(io_indexer::PostgresStore::connect(config, Some("bad; name")), Err(IndexerError::Store(_))));
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).unwrap();
}
