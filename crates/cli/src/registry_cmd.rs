//! `io registry ...`: what operators and oracle operators do, over any [`Chain`].

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use io_registry::*;
use io_sdk::client::{fetch, Chain};
use io_sdk::network::RegistryClient;
use io_sdk::parse::{parse_centi, parse_cuda, parse_tier};
use io_sdk::pda;
use io_sdk::tree::TreeShape;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{read_keypair_file, Keypair, Signer};
use std::fmt::Write as _;

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Config, oracle set and trees.
    Status,
    /// The GPU catalogue.
    Catalogue,
    /// Every node, from an indexer or rebuilt from the trees' noop history.
    Nodes {
        /// Only this operator's nodes.
        #[arg(long)]
        operator: Option<Pubkey>,
        /// Ask this indexer's HTTP API (e.g. http://127.0.0.1:8080) instead of replaying
        /// the history; if it cannot be reached, warn and replay.
        #[arg(long)]
        indexer: Option<String>,
    },
    /// Register a node (operator and node keys sign).
    Register(RegisterArgs),
    /// Change a node's hardware, driver or region.
    Update(UpdateArgs),
    /// Retire a node for good.
    Retire {
        #[arg(long)]
        operator: String,
        #[arg(long)]
        node: Pubkey,
    },
    /// Record an audit, co-signed by a quorum of oracle keypairs.
    Attest(AttestArgs),
    /// Open the next node tree of the configured shape, paid by --keypair (anyone, once the
    /// active tree is nearly full).
    OpenTree,
    /// Open a new node tree (config authority).
    CreateTree {
        #[arg(long)]
        authority: String,
        #[arg(long, default_value_t = TreeShape::MAINNET.max_depth)]
        depth: u32,
        #[arg(long, default_value_t = TreeShape::MAINNET.max_buffer_size)]
        buffer: u32,
        #[arg(long, default_value_t = TreeShape::MAINNET.canopy_depth)]
        canopy: u32,
    },
    /// Add a GPU model to the catalogue (config authority).
    AddModel {
        #[arg(long)]
        authority: String,
        #[arg(long)]
        name: String,
        /// enterprise, mid-market or consumer
        #[arg(long)]
        tier: String,
        /// Expected FP32 TFLOPS per GPU, e.g. 66.9
        #[arg(long)]
        tflops: String,
        /// Minimum CUDA version, e.g. 12.2 (0.0 for none)
        #[arg(long)]
        min_cuda: String,
    },
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// Operator keypair file.
    #[arg(long)]
    pub operator: String,
    /// Node keypair file (the worker agent's key).
    #[arg(long)]
    pub node: String,
    #[command(flatten)]
    pub hardware: HardwareArgs,
}

#[derive(Args, Debug)]
pub struct HardwareArgs {
    /// Catalogue model name, e.g. "H100".
    #[arg(long)]
    pub model: String,
    #[arg(long)]
    pub gpus: u16,
    /// CUDA version, e.g. 12.4 (0.0 for Apple/CPU).
    #[arg(long)]
    pub cuda: String,
    /// H3 cell index in hex.
    #[arg(long)]
    pub region: String,
    /// A GPU UUID; repeat for each GPU.
    #[arg(long = "gpu-uuid", required = true)]
    pub gpu_uuids: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    #[arg(long)]
    pub operator: String,
    #[arg(long)]
    pub node: Pubkey,
    #[command(flatten)]
    pub hardware: HardwareArgs,
}

