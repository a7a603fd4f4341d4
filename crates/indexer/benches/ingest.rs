//! `cargo bench -p io-indexer --bench ingest`: how fast the indexer takes in leaf events
//! into the embedded store (the bar: 50,000 a second on 2 cores), with the root
//! of every transaction checked as in production. The ledger is synthetic: registrations
//! of a depth-20 tree, one per transaction, each with the change log the compression
//! program would log (its root from an independent mirror). Prints figures; asserts
//! nothing about time.

use anchor_lang::AnchorSerialize;
use io_indexer::source::MemorySource;
use io_indexer::{Indexer, RedbStore, SourceTx, Store};
use io_registry::{NodeChange, NodeEvent, NODE_EVENT_TAG};

#[path = "common/mod.rs"]
mod common;
use common::record;
use io_sdk::mirror::TreeMirror;
use solana_sdk::pubkey::Pubkey;
use spl_account_compression::events::{AccountCompressionEvent, ApplicationDataEvent, ApplicationDataEventV1, ChangeLogEvent};
use spl_account_compression::state::PathNode;
use std::time::Instant;

const DEPTH: u32 = 20;

/// `events` registrations, one transaction each, as the bank's ledger would hold them.
fn ledger(tree: Pubkey, events: u32) -> MemorySource {
    let mut mirror = TreeMirror::new(tree, DEPTH);
    let transactions = (0..events)
        .map(|i| {
            let event = NodeEvent { change: NodeChange::Registered, tree, record: record(i), epoch: 0, oracles: vec![], gpu_ids: vec![] };
            mirror.apply(&event).expect("append");
            let mut application_data = NODE_EVENT_TAG.to_vec();
            application_data.extend(event.try_to_vec().expect("encode"));
            let node = AccountCompressionEvent::ApplicationData(ApplicationDataEvent::V1(ApplicationDataEventV1 { application_data }));
            let mut path = vec![PathNode { node: [0; 32], index: 0 }; DEPTH as usize];
            path.push(PathNode { node: mirror.root(), index: 1 });
            let log = AccountCompressionEvent::ChangeLog(ChangeLogEvent::new(tree, path, u64::from(i) + 1, i));
            let noop_data =
                vec![(io_registry::ID, node.try_to_vec().expect("encode")), (io_registry::ID, log.try_to_vec().expect("encode"))];
            SourceTx { seq: u64::from(i), signature: format!("tx{i}"), block_time: 0, noop_data, program_data: Default::default() }
        })
        .collect();
    MemorySource { transactions }
}

fn main() {
    println!("indexer ingest into the embedded store (redb), depth-{DEPTH} tree, every root checked");
    println!("{:>9}  {:>8}  {:>10}  {:>14}", "events", "batch", "seconds", "events/s");
    for (events, batch) in [(50_000u32, 1_000usize), (200_000, 1_000), (200_000, 10_000)] {
        let tree = Pubkey::new_unique();
        let mut source = ledger(tree, events);
        let dir = tempfile::tempdir().expect("temp dir");
        let store = RedbStore::open(&dir.path().join("bench.redb")).expect("store");
        let mut indexer = Indexer::open(store).expect("indexer");
        indexer.batch_size = batch;
        let start = Instant::now();
        let report = indexer.sync(&mut source).expect("ingest");
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(report.events, u64::from(events));
        assert_eq!(indexer.store().tree_records(&tree).expect("records").len(), events as usize);
        println!("{:>9}  {:>8}  {:>10.3}  {:>14.0}", events, batch, seconds, f64::from(events) / seconds);
    }
    postgres();
}

/// The same ingestion into PostgreSQL, when one is configured (`IO_TEST_POSTGRES`, as the
/// tests use): a fresh schema, dropped afterwards.
fn postgres() {
    let Ok(config) = std::env::var("IO_TEST_POSTGRES") else {
        println!("PostgreSQL figure not measured: IO_TEST_POSTGRES is not set");
        return;
    };
    let schema = format!("io_bench_{}", std::process::id());
    for (events, batch) in [(50_000u32, 1_000usize), (50_000, 10_000)] {
        let schema = format!("{schema}_{batch}");
        let tree = Pubkey::new_unique();
        let mut source = ledger(tree, events);
        let store = io_indexer::PostgresStore::connect(&config, Some(&schema)).expect("postgres");
        let mut indexer = Indexer::open(store).expect("indexer");
        indexer.batch_size = batch;
        let start = Instant::now();
        let report = indexer.sync(&mut source).expect("ingest");
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(report.events, u64::from(events));
        println!("{:>9}  {:>8}  {:>10.3}  {:>14.0}  (PostgreSQL, localhost)", events, batch, seconds, f64::from(events) / seconds);
        let mut client = postgres::Client::connect(&config, postgres::NoTls).expect("postgres");
        client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).expect("drop");
    }
}
