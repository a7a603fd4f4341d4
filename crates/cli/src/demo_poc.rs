//! The demo's Proof-of-Compute phase: real worker agents and the three oracle daemons
//! (2-of-3), all on loopback over gRPC, with the embedded bank as their chain. Six nodes
//! of one operator: three honest CPU workers, one that reports GPU UUIDs not in its
//! record, one that registered as an H100, and one CPU registered as eight GPUs. The
//! oracles audit them (handshake, one stress test per claimed GPU in one window with
//! sampled blocks checked, network), commit verdicts with the quorum's median metrics and
//! slash proposals, then one honest worker goes dark and is suspended for its missed
//! heartbeats.

use crate::demo_support::fund;
use crate::stake_cmd::format_io;
use anyhow::{ensure, Context};
use io_localnet::Localnet;
use io_math::h3::h3_cell_from_parts;
use io_migrations::LOOPBACK_CPU_MODEL;
use io_oracle::local::LocalOracleSet;
use io_oracle::view::ChainView;
use io_oracle::{chain_port, AuditHistory, OracleSettings};
use io_poc::netaudit::ProbeServer;
use io_poc::CpuBackend;
use io_registry::{CudaVersion, GpuCatalogue, HardwareSpec, NodeStatus, RegistryConfig};
use io_sdk::client::{fetch, Chain};
use io_sdk::network::RegistryClient;
use io_sdk::pda;
use io_staking::{SlashReason, StakingConfig};
use io_worker::process::AgentProcess;
use io_worker::{Conduct, Inventory, WorkerAgent};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The six workers: what each does, whether it registered as an H100, and how many GPUs
/// it registered (each is one CPU).
const CAST: [(&str, bool, u16); 6] = [
    ("honest", false, 1),
    ("honest", false, 1),
    ("honest, then goes dark", false, 1),
    ("reports foreign GPU UUIDs", false, 1),
    ("registered as an H100", true, 1),
    ("one CPU registered as 8", false, 8),
];

fn settings() -> OracleSettings {
    io_oracle::local::loopback_settings()
}

fn uuids(i: usize) -> Vec<String> {
    (0..CAST[i].2).map(|g| format!("GPU-loopback-demo-{i}-{g}")).collect()
}

