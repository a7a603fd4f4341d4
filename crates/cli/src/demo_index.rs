//! The demo's indexer: follows the embedded bank's ledger into a redb store, as a reader
//! of the real network would, and reports what it holds against the chain.

use anyhow::{ensure, Context};
use io_indexer::{Indexer, RedbStore, Store};
use io_localnet::Localnet;
use io_sdk::client::Chain;
use io_sdk::tree::onchain_root;
use solana_sdk::pubkey::Pubkey;
use std::time::Instant;

/// Indexes everything the bank landed into a temporary store and checks its root of
/// `tree` against the tree account; the line the summary prints.
pub fn index(net: &mut Localnet, tree: &Pubkey, operator: &Pubkey) -> anyhow::Result<String> {
    let path = std::env::temp_dir().join(format!("io-demo-index-{}.redb", std::process::id()));
    std::fs::remove_file(&path).ok();
    let result = index_into(net, &path, tree, operator);
    std::fs::remove_file(&path).ok();
    result
}

fn index_into(net: &mut Localnet, path: &std::path::Path, tree: &Pubkey, operator: &Pubkey) -> anyhow::Result<String> {
    let mut indexer = Indexer::open(RedbStore::open(path)?)?;
    let started = Instant::now();
    let report = indexer.sync(net)?;
    let seconds = started.elapsed().as_secs_f64();
    let account = net.account_data(tree)?.context("the tree account")?;
    let onchain = onchain_root(&account).context("the tree account's root")?;
    let indexed = indexer.mirror(tree).context("the tree was not indexed")?.root();
    ensure!(indexed == onchain, "the indexed root differs from the tree account's");
    let leaves = indexer.store().tree_records(tree)?.len();
    let nodes = indexer.store().nodes_by_operator(operator)?.len();
    Ok(format!(
        "indexer: {} node events from {} transactions in {:.2}s ({} commits) into a redb store: {leaves} leaves, root matches the tree account; the first operator's nodes: {nodes}",
        report.events, report.transactions, seconds, report.batches
    ))
}
