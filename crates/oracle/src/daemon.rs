//! The oracle daemon: each cycle it reads the registry, audits the nodes it leads this
//! epoch, has peers of the oracle set review and co-sign the verdict, and commits it
//! through `attest_node` (with a weight refresh of the operator, and a slash proposal
//! when the audit caught misconduct). Between audits it follows every enrolled worker's
//! heartbeats (`liveness.rs`) and has a verified node that stops beating suspended.
//!
//! The co-signing exchange, lead side (`service.rs` is the peer side):
//! 1. the lead audits the node itself and keeps the audit in its history;
//! 2. `Review`: it asks peers, one at a time in rank order, whether they agree; a peer
//!    runs its own audit of the worker (or, for a liveness suspension, tries to reach it)
//!    and agrees only if its verdict matches and its metrics are within tolerance;
//! 3. with threshold - 1 agreeing peers, the lead builds the transaction message with
//!    itself and them as signers and a fresh blockhash;
//! 4. `CoSign`: each agreeing peer decodes every instruction of the message, checks it
//!    against what it agreed to, and returns its signature;
//! 5. the lead adds its own, the chain's payer signs last, and the transaction goes out.

mod peers;
pub(crate) use peers::{from_proto, to_proto};
pub use peers::{Peer, ReviewKind};

use crate::audit::{audit_node_shared, AuditSettings, NodeUnderAudit};
use crate::history::{AuditHistory, AuditRecord};
use crate::liveness::Follow;
use crate::metrics::OracleMetrics;
use crate::outbox::PendingSlash;
use crate::peer_auth::PeerGate;
use crate::policy::{open_measurement, sign_measurement, slash_reason, Expectation, Tolerance};
use crate::port::ChainPort;
use crate::registry_feed::IndexerFeed;
use crate::suspensions::attestable_now;
use crate::view::ChainView;
use crate::window::WindowTicket;
use anyhow::{anyhow, bail};
use io_poc::handshake::ChallengeLedger;
use io_proto::v1 as pb;
use io_registry::{NodeRecord, NodeStatus, Verdict, MAX_PACKET_LOSS_BPS};
use io_staking::SlashReason;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the daemon runs.
#[derive(Clone, Debug)]
pub struct OracleSettings {
    pub audit: AuditSettings,
    pub tolerance: Tolerance,
    /// Pause between two cycles.
    pub cycle: Duration,
    /// The beat interval asked of workers, and how many missed beats suspend a node.
    pub heartbeat_interval: Duration,
    pub missed_beats: u32,
    /// A backup oracle of rank r leads a node's audit after r x this into the epoch.
    pub takeover: Duration,
    /// Share of the operator's slashable stake proposed for misconduct (capped by the
    /// staking program's `max_slash_bps`).
    pub slash_bps: u16,
    /// An enrollment signed longer ago than this is refused.
    pub enroll_max_age_secs: i64,
    /// Limit on a peer's review (it runs a whole audit) and on a co-signature.
    pub peer_timeout: Duration,
    /// Audit nodes that could be the same hardware (one operator's, one host's, one GPU
    /// set's) in one shared timed window (`window.rs`), as lead and as reviewing peer. On
    /// in production; the loopback network turns it off, since all of its workers share
    /// one CPU by construction.
    pub audit_together: bool,
    /// Fault injection for tests: the lead stops right after an attestation lands, before
    /// its slash proposal, as a process killed there would (the outbox proposes the slash
    /// on the next cycle or after a restart). Always false in production.
    pub stop_after_attestation: bool,
}

impl Default for OracleSettings {
    fn default() -> Self {
        OracleSettings {
            audit: AuditSettings::default(),
            tolerance: Tolerance::default(),
            cycle: Duration::from_secs(30),
            heartbeat_interval: Duration::from_secs(10),
            missed_beats: 6,
            takeover: Duration::from_secs(600),
            slash_bps: 1_000,
            enroll_max_age_secs: 300,
            peer_timeout: Duration::from_secs(300),
            audit_together: true,
            stop_after_attestation: false,
        }
    }
}

