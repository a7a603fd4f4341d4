//! `cargo bench -p io-indexer --bench proofs`: serving leaf proofs from a 1M-leaf tree
//! (the issue asks for the p50): the proof from the indexer's mirror alone, and the whole
//! request through the HTTP API over loopback. The store is filled with one batch of
//! registrations (as a backfill commits them) and the indexer reopened over it, which
//! rebuilds the tree's mirror as a restart does. Every proof fetched over HTTP is folded
//! back to the root. `IO_BENCH_LEAVES` changes the tree's size. Prints figures; asserts
//! nothing about time.

use io_indexer::api::{self, DynStore, IndexerService};
use io_indexer::store::Batch;
use io_indexer::{Indexer, RedbStore, Store};
use io_registry::{NodeChange, NodeEvent};

#[path = "common/mod.rs"]
mod common;
use common::record;
use solana_sdk::pubkey::Pubkey;
use std::sync::Arc;
use std::time::Instant;

const DEPTH: u32 = 20;

fn p50(mut micros: Vec<f64>) -> f64 {
    micros.sort_by(f64::total_cmp);
    micros[micros.len() / 2]
}

fn key(v: &serde_json::Value) -> [u8; 32] {
    v.as_str().expect("base58").parse::<Pubkey>().expect("key").to_bytes()
}

fn main() {
    let leaves: u32 = std::env::var("IO_BENCH_LEAVES").ok().and_then(|v| v.parse().ok()).unwrap_or(1 << DEPTH);
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = Pubkey::new_unique();

    let started = Instant::now();
    let mut store = RedbStore::open(&dir.path().join("proofs.redb")).expect("store");
    let events = (0..leaves)
        .map(|i| {
            (
                u64::from(i),
                NodeEvent { change: NodeChange::Registered, tree, record: record(i), epoch: 0, oracles: vec![], gpu_ids: vec![] },
            )
        })
        .collect();
    store.apply(&Batch { cursor: u64::from(leaves), new_trees: vec![(tree, DEPTH)], events, economy: vec![] }).expect("commit");
    println!("store: {leaves} leaves committed in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let indexer = Indexer::open(Box::new(store) as DynStore).expect("open");
    println!("indexer reopened (mirror rebuilt) in {:.1} s", started.elapsed().as_secs_f64());
    let root = indexer.mirror(&tree).expect("mirror").root();

    let mut step = 0x9e37_79b9u32;
    let mut pick = || {
        step = step.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        step % leaves
    };
    let mut direct = vec![];
    for _ in 0..10_000 {
        let leaf = pick();
        let t = Instant::now();
        let proof = indexer.mirror(&tree).expect("mirror").proof(leaf).expect("proof");
        direct.push(t.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(proof);
    }
    println!("proof from the mirror at {leaves} leaves: p50 {:.2} µs", p50(direct));

    let service = Arc::new(IndexerService::new(indexer));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    runtime.spawn(api::serve(listener, service, std::future::pending()));
    let client = reqwest::Client::new();
    let mut served = vec![];
    for _ in 0..2_000 {
        let leaf = pick();
        let t = Instant::now();
        let body: serde_json::Value = runtime.block_on(async {
            let response = client.get(format!("{base}/v1/trees/{tree}/leaves/{leaf}/proof")).send().await.expect("request");
            response.json().await.expect("json")
        });
        served.push(t.elapsed().as_secs_f64() * 1e6);
        let proof: Vec<[u8; 32]> = body["proof"].as_array().expect("proof").iter().map(key).collect();
        let at = io_sdk::mirror::root_from_proof(key(&body["leaf"]), leaf, &proof);
        assert_eq!(at, root, "the proof of leaf {leaf} does not fold to the root");
    }
    println!(
        "proof over HTTP at {leaves} leaves: p50 {:.0} µs over {} requests, every proof folded to the root",
        p50(served.clone()),
        served.len()
    );
}