pub(crate) fn run(net: &mut Localnet, oracles: &[Keypair], funds: (&Pubkey, &Pubkey, &Keypair)) -> anyhow::Result<String> {
    let started = Instant::now();
    let operator = Keypair::new();
    net.airdrop(&operator.pubkey(), 1_000_000_000)?;
    let bond = 100_000 * 10u64.pow(u32::from(io_emissions::IO_DECIMALS));
    let tokens = fund(net, funds, &operator, bond)?;
    net.send(&[io_sdk::staking::deposit(&operator.pubkey(), funds.0, &tokens, bond)], &[&operator])?;

    let catalogue: GpuCatalogue = fetch(net, &pda::gpu_catalogue())?;
    let model =
        |name: &str| catalogue.models.iter().find(|m| m.name == name).map(|m| m.id).with_context(|| format!("{name} in the catalogue"));
    let (loopback, h100) = (model(LOOPBACK_CPU_MODEL)?, model("H100")?);
    let loopback_rating = catalogue.models.iter().find(|m| m.id == loopback).map_or(0, |m| m.expected_centi_tflops);
    let config: RegistryConfig = fetch(net, &pda::registry_config())?;
    let mut registry = RegistryClient::sync(net, &config.trees)?;
    let mut workers = vec![];
    let mut keys = vec![];
    for (i, (_, claims_h100, gpus)) in CAST.iter().enumerate() {
        let key = Keypair::new();
        let ids = uuids(i);
        let conduct = if i == 3 { Conduct::ForeignUuids(vec!["GPU-somebody-elses".into()]) } else { Conduct::Honest };
        let declared: Vec<&str> = ids.iter().map(String::as_str).collect();
        let inventory = Inventory::declared("loopback cpu", &declared, 1 << 30, "", (0, 0));
        let probe = ProbeServer::bind("127.0.0.1:0".parse()?)?;
        let agent = WorkerAgent::with_conduct(key.insecure_clone(), inventory, Arc::new(CpuBackend), probe, conduct);
        workers.push(AgentProcess::start(agent, "127.0.0.1:0".parse()?)?);
        let digits = [1, 2, 3, 4, 5, 6, i as u8 % 7];
        let spec = HardwareSpec {
            gpu_model: if *claims_h100 { h100 } else { loopback },
            gpu_count: *gpus,
            cuda: CudaVersion { major: 12, minor: 4 },
            region: h3_cell_from_parts(7, 20, &digits).context("cell")?,
            gpu_uuids_hash: io_sdk::gpu_uuids_hash(&ids),
        };
        registry.register(net, &operator, &key, spec)?;
        keys.push(key);
    }
    let nodes: Vec<Pubkey> = keys.iter().map(|k| k.pubkey()).collect();
    let epoch = config.current_epoch(net.unix_time()?).map_err(|e| anyhow::anyhow!("{e}"))?;

    // The oracles run in their own runtime; the bank stays on this thread and serves them.
    let dir = std::env::temp_dir().join(format!("io-demo-oracles-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let histories = (0..oracles.len()).map(|i| AuditHistory::open(&dir.join(format!("oracle-{i}.redb")))).collect::<Result<Vec<_>, _>>()?;
    let oracle_keys: Vec<Keypair> = oracles.iter().map(|k| k.insecure_clone()).collect();
    let (port, desk) = chain_port();
    let endpoints: Vec<String> = workers.iter().map(|w| w.endpoint.clone()).collect();
    let scenario = std::thread::spawn({
        let nodes = nodes.clone();
        move || -> anyhow::Result<Scenario> {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let result = runtime.block_on(async {
                let set = LocalOracleSet::start(&oracle_keys, &port, histories, &settings()).await?;
                for (key, endpoint) in keys.iter().zip(&endpoints) {
                    for oracle in &set.endpoints {
                        io_worker::enroll::enroll(key, endpoint, oracle).await?;
                    }
                }
                let all_attested = |v: &ChainView| nodes.iter().all(|n| v.record(n).is_some_and(|r| r.last_attested_epoch == epoch));
                let audits = set.cycle_until(&port, 40, Duration::from_millis(100), all_attested).await.map_err(failure)?;
                // Worker 2 goes dark.
                let dark = workers.remove(2);
                dark.kill();
                tokio::time::sleep(settings().heartbeat_interval * (settings().missed_beats + 1)).await;
                let dark_suspended = |v: &ChainView| v.record(&nodes[2]).is_some_and(|r| r.status == NodeStatus::Suspended);
                let liveness = set.cycle_until(&port, 40, Duration::from_millis(100), dark_suspended).await.map_err(failure)?;
                let metrics: Vec<String> = set.daemons.iter().map(|d| d.metrics().render()).collect();
                set.shutdown();
                anyhow::Ok(Scenario { reports: audits.into_iter().chain(liveness).collect(), metrics })
            });
            drop(workers);
            runtime.shutdown_timeout(Duration::from_secs(1));
            result
        }
    });
    desk.serve(net);
    let scenario = scenario.join().map_err(|_| anyhow::anyhow!("the oracle thread panicked"))??;
    std::fs::remove_dir_all(&dir).ok();

    // What landed.
    let registry = RegistryClient::sync(net, &config.trees)?;
    let staking: StakingConfig = fetch(net, &pda::staking_config())?;
    let slashes: Vec<(Pubkey, SlashReason, u64)> = scenario.reports.iter().flat_map(|r| r.slashed.clone()).collect();
    let mut out = String::new();
    writeln!(out, "\nProof-of-Compute on loopback: 3 oracle daemons (2-of-3) audit {} worker agents over gRPC", CAST.len())?;
    writeln!(out, "(this machine's CPU was rated {:.2} TFLOPS for the loopback model)", f64::from(loopback_rating) / 100.0)?;
    writeln!(out, "{:<12} {:<26} {:<10} {:>7} {:>8} {:>7} {:>5}  slash", "node", "worker", "verdict", "TFLOPS", "RTT us", "Mbps", "loss")?;
    for (i, node) in nodes.iter().enumerate() {
        let r = registry.record(node).context("node vanished")?;
        let slash = slashes
            .iter()
            .find(|(n, _, _)| n == node)
            .map_or("-".to_string(), |(_, reason, amount)| format!("{} IO ({reason:?})", format_io(*amount)));
        writeln!(
            out,
            "{:<12} {:<26} {:<10} {:>7.2} {:>8} {:>7} {:>5}  {slash}",
            format!("{}..", &node.to_string()[..8]),
            CAST[i].0,
            crate::registry_cmd::status_name(r.status),
            f64::from(r.metrics.verified_centi_tflops) / 100.0,
            r.metrics.rtt_us,
            r.metrics.bandwidth_mbps,
            r.metrics.packet_loss_bps
        )?;
    }
    let count = |series: &str| -> u64 {
        scenario.metrics.iter().flat_map(|m| m.lines()).filter_map(|l| l.strip_prefix(series)?.trim().parse::<u64>().ok()).sum()
    };
    writeln!(
        out,
        "oracles: {} audits (lead and peer), {} reviews agreed, {} refused, {} co-signatures, {} heartbeats; {} slash proposals pending the challenge window",
        count("io_oracle_audits_total{result=\"verified\"}") + count("io_oracle_audits_total{result=\"failed\"}"),
        count("io_oracle_reviews_total{result=\"agreed\"}"),
        count("io_oracle_reviews_total{result=\"refused\"}"),
        count("io_oracle_cosign_total{result=\"signed\"}"),
        count("io_oracle_heartbeats_total"),
        slashes.len()
    )?;
    let pending: u64 = (staking.next_slash_id.saturating_sub(slashes.len() as u64)..staking.next_slash_id)
        .map(|id| fetch::<io_staking::SlashProposal>(net, &pda::slash_proposal(id)).map(|p| p.amount))
        .sum::<anyhow::Result<u64>>()?;
    writeln!(
        out,
        "(stress test n = {} per claimed GPU, {} blocks opened per GPU; metrics are the quorum's median; phase took {:.1}s)",
        io_oracle::local::LOOPBACK_N,
        settings().audit.openings,
        started.elapsed().as_secs_f64()
    )?;

    // The outcome the phase promises.
    let status = |i: usize| registry.record(&nodes[i]).map(|r| r.status);
    ensure!(status(0) == Some(NodeStatus::Verified) && status(1) == Some(NodeStatus::Verified), "honest workers not verified:\n{out}");
    ensure!((2..CAST.len()).all(|i| status(i) == Some(NodeStatus::Suspended)), "a cheat or the dark worker is not suspended:\n{out}");
    ensure!(
        slashes.len() == 3 && slashes.iter().all(|(n, reason, _)| nodes[3..].contains(n) && *reason == SlashReason::SpoofedHardware),
        "expected three slash proposals for spoofed hardware:\n{out}"
    );
    ensure!(pending == slashes.iter().map(|s| s.2).sum::<u64>(), "the slash proposals on-chain differ from the oracles' reports");
    Ok(out)
}

struct Scenario {
    reports: Vec<io_oracle::CycleReport>,
    metrics: Vec<String>,
}

fn failure(reports: Vec<io_oracle::CycleReport>) -> anyhow::Error {
    let failed: Vec<String> = reports.iter().flat_map(|r| r.failed.iter().map(|(n, why)| format!("{n}: {why}"))).collect();
    anyhow::anyhow!("the oracles did not finish: {}", failed.join("; "))
}
