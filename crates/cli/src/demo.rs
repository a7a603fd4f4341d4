//! `io demo`: the whole network so far, in-process. Genesis from `migrations/`, one tree,
//! N nodes across the three tiers, audits by a 2-of-3 oracle quorum, bonds, a slash, a
//! retirement, an independent rebuild of the registry from the chain, a year of emissions
//! across the first halving with rewards claimed per tier (`demo_rewards`), the DAO (which
//! holds every config authority from genesis on) lowering the fee and vetoing a slash
//! through voted proposals (`demo_dao`), cluster payments and keeper buybacks through the
//! treasury (`demo_treasury`), real worker agents audited by the three oracle daemons on
//! loopback (`demo_poc`), and a summary.

use crate::demo_dao::{self, Dao};
use crate::demo_poc;
use crate::demo_rewards::{self, Earner};
use crate::demo_support::fund;
use crate::demo_treasury;
use crate::registry_cmd::{status_name, tier_name};
use crate::stake_cmd::format_io;
use anyhow::{ensure, Context};
use indicatif::{ProgressBar, ProgressStyle};
use io_localnet::Localnet;
use io_math::bond_required;
use io_math::h3::h3_cell_from_parts;
use io_migrations::{run_genesis, Genesis};
use io_registry::*;
use io_sdk::client::{fetch, Chain};
use io_sdk::network::RegistryClient;
use io_sdk::pda;
use io_sdk::rent::{compare_rent, sol};
use io_sdk::tree::onchain_root;
use io_sdk::{staking as sx, token};
use io_staking::{OperatorStake, SlashReason, StakingConfig};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::time::Instant;

pub struct DemoOptions {
    pub nodes: usize,
    pub operators: usize,
    pub genesis: Genesis,
    /// Where to write the bank's ledger (what an indexer reads) when the run ends: `io
    /// indexer run --ledger FILE` then serves the demo network's index after the demo.
    pub record_ledger: Option<std::path::PathBuf>,
    /// Where to write the network report (`io metrics`' table and JSON) and its plots.
    pub metrics_out: Option<std::path::PathBuf>,
}

/// Model mix of the demo fleet: (catalogue name, GPUs per node, share in percent).
const FLEET: &[(&str, u16, u32)] = &[
    ("H100", 8, 12),
    ("A100", 8, 8),
    ("H200", 8, 4),
    ("L40S", 4, 6),
    ("RTX 4090", 2, 20),
    ("RTX 3090", 2, 10),
    ("RTX A6000", 4, 4),
    ("RTX A5000", 4, 4),
    ("Apple M2 Max", 1, 12),
    ("Apple M3 Max", 1, 10),
    ("Apple M4 Pro", 1, 10),
];

pub(crate) fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec})").expect("template").progress_chars("=> ")
}

fn bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(bar_style());
    bar.set_message(what.to_string());
    bar
}

/// A deterministic pseudo-random stream, so every demo run tells the same story.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

