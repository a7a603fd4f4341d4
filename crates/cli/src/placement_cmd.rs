//! `io placement`: the scheduler's query, answered from the verified records of the
//! registry (rebuilt from the trees' noop history) and the GPU catalogue.

use anyhow::Context;
use clap::Args;
use io_registry::GpuCatalogue;
use io_sdk::client::{fetch, Chain};
use io_sdk::parse::parse_cuda;
use io_sdk::pda;
use io_sdk::placement::{place, resolve_model, PlacementRequest};
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
}

/// The chain a read-only query runs on: the fee payer's keypair when it can be read, a
/// throwaway key otherwise (nothing is signed).
pub fn read_only_chain(url: &str, keypair: &str) -> crate::rpc::RpcChain {
    let payer = crate::registry_cmd::read_keypair(keypair).unwrap_or_else(|_| Keypair::new());
    crate::rpc::RpcChain::new(url, payer)
}

/// Runs the query; returns the table to print.
pub fn run_placement(chain: &mut impl Chain, args: &PlacementArgs) -> anyhow::Result<String> {
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

    let mut out = String::new();
    writeln!(
        out,
        "placement  {} (model #{}), CUDA >= {}.{}, >= {} GPUs: {} candidate{}",
        model.name,
        model.id,
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
    for c in &candidates {
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
