//! `io worker ...` and `io audit`: the worker agent beside the GPUs, and one
//! Proof-of-Compute audit of a registered node from the command line (stages 1 to 4; the
//! quorum attestation is the oracle daemon's, still to come).

use crate::registry_cmd::read_keypair;
use anyhow::Context;
use clap::{Args, Subcommand};
use io_oracle::{audit_node, AuditOutcome, AuditSettings, NodeUnderAudit};
use io_poc::handshake::ChallengeLedger;
use io_poc::netaudit::ProbeServer;
use io_proto::v1::worker_server::WorkerServer;
use io_registry::GpuCatalogue;
use io_sdk::client::{fetch, Chain};
use io_sdk::pda;
use io_worker::{inventory, WorkerAgent};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use std::fmt::Write as _;
use std::net::SocketAddr;

#[derive(Subcommand, Debug)]
pub enum WorkerCommand {
    /// Serve the oracle's audits until interrupted.
    Run(WorkerRunArgs),
    /// Print what the agent would report: accelerators, driver, CUDA, where it came from.
    Inventory,
}

#[derive(Args, Debug)]
pub struct WorkerRunArgs {
    /// The node key (Solana CLI keypair file): the key in the node's registry record.
    #[arg(long)]
    pub node_key: String,
    /// gRPC address of the agent.
    #[arg(long, default_value = "0.0.0.0:7700")]
    pub listen: SocketAddr,
    /// Address of the network probe server (TCP and UDP).
    #[arg(long, default_value = "0.0.0.0:7701")]
    pub probe_listen: SocketAddr,
    /// An oracle of the set to enroll with, e.g. http://oracle-1:7800 (repeat for each).
    #[arg(long = "oracle")]
    pub oracles: Vec<String>,
    /// The endpoint oracles reach this agent at (default: http://<listen>; required when
    /// listening on an unspecified address and enrolling).
    #[arg(long)]
    pub advertise: Option<String>,
    /// The probe TCP port oracles are told, when a port forwarded to the probe server is
    /// not its own (default: the probe server's port).
    #[arg(long)]
    pub advertise_probe_port: Option<u16>,
}

impl WorkerRunArgs {
    /// Where oracles reach the agent.
    pub fn advertised(&self) -> anyhow::Result<String> {
        match &self.advertise {
            Some(endpoint) => Ok(endpoint.clone()),
            None if self.listen.ip().is_unspecified() && !self.oracles.is_empty() => {
                anyhow::bail!("--advertise is required to enroll when listening on {}", self.listen)
            }
            None => Ok(format!("http://{}", self.listen)),
        }
    }
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// The node's registry key.
    pub node: Pubkey,
    /// The worker agent's gRPC endpoint, e.g. http://10.0.0.5:7700.
    #[arg(long)]
    pub endpoint: String,
    #[command(flatten)]
    pub tuning: AuditTuning,
}

/// How an audit is run: shared by `io audit` and `io oracle run`.
#[derive(Args, Clone, Debug)]
pub struct AuditTuning {
    /// Stress-test size (default: sized for the node's GPU model).
    #[arg(long)]
    pub stress_n: Option<u32>,
    /// Blocks of each GPU's product opened and checked: a worker faking a fraction f of
    /// its product escapes with probability (1-f)^openings.
    #[arg(long, default_value_t = io_poc::stress::DEFAULT_OPENINGS)]
    pub openings: u32,
    /// Also stream one whole product and check all of it (a second look at a suspect
    /// node; 4 n^2 bytes of transfer).
    #[arg(long)]
    pub second_look: bool,
    /// The second look's Freivalds check: a wrong product passes with probability at
    /// most 2^-k.
    #[arg(long, default_value_t = 24)]
    pub k: u32,
    /// Share of the model's expected TFLOPS a node must reach, basis points.
    #[arg(long, default_value_t = 5_000)]
    pub min_speed_bps: u16,
}

impl AuditTuning {
    /// The audit settings, refused before any audit when no audit could run with them.
    pub fn settings(&self) -> anyhow::Result<AuditSettings> {
        let settings = AuditSettings {
            stress_n: self.stress_n,
            openings: self.openings,
            second_look: self.second_look,
            soundness_bits: self.k,
            min_speed_share_bps: self.min_speed_bps,
            ..AuditSettings::default()
        };
        settings.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(settings)
    }
}

pub fn inventory_report() -> String {
    let found = inventory();
    let mut out = format!("source   {:?}\n", found.source);
    for a in &found.accelerators {
        let _ = writeln!(out, "device   {} ({}, {} MiB)", a.name, a.uuid, a.memory_bytes >> 20);
    }
    let _ = writeln!(out, "driver   {}", if found.driver_version.is_empty() { "-" } else { &found.driver_version });
    let _ = writeln!(out, "cuda     {}.{}", found.cuda.0, found.cuda.1);
    if let Some(why) = &found.nvml_error {
        let _ = writeln!(out, "nvml     not used: {why}");
    }
    out
}