/// What one cycle did (for the demo, the tests and the log).
#[derive(Debug, Default)]
pub struct CycleReport {
    pub epoch: u64,
    /// Attestations this oracle led that landed.
    pub attested: Vec<(Pubkey, Verdict)>,
    /// Liveness suspensions this oracle led that landed.
    pub suspended: Vec<Pubkey>,
    /// Slash proposals this oracle led that landed: node, reason, amount.
    pub slashed: Vec<(Pubkey, SlashReason, u64)>,
    /// Shadowed leaves of re-registered node keys this oracle had suspended: node, tree,
    /// leaf index.
    pub duplicates: Vec<(Pubkey, Pubkey, u32)>,
    /// Nodes this oracle could not bring to a landed verdict, and why.
    pub failed: Vec<(Pubkey, String)>,
}

pub(crate) struct Shared {
    pub key: Keypair,
    pub port: ChainPort,
    pub history: AuditHistory,
    pub peers: Vec<Peer>,
    pub settings: OracleSettings,
    pub metrics: Arc<OracleMetrics>,
    pub ledger: tokio::sync::Mutex<ChallengeLedger>,
    pub workers: Mutex<HashMap<Pubkey, Follow>>,
    /// What this oracle agreed to in a review, until it co-signs.
    pub agreed: Mutex<HashMap<(Pubkey, u64, ReviewKind), Expectation>>,
    /// Checks that peer requests come from the oracle set.
    pub gate: PeerGate,
    /// When each node last enrolled here.
    pub last_enrollment: Mutex<HashMap<Pubkey, Instant>>,
    /// Reviews running per calling oracle.
    pub reviews_running: Mutex<HashMap<Pubkey, usize>>,
    /// Where the registry comes from: an indexer's change feed, or (`None`) a rebuild
    /// from the chain's history on each read.
    pub feed: Option<IndexerFeed>,
}

impl Shared {
    /// The chain as this oracle sees it now.
    pub async fn view(&self) -> anyhow::Result<ChainView> {
        match &self.feed {
            Some(feed) => feed.read(&self.port).await,
            None => ChainView::read(&self.port).await,
        }
    }
}

