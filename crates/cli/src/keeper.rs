//! `io keeper run`: all the permissionless work of the network in one loop, built to run
//! unattended. Each iteration cranks the emission schedule when epochs are due
//! (`advance_epoch`) and fills one buyback (`buyback_and_burn`). An error (an RPC that
//! times out, a node behind, a transaction that did not land) is logged and counted, and
//! the next iteration waits longer (doubling from the interval up to a ceiling) instead of
//! ending the process; the first success brings the interval back. Prometheus metrics on
//! `--metrics-listen`.

use crate::emissions_cmd::crank;
use crate::treasury_cmd::{keeper_step, KeeperAccounts, KeeperOutcome};
use anyhow::Context;
use io_emissions::EmissionsConfig;
use io_sdk::client::{fetch, Chain};
use io_sdk::{emissions as ex, pda};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use solana_sdk::pubkey::Pubkey;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

/// What the keeper has done, as Prometheus series.
#[derive(Default)]
pub struct KeeperMetrics {
    pub iterations: Counter,
    pub errors: Counter,
    pub cranks: Counter,
    pub epochs_advanced: Counter,
    pub fills: Counter,
    pub iosd_spent: Counter,
    pub io_burned: Counter,
    pub skipped_fills: Counter,
    pub consecutive_errors: Gauge,
    pub last_success_unix: Gauge,
}

impl KeeperMetrics {
    /// The registry serving every series under the `io_keeper_` prefix.
    pub fn registry(self: &Arc<Self>) -> Registry {
        let mut registry = Registry::with_prefix("io_keeper");
        registry.register("iterations", "Keeper iterations run", self.iterations.clone());
        registry.register(
            "errors",
            "Iterations that failed (RPC or transaction errors); the keeper backs off and goes on",
            self.errors.clone(),
        );
        registry.register("cranks", "advance_epoch transactions that landed", self.cranks.clone());
        registry.register("epochs_advanced", "Emission epochs advanced by this keeper's cranks", self.epochs_advanced.clone());
        registry.register("fills", "buyback_and_burn fills that landed", self.fills.clone());
        registry.register("iosd_spent_base_units", "IOSD taken from the buyback pool by this keeper's fills", self.iosd_spent.clone());
        registry.register("io_burned_base_units", "IO burned by this keeper's fills", self.io_burned.clone());
        registry.register("skipped_fills", "Iterations with no fill (empty pool, stale price, ...)", self.skipped_fills.clone());
        registry.register("consecutive_errors", "Failed iterations since the last success", self.consecutive_errors.clone());
        registry.register("last_success_unix_seconds", "Cluster time of the last successful iteration", self.last_success_unix.clone());
        registry
    }
}

/// The wait before the next iteration: the interval after a success, doubling after each
/// failure up to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        let base = base.max(Duration::from_millis(1));
        Backoff { base, max: max.max(base), current: base }
    }

    pub fn succeeded(&mut self) -> Duration {
        self.current = self.base;
        self.current
    }

    pub fn failed(&mut self) -> Duration {
        self.current = (self.current * 2).min(self.max);
        self.current
    }
}

/// One iteration: the crank when epochs are due, then one buyback. Lines to log.
pub fn keeper_iteration(
    chain: &mut impl Chain,
    keeper: &Pubkey,
    accounts: &KeeperAccounts,
    metrics: &KeeperMetrics,
) -> anyhow::Result<Vec<String>> {
    metrics.iterations.inc();
    let mut lines = vec![];
    let config: EmissionsConfig = fetch(chain, &pda::emissions_config()).context("emissions config")?;
    let now = chain.unix_time()?;
    if ex::preview(&config, now).epochs_due > 0 {
        let event = crank(chain).context("advance_epoch")?;
        metrics.cranks.inc();
        metrics.epochs_advanced.inc_by(event.epochs);
        lines.push(format!(
            "crank: epochs {}..{} advanced, {} base units minted",
            event.first_epoch,
            event.first_epoch + event.epochs,
            event.minted
        ));
    }
    let outcome = keeper_step(chain, keeper, &[], accounts).context("buyback")?;
    match &outcome {
        KeeperOutcome::Filled { iosd, io, .. } => {
            metrics.fills.inc();
            metrics.iosd_spent.inc_by(*iosd);
            metrics.io_burned.inc_by(*io);
        }
        KeeperOutcome::Skipped(_) => {
            metrics.skipped_fills.inc();
        }
    }
    lines.push(outcome.to_string());
    metrics.consecutive_errors.set(0);
    metrics.last_success_unix.set(chain.unix_time().unwrap_or(now));
    Ok(lines)
}

/// Runs iterations until `iterations` ran (forever with `None`), sleeping through
/// `sleep` (the real clock in `io keeper run`, a recorder in tests). Never returns an
/// iteration's error: it is logged to stderr, counted, and waited out.
pub fn run_loop(
    chain: &mut impl Chain,
    accounts: &KeeperAccounts,
    metrics: &KeeperMetrics,
    mut backoff: Backoff,
    iterations: Option<u64>,
    mut sleep: impl FnMut(Duration),
) {
    let keeper = chain.payer();
    let mut ran = 0;
    loop {
        let wait = match keeper_iteration(chain, &keeper, accounts, metrics) {
            Ok(lines) => {
                for line in lines {
                    println!("{line}");
                }
                backoff.succeeded()
            }
            Err(e) => {
                metrics.errors.inc();
                metrics.consecutive_errors.inc();
                let wait = backoff.failed();
                eprintln!("keeper: {e:#}; next try in {} s", wait.as_secs_f64());
                wait
            }
        };
        ran += 1;
        if iterations.is_some_and(|n| ran >= n) {
            return;
        }
        sleep(wait);
    }
}

/// Serves the registry's text exposition on `listener` (one request per connection), on
/// a thread of its own.
pub fn serve_metrics(listener: std::net::TcpListener, registry: Registry) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 1024];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read(&mut request);
            let mut body = String::new();
            if prometheus_client::encoding::text::encode(&mut body, &registry).is_err() {
                continue;
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_on_failure_up_to_the_ceiling_and_resets_on_success() {
        let mut b = Backoff::new(Duration::from_secs(30), Duration::from_secs(300));
        let waits: Vec<u64> = (0..5).map(|_| b.failed().as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 300, 300]);
        assert_eq!(b.succeeded(), Duration::from_secs(30));
        assert_eq!(b.failed(), Duration::from_secs(60));
        // A ceiling below the interval is the interval.
        let mut tight = Backoff::new(Duration::from_secs(30), Duration::from_secs(5));
        assert_eq!(tight.failed(), Duration::from_secs(30));
    }
}