/// The wait before enrolling again with an oracle that refused or was out of reach: an
/// oracle takes one enrollment per node every 5 s, so sooner would only be refused again.
const ENROLL_FIRST_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// The longest wait between two enrollment tries (the wait doubles up to it).
const ENROLL_MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Serves the agent until Ctrl-C.
pub fn run_worker(args: WorkerRunArgs) -> anyhow::Result<()> {
    let key = read_keypair(&args.node_key)?;
    let node = key.pubkey();
    let probe = ProbeServer::bind(args.probe_listen).with_context(|| format!("probe server on {}", args.probe_listen))?;
    let (tcp, udp) = (probe.tcp_addr(), probe.udp_addr());
    print!("{}", inventory_report());
    let advertised = args.advertised()?;
    let (devices, why_not_gpu) = io_worker::all_backends();
    for device in &devices {
        match &why_not_gpu {
            None => println!("backend  {}", device.name()),
            Some(why) => println!("backend  {} (GPU backend not used: {why})", device.name()),
        }
    }
    let enroll_key = key.insecure_clone();
    let mut agent = WorkerAgent::with_devices(key, inventory(), devices, probe, io_worker::Conduct::Honest);
    if let Some(port) = args.advertise_probe_port {
        agent = agent.advertising_probe_port(port);
    }
    println!("node {node}: gRPC on {}, probes on tcp {tcp} / udp {udp}", args.listen);
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let server = tokio::spawn(tonic::transport::Server::builder().add_service(WorkerServer::new(agent)).serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
        ));
        // Serving before enrolling: an oracle may start auditing at once. Each oracle is
        // tried until it accepts, on a task of its own, so one that is down or has not
        // seen the node yet holds up none of the others.
        for oracle in args.oracles.clone() {
            let (key, advertised) = (enroll_key.insecure_clone(), advertised.clone());
            tokio::spawn(async move {
                let report = |e: &io_worker::enroll::EnrollError, wait: std::time::Duration| {
                    eprintln!("enrollment: {e}; next try in {} s", wait.as_secs())
                };
                let accepted =
                    io_worker::enroll::enroll_until_accepted(&key, &advertised, &oracle, ENROLL_FIRST_WAIT, ENROLL_MAX_WAIT, report).await;
                println!("enrolled with oracle {accepted} at {oracle} as {advertised}");
            });
        }
        server.await??;
        anyhow::Ok(())
    })?;
    Ok(())
}

/// One audit of `args.node` through its agent, against its registry record and model.
pub fn run_audit(chain: &mut impl Chain, args: AuditArgs) -> anyhow::Result<String> {
    let registry = crate::registry_cmd::synced(chain)?;
    let record = *registry.record(&args.node).with_context(|| format!("node {} is not in the registry", args.node))?;
    let catalogue: GpuCatalogue = fetch(chain, &pda::gpu_catalogue())?;
    let model = catalogue.models.iter().find(|m| m.id == record.gpu_model).context("the node's model is not in the catalogue")?;
    let node = NodeUnderAudit {
        node: args.node,
        gpu_uuids_hash: record.gpu_uuids_hash,
        gpu_count: record.gpu_count,
        expected_centi_tflops: model.expected_centi_tflops,
    };
    let settings = args.tuning.settings()?;
    let oracle = chain.payer();
    let outcome =
        tokio::runtime::Runtime::new()?.block_on(audit_node(&oracle, &args.endpoint, &node, &mut ChallengeLedger::default(), &settings));
    Ok(describe_audit(&node, &model.name, &outcome))
}

pub fn describe_audit(node: &NodeUnderAudit, model: &str, outcome: &AuditOutcome) -> String {
    let m = outcome.metrics;
    let mut out = format!("audit of {} ({model}, expected {:.2} TFLOPS)\n", node.node, f64::from(node.expected_centi_tflops) / 100.0);
    let _ = writeln!(out, "backend   {}", if outcome.backend.is_empty() { "-" } else { &outcome.backend });
    let _ = writeln!(
        out,
        "stress    n = {}, {} GPU(s), {:.1} ms to the last root, {:.2} TFLOPS per GPU measured, {} KiB received",
        outcome.stress_n,
        node.gpu_count,
        outcome.stress_elapsed.as_secs_f64() * 1e3,
        f64::from(m.verified_centi_tflops) / 100.0,
        outcome.stress_bytes >> 10,
    );
    if outcome.gpu_centi_tflops.len() > 1 {
        let each: Vec<String> = outcome.gpu_centi_tflops.iter().map(|c| format!("{:.2}", f64::from(*c) / 100.0)).collect();
        let _ = writeln!(out, "per GPU   {} TFLOPS", each.join(", "));
    }
    let _ = writeln!(out, "network   rtt {} us, loss {} bps, bandwidth {} Mbps", m.rtt_us, m.packet_loss_bps, m.bandwidth_mbps);
    if outcome.verified() {
        out += "verdict   verified\n";
    } else {
        for finding in &outcome.findings {
            let _ = writeln!(out, "verdict   failed: {finding}");
        }
    }
    out
}