#[derive(Args, Debug)]
pub struct AttestArgs {
    /// Oracle keypair file; repeat for each co-signer.
    #[arg(long = "oracle", required = true)]
    pub oracles: Vec<String>,
    #[arg(long)]
    pub node: Pubkey,
    /// verified or suspended
    #[arg(long)]
    pub verdict: String,
    /// Attestation epoch; the current one if omitted.
    #[arg(long)]
    pub epoch: Option<u64>,
    /// Measured TFLOPS per GPU, e.g. 61.2
    #[arg(long, default_value = "0")]
    pub tflops: String,
    #[arg(long, default_value_t = 0)]
    pub rtt_us: u32,
    #[arg(long, default_value_t = 0)]
    pub bandwidth_mbps: u32,
    #[arg(long, default_value_t = 0)]
    pub loss_bps: u16,
    /// UUID of a GPU the audit proved (repeat for each; a verification names every GPU
    /// of the node). Omitted for a verification, the GPUs its last verification proved.
    #[arg(long = "gpu-uuid")]
    pub gpu_uuids: Vec<String>,
}

pub fn read_keypair(path: &str) -> anyhow::Result<Keypair> {
    read_keypair_file(path).map_err(|e| anyhow!("reading keypair {path}: {e}"))
}

fn all_trees(chain: &mut impl Chain) -> anyhow::Result<(RegistryConfig, Vec<Pubkey>)> {
    let config: RegistryConfig = fetch(chain, &pda::registry_config()).context("registry config (is genesis done?)")?;
    let trees = config.trees.clone();
    Ok((config, trees))
}

fn model_by_name(chain: &mut impl Chain, name: &str) -> anyhow::Result<GpuModel> {
    let catalogue: GpuCatalogue = fetch(chain, &pda::gpu_catalogue())?;
    catalogue
        .models
        .into_iter()
        .find(|m| m.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| anyhow!("no GPU model {name:?} in the catalogue (see `io registry catalogue`)"))
}

fn hardware_spec(chain: &mut impl Chain, args: &HardwareArgs) -> anyhow::Result<HardwareSpec> {
    let model = model_by_name(chain, &args.model)?;
    let region = u64::from_str_radix(args.region.trim_start_matches("0x"), 16).context("region must be an H3 index in hex")?;
    if !io_math::is_valid_h3_cell(region) {
        bail!("{} is not a valid H3 cell", args.region);
    }
    Ok(HardwareSpec {
        gpu_model: model.id,
        gpu_count: args.gpus,
        cuda: parse_cuda(&args.cuda)?,
        region,
        gpu_uuids_hash: io_sdk::gpu_uuids_hash(&args.gpu_uuids),
    })
}

pub fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::Enterprise => "enterprise",
        Tier::MidMarket => "mid-market",
        Tier::Consumer => "consumer",
    }
}

pub fn status_name(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Pending => "pending",
        NodeStatus::Verified => "verified",
        NodeStatus::Suspended => "suspended",
        NodeStatus::Retired => "retired",
    }
}

pub fn describe(record: &NodeRecord) -> String {
    format!(
        "{} op {} leaf {} model#{} x{} {} cuda {}.{} region {:x} {} score {} tflops {:.2} rtt {:.1}ms bw {}Mbps loss {}bps epoch {}",
        record.node_id,
        record.operator,
        record.leaf_index,
        record.gpu_model,
        record.gpu_count,
        tier_name(record.tier),
        record.cuda.major,
        record.cuda.minor,
        record.region,
        status_name(record.status),
        record.score,
        f64::from(record.metrics.verified_centi_tflops) / 100.0,
        f64::from(record.metrics.rtt_us) / 1000.0,
        record.metrics.bandwidth_mbps,
        record.metrics.packet_loss_bps,
        record.last_attested_epoch,
    )
}