pub fn run(options: DemoOptions) -> anyhow::Result<String> {
    let started = Instant::now();
    ensure!(options.nodes > 0 && options.operators > 0, "need at least one node and one operator");
    let mut net = Localnet::start();
    let authority = Keypair::new();
    let oracles: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    for key in std::iter::once(&authority).chain(&oracles) {
        net.airdrop(&key.pubkey(), 10_000_000_000)?;
    }
    let oracle_keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    eprintln!("genesis: registry, {} GPU models, first tree", options.genesis.gpu_models.len());
    // The Proof-of-Compute phase audits CPU workers on loopback for real: the catalogue
    // gets a model they honestly match.
    let genesis = options.genesis.clone().with_loopback_cpu_model(io_oracle::local::calibrate_loopback_cpu());
    let deployment = run_genesis(&mut net, &genesis, &authority, &oracle_keys).context("genesis")?;
    let mut registry = deployment.registry;
    let tree = deployment.first_tree;
    let (deployment_mint, deployment_tokens, deployment_treasury) = (deployment.io_mint, deployment.genesis_tokens, deployment.treasury);

    let operators: Vec<Keypair> = (0..options.operators).map(|_| Keypair::new()).collect();
    for op in &operators {
        net.airdrop(&op.pubkey(), 1_000_000_000)?;
    }
    let catalogue: GpuCatalogue = fetch(&mut net, &pda::gpu_catalogue())?;
    let model_id = |name: &str| catalogue.models.iter().find(|m| m.name == name).map(|m| m.id).expect("fleet model in catalogue");
    let total_share: u32 = FLEET.iter().map(|f| f.2).sum();

    // Each operator runs one tier's hardware (operator i: tier i mod 3), so the rewards
    // can be told apart per tier; with fewer than three operators they share every tier.
    let by_tier: Vec<Vec<usize>> = Tier::ALL
        .iter()
        .map(|t| match (0..operators.len()).filter(|i| options.operators < 3 || i % 3 == t.index()).collect::<Vec<_>>() {
            group if group.is_empty() => (0..operators.len()).collect(),
            group => group,
        })
        .collect();
    let mut next_in_tier = [0usize; 3];

    // Registration.
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut nodes: Vec<Keypair> = Vec::with_capacity(options.nodes);
    let mut node_gpus = Vec::with_capacity(options.nodes);
    let progress = bar(options.nodes, "register");
    for i in 0..options.nodes {
        let mut pick = (dice.next() % u64::from(total_share)) as u32;
        let &(model, gpus, _) = FLEET
            .iter()
            .find(|f| {
                if pick < f.2 {
                    true
                } else {
                    pick -= f.2;
                    false
                }
            })
            .expect("share");
        let apple = model.starts_with("Apple");
        // The first digit is 2..=6: valid under every base cell (a pentagon has no child in
        // direction 1, and under 0 the next digit would decide).
        let digits: Vec<u8> = (0..7).map(|i| if i == 0 { 2 + (dice.next() % 5) as u8 } else { (dice.next() % 7) as u8 }).collect();
        let uuids: Vec<String> = (0..gpus).map(|g| format!("GPU-{i:06}-{g}-{:08x}", dice.next() as u32)).collect();
        let spec = HardwareSpec {
            gpu_model: model_id(model),
            gpu_count: gpus,
            cuda: if apple { CudaVersion::default() } else { CudaVersion { major: 12, minor: 4 } },
            region: h3_cell_from_parts(7, (dice.next() % 122) as u8, &digits).expect("cell"),
            gpu_uuids_hash: io_sdk::gpu_uuids_hash(&uuids),
        };
        let node = Keypair::new();
        let tier = catalogue.models[usize::from(spec.gpu_model)].tier.index();
        let owner = by_tier[tier][next_in_tier[tier] % by_tier[tier].len()];
        next_in_tier[tier] += 1;
        // An operator's machines stand in one place: the seven resolution-7 cells of its
        // site's resolution-6 cell (within two grid steps of each other), so the cluster
        // query has nearby nodes to find.
        let spec = HardwareSpec { region: site_cell(owner, digits[6]), ..spec };
        registry.register(&mut net, &operators[owner], &node, spec)?;
        nodes.push(node);
        node_gpus.push(io_sdk::gpu_ids(&uuids));
        progress.inc(1);
    }
    progress.finish();

    // One epoch later the oracle quorum audits every node; about one in twelve fails.
    net.warp_seconds(i64::from(options.genesis.registry.epoch_length_secs));
    let config: RegistryConfig = fetch(&mut net, &pda::registry_config())?;
    let epoch = config.current_epoch(net.unix_time()?)?;
    let quorum: Vec<&Keypair> = oracles.iter().take(usize::from(config.threshold)).collect();
    let progress = bar(nodes.len(), "attest");
    let mut largest_tx = 0;
    for (node, gpus) in nodes.iter().zip(&node_gpus) {
        let record = *registry.record(&node.pubkey()).expect("registered");
        let model = &catalogue.models[usize::from(record.gpu_model)];
        let roll = dice.next() % 1000;
        let (verdict, metrics) = if roll < 80 {
            (Verdict::Suspended, NodeMetrics { verified_centi_tflops: model.expected_centi_tflops / 10, ..Default::default() })
        } else {
            let speed = 85 + (roll % 20) as u32; // 85% .. 104% of the datasheet
            let bandwidth = MIN_BANDWIDTH_MBPS[model.tier.index()].max(300) + (dice.next() % 5_000) as u32;
            (
                Verdict::Verified,
                NodeMetrics {
                    verified_centi_tflops: model.expected_centi_tflops * speed / 100,
                    rtt_us: 4_000 + (dice.next() % 120_000) as u32,
                    bandwidth_mbps: bandwidth,
                    packet_loss_bps: (dice.next() % 40) as u16,
                },
            )
        };
        let leaf = registry.proven_leaf(&node.pubkey())?;
        // Each oracle votes in its own transaction; the attestation applies the ballot.
        let proven = if verdict == Verdict::Verified { gpus.clone() } else { vec![] };
        let subject = io_sdk::registry::verdict_subject(&leaf, epoch, verdict, false, proven);
        let votes: Vec<(&Keypair, NodeMetrics)> = quorum.iter().map(|k| (*k, metrics)).collect();
        let attested = io_sdk::network::attest_by_quorum(&mut net, &leaf, &votes, &subject, &[])?;
        largest_tx = largest_tx.max(attested.largest_tx());
        registry.ingest(&attested.attestation)?;
        progress.inc(1);
    }
    progress.finish();

    // Operators bond $IO for their verified GPUs: most cover their bond with 10% to spare,
    // the last one covers only half (and earns half the weight).
    let staking_config: StakingConfig = fetch(&mut net, &pda::staking_config())?;
    let params = staking_config.params;
    let now = net.unix_time()?;
    let mut bonds = Vec::with_capacity(operators.len());
    let mut token_accounts = Vec::with_capacity(operators.len());
    for (i, op) in operators.iter().enumerate() {
        // An operator all of whose nodes failed registration has no aggregate account.
        let stats: Option<OperatorStats> = io_sdk::client::fetch_opt(&mut net, &pda::operator_stats(&op.pubkey()))?;
        let hardware = stats.map(|s| io_sdk::rewards::counted_hardware(&s, now)).unwrap_or_default();
        let required = bond_required(&hardware, &params.tiers()).context("bond overflow")?;
        let amount = if i + 1 == operators.len() { required / 2 } else { required + required / 10 }.max(1);
        let tokens = fund(&mut net, (&deployment_mint, &deployment_tokens, &authority), op, amount)?;
        net.send(&[sx::deposit(&op.pubkey(), &deployment_mint, &tokens, amount)], &[op])?;
        bonds.push(required);
        token_accounts.push(tokens);
    }

    // The oracles caught a node spoofing its hardware: they propose a slash of 10% of its
    // operator's stake, nobody vetoes in the challenge window, a keeper executes it.
    let spoofer = nodes
        .iter()
        .map(|n| *registry.record(&n.pubkey()).expect("registered"))
        .find(|r| r.status == NodeStatus::Suspended)
        .map(|r| r.operator)
        .unwrap_or(operators[0].pubkey());
    let stake: OperatorStake = fetch(&mut net, &pda::operator_stake(&spoofer))?;
    let slash_amount = stake.bonded / 10;
    let supply_before = token_supply(&mut net, &deployment_mint)?;
    let id = staking_config.next_slash_id;
    let keys: Vec<Pubkey> = quorum.iter().map(|k| k.pubkey()).collect();
    let payer = net.payer();
    let evidence = anchor_lang::solana_program::keccak::hash(b"uuid mismatch in handshake").to_bytes();
    net.send(&[sx::propose_slash(&payer, &spoofer, id, slash_amount, SlashReason::SpoofedHardware, evidence, &keys)], &quorum)?;
    net.warp_seconds(i64::from(params.challenge_secs));
    net.send(&[sx::execute_slash(&spoofer, id, &deployment_mint, &deployment_treasury)], &[])?;
    let burned = supply_before - token_supply(&mut net, &deployment_mint)?;

    // An operator retires its first node; anyone refreshes its weight.
    let retiring = nodes[0].pubkey();
    let record = *registry.record(&retiring).expect("registered");
    let owner = operators.iter().find(|k| k.pubkey() == record.operator).expect("the node's operator");
    let retired = registry.retire(&mut net, owner, &retiring)?;
    net.send(&[sx::refresh_weight(&owner.pubkey())], &[])?;
    let before_retirement = record.status;

    // An indexer that saw nothing rebuilds the registry from the chain alone.
    let rebuilt = RegistryClient::sync(&mut net, &[tree])?;
    let onchain = onchain_root(&net.account_data(&tree)?.context("tree account")?).context("tree root")?;
    let rebuilt_root = rebuilt.trees[&tree].mirror.root();
    ensure!(rebuilt_root == onchain, "rebuilt root differs from the on-chain root");
    ensure!(rebuilt.trees[&tree].mirror.records() == registry.trees[&tree].mirror.records(), "rebuilt records differ");

    // A year of emissions and a week more: daily cranks, the halving, claims per tier.
    let earners: Vec<Earner> = operators.iter().zip(&token_accounts).map(|(key, tokens)| Earner { key, tokens: *tokens }).collect();
    let mut oracles_round = demo_rewards::Reaudit { registry: &mut registry, quorum: &quorum };
    let emissions = demo_rewards::run(&mut net, &earners, &deployment_mint, &mut oracles_round)?;
    let emissions_report = emissions.report(&mut net, &deployment_mint, burned)?;

    // The DAO, which holds every config since genesis, lowers the fee and vetoes a slash.
    let dao = Dao::new(&mut net, &operators, (&deployment_mint, &deployment_tokens, &authority)).context("DAO proposer")?;
    let dao_report = demo_dao::run(&mut net, &dao, &quorum, &spoofer).context("DAO")?;

    // Enterprises pay for clusters; a keeper burns $IO bought on the market for the pool.
    let treasury_report = demo_treasury::run(&mut net, &dao, &authority, &deployment_mint, &deployment_tokens).context("treasury")?;

    // Real worker agents and oracle daemons on loopback.
    eprintln!("proof-of-compute: 3 oracle daemons, 5 worker agents on loopback");
    let poc_report = demo_poc::run(&mut net, &oracles, (&deployment_mint, &deployment_tokens, &authority)).context("proof of compute")?;

    let slash = DemoSlash { operator: spoofer, amount: slash_amount, burned };
    let run = DemoRun {
        registry: rebuilt,
        tree,
        retired: (before_retirement, retired),
        largest_tx,
        started,
        root: onchain,
        operators: operators.iter().map(|k| k.pubkey()).zip(bonds).collect(),
        slash,
        emissions_report,
        dao_report,
        treasury_report,
        poc_report,
    };
    if let Some(path) = &options.record_ledger {
        std::fs::remove_file(path).ok();
        let transactions = io_indexer::Source::after(&mut net, None, usize::MAX)?;
        io_indexer::ledger_file::append(path, &transactions)?;
    }
    summary(&mut net, &options, run)
}