/// One oracle of the set. Clone it freely: the clones share everything.
#[derive(Clone)]
pub struct OracleDaemon {
    pub(crate) shared: Arc<Shared>,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl OracleDaemon {
    /// An oracle with `key`, reaching the chain through `port`, remembering in `history`.
    /// Workers enrolled before a restart are followed again.
    pub fn new(key: Keypair, port: ChainPort, history: AuditHistory, peers: Vec<Peer>, settings: OracleSettings) -> anyhow::Result<Self> {
        Self::with_feed(key, port, history, peers, settings, None)
    }

    /// As [`Self::new`], reading the registry from an indexer's change feed when `feed` is
    /// given.
    pub fn with_feed(
        key: Keypair,
        port: ChainPort,
        history: AuditHistory,
        peers: Vec<Peer>,
        settings: OracleSettings,
        feed: Option<IndexerFeed>,
    ) -> anyhow::Result<Self> {
        settings.audit.validate().map_err(|e| anyhow!("audit settings: {e}"))?;
        anyhow::ensure!(settings.slash_bps <= 10_000, "slash_bps is at most 10000");
        anyhow::ensure!(!settings.heartbeat_interval.is_zero() && settings.missed_beats > 0, "heartbeats need an interval and a threshold");
        let known = history.workers()?;
        let shared = Arc::new(Shared {
            key,
            port,
            history,
            peers,
            settings,
            metrics: Arc::new(OracleMetrics::default()),
            ledger: tokio::sync::Mutex::new(ChallengeLedger::default()),
            workers: Mutex::new(HashMap::new()),
            agreed: Mutex::new(HashMap::new()),
            gate: PeerGate::default(),
            last_enrollment: Mutex::new(HashMap::new()),
            reviews_running: Mutex::new(HashMap::new()),
            feed,
        });
        let daemon = OracleDaemon { shared };
        for (node, endpoint) in known {
            daemon.follow(node, endpoint);
        }
        Ok(daemon)
    }

    pub fn key(&self) -> Pubkey {
        self.shared.key.pubkey()
    }

    pub fn metrics(&self) -> Arc<OracleMetrics> {
        self.shared.metrics.clone()
    }

    /// Node events applied from the indexer's change feed since the daemon started; `None`
    /// when it rebuilds the registry from the chain instead.
    pub async fn registry_events_applied(&self) -> Option<u64> {
        match &self.shared.feed {
            Some(feed) => Some(feed.applied().await),
            None => None,
        }
    }

    pub fn history(&self) -> &AuditHistory {
        &self.shared.history
    }

    /// The gRPC service peers and workers call (`service.rs`).
    pub fn service(&self) -> io_proto::v1::oracle_server::OracleServer<Self> {
        io_proto::v1::oracle_server::OracleServer::new(self.clone())
    }

    /// The gRPC server for [`Self::service`] with its limits: every call ends within the
    /// peer timeout (a review runs a whole audit), and a connection has a few calls in
    /// flight at most.
    pub fn server(&self) -> tonic::transport::server::Router {
        tonic::transport::Server::builder()
            .timeout(self.shared.settings.peer_timeout + Duration::from_secs(5))
            .concurrency_limit_per_connection(8)
            .add_service(self.service())
    }

    /// Reads the on-chain oracle set that peer requests are checked against (each cycle
    /// does too; call it once before serving).
    pub async fn refresh_oracle_set(&self) -> anyhow::Result<()> {
        let view = self.shared.view().await?;
        self.shared.gate.set_oracles(view.config.oracles.clone());
        Ok(())
    }

    /// One pass: every enrolled node this oracle leads gets its epoch audit committed,
    /// and every verified node it leads that stopped beating is suspended.
    pub async fn run_cycle(&self) -> anyhow::Result<CycleReport> {
        let view = self.shared.view().await.inspect_err(|_| OracleMetrics::inc(&self.shared.metrics.chain_errors))?;
        self.shared.gate.set_oracles(view.config.oracles.clone());
        let mut report = CycleReport { epoch: view.epoch, ..CycleReport::default() };
        self.shared.history.prune_agreements(view.epoch.saturating_sub(1))?;
        self.drain_outbox(&view, &mut report).await;
        let me = self.key();
        let takeover = self.shared.settings.takeover.as_secs() as i64;
        for (tree, record) in view.registry.shadowed_live_leaves() {
            let node = record.node_id;
            if !view.may_lead(&me, &record.operator, takeover) || !attestable_now(&record, view.epoch) {
                continue;
            }
            match self.lead_duplicate_suspension(&view, tree, record).await {
                Ok(()) => report.duplicates.push((node, tree, record.leaf_index)),
                Err(e) => report.failed.push((node, format!("duplicate leaf {tree}/{}: {e:#}", record.leaf_index))),
            }
        }
        let enrolled: Vec<(Pubkey, String)> =
            self.shared.workers.lock().expect("workers lock").iter().map(|(k, f)| (*k, f.endpoint.clone())).collect();
        // One oracle leads all of an operator's nodes in an epoch, so it can audit
        // together the ones that could be the same hardware.
        let led: Vec<(NodeRecord, String)> = enrolled
            .into_iter()
            .filter_map(|(node, endpoint)| Some((*view.record(&node)?, endpoint)))
            .filter(|(record, _)| record.status != NodeStatus::Retired && view.may_lead(&me, &record.operator, takeover))
            .collect();
        self.audit_groups_together(&view, &led, None).await;
        for (record, endpoint) in led {
            let node = record.node_id;
            if view.audit_due(&record) {
                match self.lead_audit(&view, record, &endpoint).await {
                    Ok(Some(landed)) => {
                        report.attested.push((node, landed.verdict));
                        if let Some(slash) = landed.slash {
                            report.slashed.push((node, slash.0, slash.1));
                        }
                    }
                    Ok(None) => {}
                    Err(e) => report.failed.push((node, format!("{e:#}"))),
                }
            } else if record.status == NodeStatus::Verified
                && attestable_now(&record, view.epoch)
                && self.missed_beats(&node).is_some_and(|m| m >= self.shared.settings.missed_beats)
            {
                match self.lead_liveness_suspension(&view, record, &endpoint).await {
                    Ok(()) => report.suspended.push(node),
                    Err(e) => report.failed.push((node, format!("{e:#}"))),
                }
            }
        }
        Ok(report)
    }

    /// Runs cycles until `stop` resolves.
    pub async fn run_until(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            match self.run_cycle().await {
                Ok(report) => {
                    for (node, why) in &report.failed {
                        eprintln!("oracle {}: node {node}: {why}", self.key());
                    }
                }
                Err(e) => eprintln!("oracle {}: cycle failed: {e:#}", self.key()),
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(self.shared.settings.cycle) => {}
            }
        }
    }

