//! The daemon's registry from an indexer. Without one, each read of the chain rebuilds
//! every tree from its whole noop history (`ChainView::read`): fine for a small network,
//! not for a million leaves read every cycle, every review and every enrollment. With one,
//! the daemon keeps its own registry and, on each read, applies only the node events the
//! indexer's change feed (`GET /v1/changes`) holds after the last one it applied: every
//! event is read once. The registry's config, the catalogue and the clock still come from
//! the chain (three account reads).

use crate::port::{ChainPort, DeskChain};
use crate::view::ChainView;
use anchor_lang::AnchorDeserialize;
use anyhow::{anyhow, Context};
use base64::Engine as _;
use io_registry::{GpuCatalogue, NodeEvent, RegistryConfig, TreeConfig};
use io_sdk::client::fetch;
use io_sdk::network::RegistryClient;
use io_sdk::pda;
use serde::Deserialize;
use solana_sdk::pubkey::Pubkey;
use std::sync::Arc;
use std::time::Duration;

/// Events per request of the change feed.
const PAGE: usize = 10_000;

/// Runs on the chain's thread before each read. For an indexer that follows the same
/// embedded bank as the daemon (the demo, the tests) it brings the indexer up to the bank;
/// an indexer following a cluster by itself needs none.
pub type SyncHook = Arc<dyn Fn(&mut dyn DeskChain) -> anyhow::Result<()> + Send + Sync>;

#[derive(Deserialize)]
struct ChangesPage {
    items: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    seq: u64,
    within: u32,
    /// The node event, borsh, base64.
    event: String,
}

struct FeedState {
    /// The position of the last event applied.
    after: Option<(u64, u32)>,
    /// Shared with the views handed out; a read that applies events while an older view
    /// is still in use copies it first.
    registry: Arc<RegistryClient>,
    applied: u64,
}

pub struct IndexerFeed {
    base: String,
    http: reqwest::Client,
    hook: Option<SyncHook>,
    state: tokio::sync::Mutex<FeedState>,
}

impl IndexerFeed {
    /// A feed from the indexer API at `base`; each request may take `timeout`.
    pub fn new(base: &str, timeout: Duration, hook: Option<SyncHook>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(timeout).build()?;
        let state = FeedState { after: None, registry: Arc::new(RegistryClient::new()), applied: 0 };
        Ok(Self { base: base.trim_end_matches('/').to_string(), http, hook, state: tokio::sync::Mutex::new(state) })
    }

    /// Node events applied since the daemon started.
    pub async fn applied(&self) -> u64 {
        self.state.lock().await.applied
    }

    /// The chain's registry config, catalogue and clock, and the registry brought up to
    /// the indexer's newest event.
    pub async fn read(&self, port: &ChainPort) -> anyhow::Result<ChainView> {
        let mut state = self.state.lock().await;
        let known: Vec<Pubkey> = state.registry.trees.keys().copied().collect();
        let hook = self.hook.clone();
        let (config, catalogue, now, new_trees) = port
            .call(move |chain| {
                if let Some(hook) = hook {
                    hook(&mut *chain).context("bringing the indexer up to the chain")?;
                }
                let mut chain = chain;
                let config: RegistryConfig = fetch(&mut chain, &pda::registry_config())?;
                let catalogue: GpuCatalogue = fetch(&mut chain, &pda::gpu_catalogue())?;
                let mut new_trees = vec![];
                for tree in config.trees.iter().filter(|t| !known.contains(t)) {
                    let tree_config: TreeConfig = fetch(&mut chain, &pda::tree_config(tree)).context("tree config")?;
                    new_trees.push((*tree, tree_config));
                }
                Ok((config, catalogue, chain.unix_time()?, new_trees))
            })
            .await?;
        // The registry is copied only when it changes while an older view is in use.
        for (tree, tree_config) in new_trees {
            Arc::make_mut(&mut state.registry).track_config(tree, tree_config);
        }
        loop {
            let mut url = format!("{}/v1/changes?limit={PAGE}", self.base);
            if let Some((seq, within)) = state.after {
                url.push_str(&format!("&after={seq}:{within}"));
            }
            let response = self.http.get(&url).send().await.with_context(|| format!("indexer at {}", self.base))?;
            anyhow::ensure!(response.status().is_success(), "indexer: GET {url}: {}", response.status());
            let page: ChangesPage = response.json().await.with_context(|| format!("indexer: GET {url}"))?;
            let full = page.items.len() == PAGE;
            for change in page.items {
                let bytes = base64::engine::general_purpose::STANDARD.decode(&change.event).context("a change's event")?;
                let event = NodeEvent::try_from_slice(&bytes).map_err(|e| anyhow!("change {}:{}: {e}", change.seq, change.within))?;
                // An event that does not apply leaves the position where it is: the next
                // read starts from it again.
                Arc::make_mut(&mut state.registry).apply(&event).with_context(|| format!("change {}:{}", change.seq, change.within))?;
                state.after = Some((change.seq, change.within));
                state.applied += 1;
            }
            if !full {
                break;
            }
        }
        let epoch = config.current_epoch(now).map_err(|e| anyhow!("epoch: {e}"))?;
        Ok(ChainView { config, catalogue, registry: state.registry.clone(), now, epoch })
    }
}