/// What the demo did, for its summary.
struct DemoRun {
    /// The registry as rebuilt from the chain alone.
    registry: RegistryClient,
    tree: Pubkey,
    /// The retired node's status before retirement, and its final record.
    retired: (NodeStatus, NodeRecord),
    largest_tx: usize,
    started: Instant,
    root: [u8; 32],
    /// Each operator and the bond its verified GPUs needed when it staked.
    operators: Vec<(Pubkey, u64)>,
    slash: DemoSlash,
    /// The emissions year's report, its invariants already checked.
    emissions_report: String,
    /// The DAO phase's report, its outcome already checked.
    dao_report: String,
    /// The treasury phase's report, its invariants already checked.
    treasury_report: String,
    /// The Proof-of-Compute phase's report, its outcome already checked.
    poc_report: String,
}

struct DemoSlash {
    operator: Pubkey,
    amount: u64,
    burned: u64,
}

fn token_supply(net: &mut Localnet, mint: &Pubkey) -> anyhow::Result<u64> {
    token::supply(&net.account_data(mint)?.context("mint")?).context("not a mint")
}

fn summary(net: &mut Localnet, options: &DemoOptions, run: DemoRun) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let DemoRun {
        registry,
        tree,
        retired: (previous, retired),
        largest_tx,
        started,
        root,
        operators,
        slash,
        emissions_report,
        dao_report,
        treasury_report,
        poc_report,
    } = run;
    let tree = &tree;
    let mut out = String::new();
    let tree_config: TreeConfig = fetch(net, &pda::tree_config(tree))?;
    let mut table = [[0u32; NodeStatus::COUNT]; 3];
    let mut gpus = [0u32; 3];
    let mut score_sum = [0u64; 3];
    for (_, r) in registry.records() {
        table[r.tier.index()][r.status.index()] += 1;
        if r.status == NodeStatus::Verified {
            gpus[r.tier.index()] += u32::from(r.gpu_count);
            score_sum[r.tier.index()] += u64::from(r.score);
        }
    }
    writeln!(out, "\n$IO network demo: {} nodes, {} operators, 2-of-3 oracle quorum\n", options.nodes, options.operators)?;
    writeln!(
        out,
        "{:<12} {:>8} {:>9} {:>10} {:>8} {:>14} {:>10}",
        "tier", "pending", "verified", "suspended", "retired", "verified GPUs", "avg score"
    )?;
    for tier in Tier::ALL {
        let row = table[tier.index()];
        let verified = row[NodeStatus::Verified.index()];
        let avg = if verified > 0 { score_sum[tier.index()] / u64::from(verified) } else { 0 };
        writeln!(
            out,
            "{:<12} {:>8} {:>9} {:>10} {:>8} {:>14} {:>9.2}%",
            tier_name(tier),
            row[0],
            row[1],
            row[2],
            row[3],
            gpus[tier.index()],
            avg as f64 / 100.0
        )?;
    }
    writeln!(out, "\nretired: node {} ({} -> {})", retired.node_id, status_name(previous), status_name(retired.status))?;
    writeln!(
        out,
        "tree: {} of {} leaves used ({:.4}%), depth {}, buffer {}, canopy {}",
        tree_config.num_nodes,
        tree_config.capacity,
        tree_config.num_nodes as f64 * 100.0 / tree_config.capacity as f64,
        tree_config.max_depth,
        tree_config.max_buffer_size,
        tree_config.canopy_depth
    )?;
    writeln!(out, "root rebuilt from noop events alone: {} (matches the tree account)", bs58::encode(root).into_string())?;
    writeln!(out, "largest attestation transaction: {largest_tx} of 1232 bytes")?;
    let first_operator = operators.first().map(|(key, _)| *key).unwrap_or_default();
    writeln!(out, "{}", crate::demo_index::index(net, tree, &first_operator, &options.genesis, options.metrics_out.as_deref())?)?;

    let config: StakingConfig = fetch(net, &pda::staking_config())?;
    writeln!(
        out,
        "\nstaking: {} IO bonded by {} operators, total weight {}",
        format_io(config.total_bonded),
        operators.len(),
        config.total_weight
    )?;
    writeln!(out, "{:<12} {:>16} {:>16} {:>16} {:>8}", "operator", "bond needed", "bonded", "weight", "share")?;
    for (operator, needed) in &operators {
        let stake: OperatorStake = fetch(net, &pda::operator_stake(operator))?;
        let share = if config.total_weight > 0 { stake.weight as f64 * 100.0 / config.total_weight as f64 } else { 0.0 };
        writeln!(
            out,
            "{:<12} {:>16} {:>16} {:>16} {:>7.2}%",
            format!("{}..", &operator.to_string()[..8]),
            format_io(*needed),
            format_io(stake.bonded),
            stake.weight,
            share
        )?;
    }
    writeln!(
        out,
        "slash: {} IO of {}.. for spoofed hardware, executed after the challenge window; {} IO burned",
        format_io(slash.amount),
        &slash.operator.to_string()[..8],
        format_io(slash.burned)
    )?;
    out += &emissions_report;
    out += &dao_report;
    out += &treasury_report;
    out += &poc_report;
    if let Some(compute) = crate::compute_report::report(net)? {
        out += &compute;
    }

    let rent = net.rent()?;
    writeln!(out, "\nrent: compressed registry vs one account per node")?;
    writeln!(out, "{:>10}  {:>16}  {:>16}  {:>16}  {:>8}", "nodes", "tree (SOL)", "accounts (SOL)", "per node (SOL)", "saving")?;
    let mut rows = vec![options.nodes as u64, 10_000, 1_000_000];
    rows.dedup();
    for n in rows {
        if let Some(c) = compare_rent(n, &rent) {
            writeln!(
                out,
                "{:>10}  {:>16.4}  {:>16.4}  {:>7.7} / {:.5}  {:>7.0}x",
                n,
                sol(c.compressed_lamports),
                sol(c.accounts_lamports),
                c.per_node_compressed() / 1e9,
                c.per_node_accounts() / 1e9,
                c.ratio()
            )?;
        }
    }
    writeln!(out, "(the demo's own tree is the reference 2^20 shape; the rows size the tree to the node count)")?;
    writeln!(out, "\n{} transactions in {:.1}s", net.transactions, started.elapsed().as_secs_f64())?;
    Ok(out)
}

/// Operator `owner`'s site: a resolution-6 cell fixed by its number; `last` (0..=6) picks
/// one of its seven resolution-7 children.
fn site_cell(owner: usize, last: u8) -> u64 {
    let base = (owner * 37 + 5) % 122;
    let digits = [2 + (owner % 5) as u8, ((owner / 5) % 7) as u8, ((owner / 35) % 7) as u8, 3, 5, 1, last % 7];
    h3_cell_from_parts(7, base as u8, &digits).expect("cell")
}