    /// This oracle's own audit of `record` in `epoch`: the one in its history when there
    /// is one (a restart, or it reviewed the node before), else a new one, kept durably.
    pub(crate) async fn own_audit(&self, view: &ChainView, record: &NodeRecord, endpoint: &str, epoch: u64) -> anyhow::Result<AuditRecord> {
        self.own_audit_in(view, record, endpoint, epoch, None).await
    }

    /// [`Self::own_audit`], its stress test in a window shared with other audits.
    pub(crate) async fn own_audit_in(
        &self,
        view: &ChainView,
        record: &NodeRecord,
        endpoint: &str,
        epoch: u64,
        window: Option<WindowTicket>,
    ) -> anyhow::Result<AuditRecord> {
        let node = record.node_id;
        if let Some(done) = self.shared.history.get(&node, epoch)? {
            return Ok(done);
        }
        let model = view.model(record).ok_or_else(|| anyhow!("model {} is not in the catalogue", record.gpu_model))?;
        let subject = NodeUnderAudit {
            node,
            gpu_uuids_hash: record.gpu_uuids_hash,
            gpu_count: record.gpu_count,
            expected_centi_tflops: model.expected_centi_tflops,
        };
        let started = Instant::now();
        let mut outcome =
            audit_node_shared(&self.key(), endpoint, &subject, &self.shared.ledger, &self.shared.settings.audit, window).await;
        // Counted once: a GPU that already counts on another node's live verification is
        // refused here, whatever the worker computed.
        let gpu_ids = io_sdk::gpu_ids(&outcome.gpu_uuids);
        if outcome.verified() {
            if let Some((id, other)) = view.registry.gpus_counted_elsewhere(&gpu_ids, &node, epoch).into_iter().next() {
                let gpu = id.iter().map(|b| format!("{b:02x}")).collect();
                outcome.findings.push(crate::audit::Finding::GpuCountedElsewhere { gpu, node: other });
            }
        }
        let m = &self.shared.metrics;
        if outcome.inconclusive() {
            // Nothing measured, nothing recorded: the lead attests nothing and a reviewer
            // agrees with nothing; the next cycle audits afresh.
            OracleMetrics::inc(&m.audits_inconclusive);
            let why = outcome.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            bail!("audit of {node} inconclusive, no verdict: {why}");
        }
        m.last_audit_ms.store(started.elapsed().as_millis() as u64, Relaxed);
        m.last_measured_centi_tflops.store(u64::from(outcome.metrics.verified_centi_tflops), Relaxed);
        m.last_stress_bytes.store(outcome.stress_bytes as u64, Relaxed);
        OracleMetrics::inc(if outcome.verified() { &m.audits_verified } else { &m.audits_failed });
        let mut metrics = outcome.metrics;
        metrics.packet_loss_bps = metrics.packet_loss_bps.min(MAX_PACKET_LOSS_BPS);
        let done = AuditRecord {
            gpu_ids: if outcome.verified() { gpu_ids } else { vec![] },
            verified: outcome.verified(),
            metrics,
            finished_at: unix_now(),
            findings: outcome.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            attestation: None,
            slash: slash_reason(&outcome.findings),
        };
        match self.shared.history.record(&node, epoch, &done) {
            Ok(()) => Ok(done),
            // A review of the same node epoch finished first: that audit stands.
            Err(crate::HistoryError::AlreadyAudited { .. }) => Ok(self.shared.history.get(&node, epoch)?.unwrap_or(done)),
            Err(e) => Err(e.into()),
        }
    }

