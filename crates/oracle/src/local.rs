//! A whole oracle set in one process, each daemon serving gRPC on loopback: what the demo
//! and the end-to-end tests run. Production runs one `io oracle run` per member instead.

use crate::audit::AuditSettings;
use crate::daemon::{CycleReport, OracleDaemon, OracleSettings, Peer};
use crate::history::AuditHistory;
use crate::policy::Tolerance;
use crate::port::ChainPort;
use crate::registry_feed::{IndexerFeed, SyncHook};
use crate::view::ChainView;
use io_poc::netaudit::AuditConfig;
use solana_sdk::signature::{Keypair, Signer};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;

/// The stress-test size of loopback audits.
pub const LOOPBACK_N: u32 = 1536;

/// What this machine's CPU does in a loopback stress test, in centi-TFLOPS (at least 1):
/// the best of three products at [`LOOPBACK_N`], timed as the oracle times them (the
/// scaling, the GEMM and the commitment's hashing), before any oracle or worker runs. The
/// demo and the tests rate the loopback CPU model at this figure, so a CPU worker must
/// show its own machine's speed, and one CPU posing as eight GPUs is one eighth of it.
pub fn calibrate_loopback_cpu() -> u32 {
    use io_poc::stress::{panel_leaves, scaling, Layout, StressSpec};
    use io_poc::Backend;
    let spec = StressSpec::new([0xCA; 32], LOOPBACK_N, 1).expect("a valid size");
    let layout = Layout::new(LOOPBACK_N as usize);
    let best = (0..3)
        .filter_map(|_| {
            let loaded = io_poc::CpuBackend.load(&spec.challenge(0)).ok()?;
            let started = std::time::Instant::now();
            loaded.run(&scaling(&[1; 32], 0, LOOPBACK_N), &mut |first, panel| drop(panel_leaves(&layout, first, &panel))).ok()?;
            Some(started.elapsed())
        })
        .min()
        .unwrap_or(Duration::from_secs(1));
    ((spec.flops_per_gpu() / best.as_secs_f64() / 1e10).round() as u32).max(1)
}

/// Settings for an oracle set auditing CPU workers on loopback (the demo, the tests).
pub fn loopback_settings() -> OracleSettings {
    OracleSettings {
        audit: AuditSettings {
            // One size for every node: big enough to time a CPU, small enough that a node
            // claiming an H100 is caught in milliseconds rather than computing for minutes.
            stress_n: Some(LOOPBACK_N),
            // 30% of the speed the CPU was calibrated at (the best of three runs): an
            // honest worker measures about 90% of it here alone, half of that beside a
            // busy process. One CPU posing as eight GPUs delivers together at most what one
            // does, less than half of the 8 x 30% its claim needs.
            min_speed_share_bps: 3_000,
            network: AuditConfig {
                rtt_probes: 20,
                loss_probes: 200,
                loss_interval: Duration::ZERO,
                bulk_bytes: 2 << 20,
                ..AuditConfig::default()
            },
            ..AuditSettings::default()
        },
        // Two oracles timing the same CPU worker on a shared 2-core machine differ far
        // more than two timings of a dedicated GPU.
        tolerance: Tolerance { tflops_bps: 7_000, bandwidth_factor: 5, ..Tolerance::default() },
        cycle: Duration::from_millis(100),
        heartbeat_interval: Duration::from_millis(200),
        missed_beats: 3,
        // One lead per node: backups never take over within a run.
        takeover: Duration::from_secs(86_400),
        // Every loopback worker runs on this one CPU: audited together they would share
        // it, as they do (`oracle_quorum` tests the shared window with a simulated device).
        audit_together: false,
        ..OracleSettings::default()
    }
}

pub struct LocalOracleSet {
    pub daemons: Vec<OracleDaemon>,
    /// Each daemon's gRPC endpoint, in the order of `daemons`.
    pub endpoints: Vec<String>,
    servers: Vec<JoinHandle<()>>,
}

impl LocalOracleSet {
    /// One daemon per key, each with its history, all peers of each other.
    pub async fn start(
        keys: &[Keypair],
        port: &ChainPort,
        histories: Vec<AuditHistory>,
        settings: &OracleSettings,
    ) -> anyhow::Result<Self> {
        Self::start_with(keys, port, histories, settings, || Ok(None)).await
    }

