//! `io placement`: the scheduler's query, answered from the verified records of the
//! registry (rebuilt from the trees' noop history) and the GPU catalogue.

use anyhow::Context;
use clap::Args;
use io_indexer::api::placement::MAX_CANDIDATES;
use io_indexer::api::views::PlacementView;
use io_indexer::client::{ApiClient, ClientError};
use io_registry::GpuCatalogue;
use io_sdk::client::{fetch, Chain};
use io_sdk::parse::parse_cuda;
use io_sdk::pda;
use io_sdk::placement::{place, resolve_model, Candidate, PlacementRequest};
use solana_sdk::signature::Keypair;
use std::fmt::Write as _;

#[derive(Args, Debug, Clone)]
pub struct PlacementArgs {
    /// Catalogue model name, e.g. "H100" (case-insensitive).
    #[arg(long)]
    pub model: String,
    /// Lowest acceptable CUDA version, e.g. 12.0 (0.0 for any).
    #[arg(long, default_value = "0.0")]
    pub min_cuda: String,
    /// Fewest GPUs a node must have.
    #[arg(long = "gpus", default_value_t = 1)]
    pub gpus: u16,
    /// Most candidates to print (all of them if omitted).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Ask this indexer's HTTP API (e.g. http://127.0.0.1:8080) instead of replaying the
    /// registry's history; if it cannot be reached, warn and replay.
    #[arg(long)]
    pub indexer: Option<String>,
}

/// The chain a read-only query runs on: the fee payer's keypair when it can be read, a
/// throwaway key otherwise (nothing is signed).
pub fn read_only_chain(url: &str, keypair: &str) -> crate::rpc::RpcChain {
    let payer = crate::registry_cmd::read_keypair(keypair).unwrap_or_else(|_| Keypair::new());
    crate::rpc::RpcChain::new(url, payer)
}

/// Runs the query (through the indexer when one is named); returns the table to print.
pub fn run_placement(chain: &mut impl Chain, args: &PlacementArgs) -> anyhow::Result<String> {
    if let Some(url) = &args.indexer {
        if let Some(out) = crate::indexer_read::through_indexer(url, |api| placement_from_indexer(api, args))? {
            return out;
        }
    }
    let catalogue: GpuCatalogue = fetch(chain, &pda::gpu_catalogue()).context("GPU catalogue (is genesis done?)")?;
    let model = resolve_model(&catalogue, &args.model)?.clone();
    let request = PlacementRequest {
        model: model.id,
        min_cuda: parse_cuda(&args.min_cuda).with_context(|| format!("--min-cuda {:?}", args.min_cuda))?,
        min_gpus: args.gpus,
        limit: args.limit,
    };
    request.validate()?;
    let registry = crate::registry_cmd::synced(chain)?;
    let candidates = place(&registry, &catalogue, &request)?;
    table(&model.name, model.id, &request, &candidates)
}

/// The query through the indexer's API, printed as the replay prints it. The API answers
/// at most 1,000 candidates; without `--limit` the table says when it was cut there.
fn placement_from_indexer(api: &ApiClient, args: &PlacementArgs) -> Result<anyhow::Result<String>, ClientError> {
    let limit = args.limit.unwrap_or(MAX_CANDIDATES);
    let path = format!("/v1/placement?model={}&min_cuda={}&gpus={}&limit={limit}", args.model.trim(), args.min_cuda.trim(), args.gpus);
    let answer: PlacementView = api.get(&path)?;
    Ok((|| {
        let candidates = answer
            .candidates
            .iter()
            .map(|view| view.record().map(|(tree, record)| Candidate { tree, record }))
            .collect::<Result<Vec<_>, _>>()?;
        let request =
            PlacementRequest { model: answer.model_id, min_cuda: parse_cuda(&args.min_cuda)?, min_gpus: args.gpus, limit: args.limit };
        let mut out = table(&answer.model, answer.model_id, &request, &candidates)?;
        if args.limit.is_none() && candidates.len() == MAX_CANDIDATES {
            writeln!(out, "(the indexer answers at most {MAX_CANDIDATES} candidates; ask with --limit for fewer)")?;
        }
        Ok(out)
    })())
}

fn table(model: &str, model_id: u16, request: &PlacementRequest, candidates: &[Candidate]) -> anyhow::Result<String> {
    let mut out = String::new();
    writeln!(
        out,
        "placement  {} (model #{}), CUDA >= {}.{}, >= {} GPUs: {} candidate{}",
        model,
        model_id,
        request.min_cuda.major,
        request.min_cuda.minor,
        request.min_gpus,
        candidates.len(),
        if candidates.len() == 1 { "" } else { "s" },
    )?;
    if candidates.is_empty() {
        writeln!(out, "no verified node matches")?;
        return Ok(out);
    }
    writeln!(
        out,
        "{:<44}  {:<44}  {:>4}  {:>5}  {:>8}  {:>16}  {:>6}  {:>6}",
        "node", "operator", "GPUs", "CUDA", "RTT (ms)", "bandwidth (Mbps)", "loss %", "score"
    )?;
    for c in candidates {
        let r = &c.record;
        writeln!(
            out,
            "{:<44}  {:<44}  {:>4}  {:>5}  {:>8.3}  {:>16}  {:>6.2}  {:>6.4}",
            r.node_id.to_string(),
            r.operator.to_string(),
            r.gpu_count,
            format!("{}.{}", r.cuda.major, r.cuda.minor),
            f64::from(r.metrics.rtt_us) / 1000.0,
            r.metrics.bandwidth_mbps,
            f64::from(r.metrics.packet_loss_bps) / 100.0,
            f64::from(r.score) / 10_000.0,
        )?;
    }
    Ok(out)
}
