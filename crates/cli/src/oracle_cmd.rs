//! `io oracle run`: one member of the oracle set as a daemon. It serves the Oracle gRPC
//! service (worker enrollment, peer review, co-signing), leads the audits the rank rule
//! gives it each epoch, commits verdicts with a quorum of peers, and exposes Prometheus
//! metrics. The chain client lives on the main thread; the daemon reaches it through a
//! `ChainPort`.

use crate::poc_cmd::AuditTuning;
use anyhow::{bail, Context};
use clap::Args;
use io_oracle::{chain_port, AuditHistory, OracleDaemon, OracleSettings, Peer};
use io_sdk::client::Chain;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct OracleRunArgs {
    /// gRPC address of this oracle (workers enroll here, peers ask for reviews).
    #[arg(long, default_value = "0.0.0.0:7800")]
    pub listen: SocketAddr,
    /// Prometheus metrics address (`GET /metrics`).
    #[arg(long, default_value = "0.0.0.0:9464")]
    pub metrics_listen: SocketAddr,
    /// The audit history database (redb file).
    #[arg(long, default_value = "oracle-history.redb")]
    pub db: PathBuf,
    /// Another oracle of the set: KEY=http://host:port (repeat for each).
    #[arg(long = "peer", value_parser = parse_peer)]
    pub peers: Vec<Peer>,
    /// Seconds between two cycles.
    #[arg(long, default_value_t = 30)]
    pub cycle_secs: u64,
    #[command(flatten)]
    pub tuning: AuditTuning,
    /// Heartbeat interval asked of workers, milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub heartbeat_ms: u64,
    /// Missed heartbeats after which a verified node is suspended.
    #[arg(long, default_value_t = 6)]
    pub missed_beats: u32,
    /// Share of an operator's slashable stake proposed for misconduct, basis points.
    #[arg(long, default_value_t = 1_000)]
    pub slash_bps: u16,
    /// Read the registry from this indexer's API (`io indexer run`), applying only its new
    /// node events on each read, instead of rebuilding every tree from the cluster's
    /// history each cycle.
    #[arg(long, value_name = "URL")]
    pub indexer: Option<String>,
}

fn parse_peer(text: &str) -> Result<Peer, String> {
    let (key, endpoint) = text.split_once('=').ok_or("expected KEY=http://host:port")?;
    let key: Pubkey = key.parse().map_err(|_| format!("{key} is not a base58 key"))?;
    if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
        return Err(format!("{endpoint} is not an http(s) endpoint"));
    }
    Ok(Peer { key, endpoint: endpoint.to_string() })
}

impl OracleRunArgs {
    pub fn settings(&self) -> anyhow::Result<OracleSettings> {
        if self.slash_bps > 10_000 {
            bail!("--slash-bps is at most 10000");
        }
        Ok(OracleSettings {
            audit: self.tuning.settings()?,
            cycle: Duration::from_secs(self.cycle_secs.max(1)),
            heartbeat_interval: Duration::from_millis(self.heartbeat_ms.max(10)),
            missed_beats: self.missed_beats.max(1),
            slash_bps: self.slash_bps,
            ..OracleSettings::default()
        })
    }
}

/// Runs the daemon against `chain` (whose payer is this oracle's key) until Ctrl-C.
pub fn run_oracle<C: Chain + 'static>(mut chain: C, key: Keypair, args: OracleRunArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let history = AuditHistory::open(&args.db).with_context(|| format!("audit history {}", args.db.display()))?;
    let (port, desk) = chain_port();
    let daemon_thread = std::thread::spawn(move || -> anyhow::Result<()> {
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async move {
            let feed = args.indexer.as_deref().map(|url| io_oracle::IndexerFeed::new(url, Duration::from_secs(30), None)).transpose()?;
            let daemon = OracleDaemon::with_feed(key, port, history, args.peers, settings, feed)?;
            // Peer requests are checked against the on-chain oracle set from the start.
            daemon.refresh_oracle_set().await.context("reading the oracle set")?;
            let metrics =
                tokio::net::TcpListener::bind(args.metrics_listen).await.with_context(|| format!("metrics on {}", args.metrics_listen))?;
            tokio::spawn(io_oracle::serve_metrics(metrics, daemon.metrics()));
            let server = daemon.server();
            let listen = args.listen;
            tokio::spawn(async move {
                if let Err(e) = server.serve(listen).await {
                    eprintln!("oracle gRPC server on {listen}: {e}");
                }
            });
            println!("oracle {}: gRPC on {listen}, metrics on http://{}/metrics", daemon.key(), args.metrics_listen);
            daemon
                .run_until(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await;
            daemon.stop_following();
            anyhow::Ok(())
        })?;
        // Dropping the runtime ends every task that holds a port, which frees the desk.
        drop(runtime);
        Ok(())
    });
    desk.serve(&mut chain);
    daemon_thread.join().map_err(|_| anyhow::anyhow!("the daemon thread panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_and_bad_ones_are_refused() {
        let key = Pubkey::new_unique();
        let peer = parse_peer(&format!("{key}=http://10.0.0.2:7800")).unwrap();
        assert_eq!((peer.key, peer.endpoint.as_str()), (key, "http://10.0.0.2:7800"));
        assert!(parse_peer("nokey").is_err());
        assert!(parse_peer("zz=http://x").unwrap_err().contains("base58"));
        assert!(parse_peer(&format!("{key}=10.0.0.2:7800")).unwrap_err().contains("http"));
    }
}