    /// As [`Self::start`], each daemon reading the registry from the indexer API at `base`
    /// (its own feed), with `hook` bringing the indexer up to the chain before each read.
    pub async fn start_on_indexer(
        keys: &[Keypair],
        port: &ChainPort,
        histories: Vec<AuditHistory>,
        settings: &OracleSettings,
        base: &str,
        hook: SyncHook,
    ) -> anyhow::Result<Self> {
        let feed = || IndexerFeed::new(base, Duration::from_secs(30), Some(hook.clone())).map(Some);
        Self::start_with(keys, port, histories, settings, feed).await
    }

    async fn start_with(
        keys: &[Keypair],
        port: &ChainPort,
        histories: Vec<AuditHistory>,
        settings: &OracleSettings,
        feed: impl Fn() -> anyhow::Result<Option<IndexerFeed>>,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(keys.len() == histories.len(), "one history per oracle");
        let mut listeners = vec![];
        let mut endpoints = vec![];
        for _ in keys {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            endpoints.push(format!("http://{}", listener.local_addr()?));
            listeners.push(listener);
        }
        let peers = Self::peers_of(keys, &endpoints);
        let mut set = LocalOracleSet { daemons: vec![], endpoints, servers: vec![] };
        for ((key, listener), history) in keys.iter().zip(listeners).zip(histories) {
            let daemon = OracleDaemon::with_feed(key.insecure_clone(), port.clone(), history, peers.clone(), settings.clone(), feed()?)?;
            daemon.refresh_oracle_set().await?;
            set.servers.push(serve(&daemon, listener));
            set.daemons.push(daemon);
        }
        Ok(set)
    }

    pub fn peers_of(keys: &[Keypair], endpoints: &[String]) -> Vec<Peer> {
        keys.iter().zip(endpoints).map(|(k, e)| Peer { key: k.pubkey(), endpoint: e.clone() }).collect()
    }

    /// Takes daemon `i` out of the set and stops its server and heartbeat followers; its
    /// history closes once it and the last connection to its service are dropped.
    pub fn stop(&mut self, i: usize) -> OracleDaemon {
        self.servers.remove(i).abort();
        let daemon = self.daemons.remove(i);
        daemon.stop_following();
        daemon
    }

    /// Puts `daemon` back in place `i`, serving on `listener` (a restart).
    pub fn restart(&mut self, i: usize, daemon: OracleDaemon, listener: tokio::net::TcpListener) {
        self.servers.insert(i, serve(&daemon, listener));
        self.daemons.insert(i, daemon);
    }

    /// Runs every daemon's cycle, round after round, until `done` holds for the chain.
    /// The reports come back either way (`Err` when the rounds ran out).
    pub async fn cycle_until(
        &self,
        port: &ChainPort,
        rounds: usize,
        pause: Duration,
        done: impl Fn(&ChainView) -> bool,
    ) -> Result<Vec<CycleReport>, Vec<CycleReport>> {
        let mut reports = vec![];
        for _ in 0..rounds {
            for daemon in &self.daemons {
                match daemon.run_cycle().await {
                    Ok(report) => reports.push(report),
                    Err(e) => reports.push(CycleReport { failed: vec![(daemon.key(), format!("cycle: {e:#}"))], ..CycleReport::default() }),
                }
            }
            if ChainView::read(port).await.map(|view| done(&view)).unwrap_or(false) {
                return Ok(reports);
            }
            tokio::time::sleep(pause).await;
        }
        Err(reports)
    }

    /// Stops every daemon.
    pub fn shutdown(self) {
        for daemon in &self.daemons {
            daemon.stop_following();
        }
        for server in self.servers {
            server.abort();
        }
    }
}

fn serve(daemon: &OracleDaemon, listener: tokio::net::TcpListener) -> JoinHandle<()> {
    let server = daemon.server();
    tokio::spawn(async move {
        let _ = server.serve_with_incoming(TcpListenerStream::new(listener)).await;
    })
}