/// "0.01" for 10,000,000 lamports.
fn lamports_as_sol(lamports: u64) -> String {
    let text = format!("{}.{:09}", lamports / 1_000_000_000, lamports % 1_000_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Runs one registry command; returns what to print.
pub fn run(chain: &mut impl Chain, command: RegistryCommand) -> anyhow::Result<String> {
    let mut out = String::new();
    match command {
        RegistryCommand::Status => {
            let (config, _) = all_trees(chain)?;
            let now = chain.unix_time()?;
            writeln!(out, "authority        {}", config.authority)?;
            if let Some(pending) = config.pending_authority {
                writeln!(out, "pending authority {pending}")?;
            }
            writeln!(out, "oracle quorum    {} of {}", config.threshold, config.oracles.len())?;
            for oracle in &config.oracles {
                writeln!(out, "  oracle         {oracle}")?;
            }
            writeln!(out, "epoch            {} ({}s each)", config.current_epoch(now)?, config.epoch_length_secs)?;
            writeln!(out, "trees opened     {}", config.trees.len())?;
            let r = config.registration;
            writeln!(
                out,
                "registration     deposit {} SOL per node (refunded at retirement), at most {} pending nodes per operator",
                lamports_as_sol(r.deposit_lamports),
                r.max_pending_per_operator
            )?;
            if r.tree_max_depth > 0 {
                writeln!(
                    out,
                    "open-tree        anyone, once the active tree is {}% full: depth {}, buffer {}, canopy {}",
                    f64::from(r.open_tree_fill_bps) / 100.0,
                    r.tree_max_depth,
                    r.tree_max_buffer_size,
                    r.tree_canopy_depth
                )?;
            }
            writeln!(
                out,
                "forfeited        {} SOL of deposits awaiting the authority's sweep",
                lamports_as_sol(config.forfeited_lamports)
            )?;
            if config.active_tree != Pubkey::default() {
                let tree: TreeConfig = fetch(chain, &pda::tree_config(&config.active_tree))?;
                writeln!(
                    out,
                    "active tree      {} ({} of {} leaves, depth {}, canopy {})",
                    config.active_tree, tree.num_nodes, tree.capacity, tree.max_depth, tree.canopy_depth
                )?;
            }
        }
        RegistryCommand::Catalogue => {
            let catalogue: GpuCatalogue = fetch(chain, &pda::gpu_catalogue())?;
            writeln!(out, "{:>3}  {:<16} {:<11} {:>8}  {:>8}  active", "id", "model", "tier", "TFLOPS", "min CUDA")?;
            for m in catalogue.models {
                writeln!(
                    out,
                    "{:>3}  {:<16} {:<11} {:>8.2}  {:>5}.{:<2}  {}",
                    m.id,
                    m.name,
                    tier_name(m.tier),
                    f64::from(m.expected_centi_tflops) / 100.0,
                    m.min_cuda.major,
                    m.min_cuda.minor,
                    if m.active { "yes" } else { "retired" }
                )?;
            }
        }
        RegistryCommand::Nodes { operator, indexer } => {
            if let Some(records) = indexer
                .map(|url| crate::indexer_read::through_indexer(&url, |api| nodes_from_indexer(api, operator)))
                .transpose()?
                .flatten()
            {
                for record in records? {
                    writeln!(out, "{}", describe(&record))?;
                }
                return Ok(out);
            }
            let (_, trees) = all_trees(chain)?;
            let client = RegistryClient::sync(chain, &trees)?;
            for (_, record) in client.records().filter(|(_, r)| operator.is_none_or(|o| r.operator == o)) {
                writeln!(out, "{}", describe(record))?;
            }
        }
        RegistryCommand::Register(args) => {
            let operator = read_keypair(&args.operator)?;
            let node = read_keypair(&args.node)?;
            let spec = hardware_spec(chain, &args.hardware)?;
            // An append needs no proof: no history replay.
            let record = io_sdk::network::register_node(chain, &operator, &node, spec)?;
            writeln!(out, "registered {}", describe(&record))?;
        }
        RegistryCommand::Update(args) => {
            let operator = read_keypair(&args.operator)?;
            let spec = hardware_spec(chain, &args.hardware)?;
            let mut client = synced(chain)?;
            let record = client.update(chain, &operator, &args.node, spec)?;
            writeln!(out, "updated {}", describe(&record))?;
        }
        RegistryCommand::Retire { operator, node } => {
            let operator = read_keypair(&operator)?;
            let mut client = synced(chain)?;
            let record = client.retire(chain, &operator, &node)?;
            writeln!(out, "retired {}", describe(&record))?;
        }
        RegistryCommand::Attest(args) => {
            let oracles: Vec<Keypair> = args.oracles.iter().map(|p| read_keypair(p)).collect::<Result<_, _>>()?;
            let verdict = match args.verdict.as_str() {
                "verified" => Verdict::Verified,
                "suspended" => Verdict::Suspended,
                other => bail!("verdict must be verified or suspended, not {other:?}"),
            };
            let metrics = NodeMetrics {
                verified_centi_tflops: parse_centi(&args.tflops)?,
                rtt_us: args.rtt_us,
                bandwidth_mbps: args.bandwidth_mbps,
                packet_loss_bps: args.loss_bps,
            };
            let epoch = match args.epoch {
                Some(epoch) => epoch,
                None => {
                    let config: RegistryConfig = fetch(chain, &pda::registry_config())?;
                    let now = chain.unix_time()?;
                    config.current_epoch(now)?
                }
            };
            let mut client = synced(chain)?;
            let gpus = match (verdict, args.gpu_uuids.is_empty()) {
                (Verdict::Suspended, _) => vec![],
                (Verdict::Verified, false) => io_sdk::gpu_ids(&args.gpu_uuids),
                (Verdict::Verified, true) => {
                    let (tree, index) = client.position(&args.node).ok_or_else(|| anyhow!("node {} is not in the registry", args.node))?;
                    let proven = client.proven_gpus(&tree, index).to_vec();
                    anyhow::ensure!(!proven.is_empty(), "name the node's GPUs with --gpu-uuid (it was never verified)");
                    proven
                }
            };
            let refs: Vec<&Keypair> = oracles.iter().collect();
            let record = client.attest(chain, &refs, &args.node, epoch, verdict, metrics, gpus)?;
            writeln!(out, "attested {}", describe(&record))?;
        }
        RegistryCommand::OpenTree => {
            let tree = RegistryClient::new().open_tree(chain)?;
            writeln!(out, "opened tree {tree} (the registry's active tree from now on)")?;
        }
        RegistryCommand::CreateTree { authority, depth, buffer, canopy } => {
            let authority = read_keypair(&authority)?;
            let shape = TreeShape { max_depth: depth, max_buffer_size: buffer, canopy_depth: canopy };
            let tree = RegistryClient::new().create_tree(chain, &authority, shape)?;
            writeln!(out, "opened tree {tree} ({} leaves, proofs of {} nodes)", shape.capacity(), shape.proof_len())?;
        }
        RegistryCommand::AddModel { authority, name, tier, tflops, min_cuda } => {
            let authority = read_keypair(&authority)?;
            let args = GpuModelArgs {
                name,
                tier: parse_tier(&tier)?,
                expected_centi_tflops: parse_centi(&tflops)?,
                min_cuda: parse_cuda(&min_cuda)?,
            };
            chain.send(&[io_sdk::registry::add_gpu_model(&authority.pubkey(), args)], &[&authority])?;
            writeln!(out, "added")?;
        }
    }
    Ok(out)
}

/// Every leaf (of `operator`, if given) through the indexer's API, page by page.
fn nodes_from_indexer(
    api: &io_indexer::client::ApiClient,
    operator: Option<Pubkey>,
) -> Result<anyhow::Result<Vec<NodeRecord>>, io_indexer::client::ClientError> {
    let filter = operator.map_or_else(String::new, |o| format!("&operator={o}"));
    let mut views = vec![];
    let mut after = String::new();
    loop {
        let page: io_indexer::api::views::NodePage =
            api.get(&format!("/v1/nodes?limit={}{filter}{after}", io_indexer::api::nodes::MAX_PAGE))?;
        views.extend(page.nodes);
        match page.next {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    Ok(views.iter().map(|v| v.record().map(|(_, record)| record).map_err(anyhow::Error::from)).collect())
}

pub(crate) fn synced(chain: &mut impl Chain) -> anyhow::Result<RegistryClient> {
    let (_, trees) = all_trees(chain)?;
    RegistryClient::sync(chain, &trees)
}
