//! The demo's indexer: follows the embedded bank's ledger into a redb store, as a reader
//! of the real network would, serves the HTTP API over it on a loopback port, and prints
//! what the API answers, checked against the chain.

use crate::metrics_cmd::MetricsOptions;
use anyhow::{ensure, Context};
use io_indexer::api::economy_views::{BurnsPage, EmissionsPage, ProposalsPage, StakeView};
use io_indexer::api::views::{ClusterView, OperatorView, PlacementView, ProofView, StatusView};
use io_indexer::api::{self, DynStore, IndexerService};
use io_indexer::client::ApiClient;
use io_indexer::{Indexer, RedbStore};
use io_localnet::Localnet;
use io_metrics::{NetworkReport, Tier};
use io_migrations::Genesis;
use io_registry::GpuCatalogue;
use io_sdk::client::{fetch, Chain};
use io_sdk::pda;
use io_sdk::tree::onchain_root;
use solana_sdk::pubkey::Pubkey;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Indexes everything the bank landed into a temporary store, serves the API over it and
/// queries it; the lines the summary prints.
pub fn index(
    net: &mut Localnet,
    tree: &Pubkey,
    operator: &Pubkey,
    genesis: &Genesis,
    metrics_out: Option<&Path>,
) -> anyhow::Result<String> {
    let path = std::env::temp_dir().join(format!("io-demo-index-{}.redb", std::process::id()));
    std::fs::remove_file(&path).ok();
    let result = index_into(net, &path, tree, operator, genesis, metrics_out);
    std::fs::remove_file(&path).ok();
    result
}

fn index_into(
    net: &mut Localnet,
    path: &Path,
    tree: &Pubkey,
    operator: &Pubkey,
    genesis: &Genesis,
    metrics_out: Option<&Path>,
) -> anyhow::Result<String> {
    let store: DynStore = Box::new(RedbStore::open(path)?);
    let service = Arc::new(IndexerService::new(Indexer::open(store)?));
    let started = Instant::now();
    let report = service.sync(net)?;
    let seconds = started.elapsed().as_secs_f64();
    let catalogue: GpuCatalogue = fetch(net, &pda::gpu_catalogue())?;
    let model = catalogue.models.iter().find(|m| m.active).context("an active GPU model")?.name.clone();
    service.set_catalogue(catalogue);
    // The metrics read the parameters the chain holds and price IO at the newest buyback's
    // Pyth price, as `io indexer run` does against a cluster.
    let params = crate::metrics_cmd::params_from_genesis(genesis, &MetricsOptions::default_values())?;
    service.set_network_params(crate::metrics_cmd::params_from_chain(net, params)?);
    let account = net.account_data(tree)?.context("the tree account")?;
    let onchain = bs58::encode(onchain_root(&account).context("the tree account's root")?).into_string();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(api::serve(listener, service, async {
        stopped.await.ok();
    }));
    let client = ApiClient::new(&base, Duration::from_secs(10))?;

    let mut out = String::new();
    writeln!(
        out,
        "indexer: {} node events from {} transactions in {seconds:.2}s ({} commits) into a redb store; HTTP API on {base}:",
        report.events, report.transactions, report.batches
    )?;
    let status: StatusView = client.get("/v1/status")?;
    let s = &status.by_status;
    writeln!(
        out,
        "  GET /v1/status: {} leaves in {} tree(s): {} verified, {} pending, {} suspended, {} retired",
        status.leaves, status.trees, s.verified, s.pending, s.suspended, s.retired
    )?;
    let op: OperatorView = client.get(&format!("/v1/operators/{operator}"))?;
    writeln!(out, "  GET /v1/operators/{}...: {} leaves, {} GPUs verified", &op.operator[..8], op.leaves, op.verified_gpus)?;
    let placed: PlacementView = client.get(&format!("/v1/placement?model={model}&limit=3"))?;
    let best: Vec<String> = placed
        .candidates
        .iter()
        .map(|c| format!("{}... {:.1} ms {} Mbps", &c.node_id[..8], f64::from(c.rtt_us) / 1000.0, c.bandwidth_mbps))
        .collect();
    writeln!(out, "  GET /v1/placement?model={model}&limit=3: {}", best.join("; "))?;
    let cluster: ClusterView = client.get(&format!("/v1/placement/cluster?model={model}&nodes=4&distance=2"))?;
    match cluster.worst_rtt_us.filter(|_| cluster.found) {
        Some(worst) => writeln!(
            out,
            "  GET /v1/placement/cluster (4 nodes within 2 H3 steps): {} (worst RTT {:.1} ms)",
            cluster.nodes.iter().map(|n| format!("{}...", &n.node_id[..8])).collect::<Vec<_>>().join(" + "),
            f64::from(worst) / 1000.0
        )?,
        None => writeln!(out, "  GET /v1/placement/cluster (4 nodes within 2 H3 steps): no such group")?,
    }
    if let Some(first) = placed.candidates.first() {
        let proof: ProofView = client.get(&format!("/v1/nodes/{}/proof", first.node_id))?;
        ensure!(proof.root == onchain, "the API's root {} differs from the tree account's {onchain}", proof.root);
        writeln!(
            out,
            "  GET /v1/nodes/{}.../proof: {} siblings, root {}... matches the tree account",
            &first.node_id[..8],
            proof.proof.len(),
            &proof.root[..8]
        )?;
    }
    economy(&client, operator, &mut out)?;
    network(&client, metrics_out, &mut out)?;
    stop.send(()).ok();
    runtime.block_on(server)??;
    Ok(out.trim_end().to_string())
}