    async fn lead_audit(&self, view: &ChainView, record: NodeRecord, endpoint: &str) -> anyhow::Result<Option<Landed>> {
        let (node, epoch) = (record.node_id, view.epoch);
        let audit = self.own_audit(view, &record, endpoint, epoch).await?;
        if audit.attestation.is_some() {
            // Committed before a restart; the chain says so too once it is read again.
            return Ok(None);
        }
        let verdict = if audit.verified { Verdict::Verified } else { Verdict::Suspended };
        let review = pb::ReviewRequest {
            node: node.to_string(),
            epoch,
            kind: ReviewKind::Audit.to_proto(),
            verified: audit.verified,
            metrics: Some(to_proto(&audit.metrics)),
            worker_endpoint: endpoint.to_string(),
            findings: audit.findings.clone(),
            auth: None,
            tree: String::new(),
            leaf_index: 0,
        };
        let quorum = match self.gather_quorum(view, review).await {
            Ok(quorum) => quorum,
            Err(e) => {
                // Peers saw otherwise: audit afresh next cycle rather than insist.
                self.shared.history.discard_unattested(&node, epoch)?;
                let mine = if audit.verified { "verified".to_string() } else { audit.findings.replace('\n', "; ") };
                return Err(e.context(format!("my audit: {mine}")));
            }
        };
        let operator = record.operator;
        // Each peer votes its own measurement; the program takes the median.
        let mine = sign_measurement(&self.shared.key, &node, epoch, ReviewKind::Audit, audit.verified, &audit.metrics);
        let mut measurements = vec![mine];
        let mut votes = vec![];
        for (peer, measurement) in quorum {
            let measurement = measurement.ok_or_else(|| anyhow!("{} agreed without its measurement", peer.key))?;
            let (_, _, metrics) = open_measurement(&measurement, &node, epoch, ReviewKind::Audit).map_err(|e| anyhow!(e))?;
            votes.push((peer, metrics));
            measurements.push(measurement);
        }
        // The slash goes into the outbox before the verdict is sent: whatever stops
        // this oracle from here on, the slash is proposed once the attestation landed.
        if let Some(reason) = audit.slash {
            let amount = self.slash_amount(operator).await?;
            let evidence = solana_sdk::hash::hashv(&[node.as_ref(), &epoch.to_le_bytes(), audit.findings.as_bytes()]).to_bytes();
            let peers = votes.iter().map(|(p, _)| p.key).collect();
            let pending = PendingSlash { operator, reason, amount, evidence, peers, measurements, id: None };
            self.shared.history.save_pending_slash(&node, epoch, &pending)?;
        }
        let leaf = view.registry.proven_leaf(&node)?;
        let gpu_ids = if audit.verified { audit.gpu_ids.clone() } else { vec![] };
        let subject = io_sdk::registry::verdict_subject(&leaf, epoch, verdict, audit.slash.is_some(), gpu_ids);
        let signature = self.commit_verdict(&leaf, subject, audit.metrics, &votes, ReviewKind::Audit).await?;
        self.shared.history.mark_attested(&node, epoch, signature.into())?;
        let m = &self.shared.metrics;
        OracleMetrics::inc(if audit.verified { &m.attestations_verified } else { &m.attestations_suspended });
        if self.shared.settings.stop_after_attestation {
            bail!("stopped between the attestation and the slash proposal (fault injection)");
        }
        let slash = if audit.slash.is_some() { self.propose_pending(node, epoch).await? } else { None };
        Ok(Some(Landed { verdict, slash }))
    }
}

struct Landed {
    verdict: Verdict,
    slash: Option<(SlashReason, u64)>,
}