fn io(units: u64) -> String {
    format!("{} IO", io_sdk::parse::format_io(units))
}

/// What the API says about the economy: an operator's stake, the emission cranks, the
/// burns and the proposals.
fn economy(client: &ApiClient, operator: &Pubkey, out: &mut String) -> anyhow::Result<()> {
    match client.get::<StakeView>(&format!("/v1/operators/{operator}/stake")) {
        Ok(stake) => writeln!(
            out,
            "  GET /v1/operators/{}.../stake: {} bonded, {} unbonding, weight {}, {} rewards claimed",
            &stake.operator[..8],
            io(stake.bonded),
            io(stake.unbonding),
            stake.weight,
            io(stake.claimed_rewards)
        )?,
        Err(e) => writeln!(out, "  GET /v1/operators/{}.../stake: {e}", &operator.to_string()[..8])?,
    }
    let emissions: EmissionsPage = client.get("/v1/emissions?limit=1000")?;
    if let Some(last) = emissions.items.last() {
        let epochs: u64 = emissions.items.iter().map(|c| c.epochs).sum();
        writeln!(
            out,
            "  GET /v1/emissions: {} cranks closed {epochs} epochs, {} minted ever",
            emissions.items.len(),
            io(last.total_minted)
        )?;
    }
    let burns: BurnsPage = client.get("/v1/burns?limit=1000")?;
    let burned: u64 = burns.items.iter().map(|b| b.amount).sum();
    let mut sources: Vec<&str> = vec![];
    for burn in &burns.items {
        if !sources.contains(&burn.source.as_str()) {
            sources.push(&burn.source);
        }
    }
    writeln!(out, "  GET /v1/burns: {} burns of {} ({})", burns.items.len(), io(burned), sources.join(", "))?;
    let proposals: ProposalsPage = client.get("/v1/proposals?limit=100")?;
    let statuses: Vec<String> =
        proposals.items.iter().map(|p| format!("#{} {} ({} yes, {} no)", p.id, p.status, io(p.yes), io(p.no))).collect();
    writeln!(out, "  GET /v1/proposals: {}", if statuses.is_empty() { "none".to_string() } else { statuses.join("; ") })?;
    Ok(())
}

/// The network report the API serves: the headline figures, and with `metrics_out` the
/// whole report (as `io metrics` prints it, and as JSON) and its plots.
fn network(client: &ApiClient, metrics_out: Option<&Path>, out: &mut String) -> anyhow::Result<()> {
    let report: NetworkReport = client.get("/v1/network/metrics")?;
    let trailing = report.trailing.as_ref().context("the demo's emissions are indexed")?;
    writeln!(
        out,
        "  GET /v1/network/metrics (${} per IO, {}): D/E {:.4} over {} periods; break-even demand ${:.0} a year; {} IO minted, {} IO burned a year",
        report.price.io_usd,
        report.price.source,
        trailing.de_ratio.unwrap_or(f64::NAN),
        trailing.periods,
        trailing.break_even_demand_usd.unwrap_or(f64::NAN),
        trailing.annual_minted_io.round(),
        trailing.annual_burned_io.round()
    )?;
    let spacing = report.decentralization.spacing.first().and_then(|s| s.coefficient).unwrap_or(f64::NAN);
    let concentration = &report.decentralization.concentration;
    let payback: Vec<String> = Tier::ALL
        .iter()
        .map(|t| format!("{t} {}", report.hardware[t.index()].payback_months.map_or_else(|| "-".to_string(), |m| format!("{m:.0} months"))))
        .collect();
    writeln!(
        out,
        "    spacing {spacing:.3}, largest operator {:.1}% of verified nodes (Herfindahl {:.3}); payback {}",
        concentration.largest_share * 100.0,
        concentration.herfindahl,
        payback.join(", ")
    )?;
    if let Some(dir) = metrics_out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(dir.join("report.txt"), crate::metrics_cmd::render(&report)?)?;
        std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(&report)? + "\n")?;
        let plots = crate::metrics_plot::write_all(&report, dir)?;
        writeln!(out, "    report and {} plots written to {}", plots.len(), dir.display())?;
    }
    Ok(())
}
