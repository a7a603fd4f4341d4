//! The oracle set end to end on loopback: three oracle daemons (2-of-3) and real worker
//! agents over gRPC, with the embedded bank as the chain. Honest nodes are verified with
//! the quorum's median metrics; cheaters (foreign UUIDs, an H100 claim, one CPU
//! registered as eight GPUs) are suspended and slashed; a worker that stops beating is
//! suspended within its epoch; a restarted oracle does not attest again; a peer refuses
//! what it did not agree to, and anything not signed by an oracle before any work. The
//! first test's daemons read the registry from an indexer's change feed; the others
//! rebuild it from the chain's history.

use io_indexer::api::{DynStore, IndexerService};
use io_indexer::{Indexer, RedbStore, Store};
use io_migrations::{Genesis, LOOPBACK_CPU_MODEL};
use io_oracle::local::LocalOracleSet;
use io_oracle::view::ChainView;
use io_oracle::{chain_port, AuditHistory, ChainPort, CycleReport, IndexerFeed, OracleDaemon, OracleSettings, SyncHook};
use io_poc::netaudit::{Impairment, ImpairmentProxy, ProbeServer};
use io_poc::CpuBackend;
use io_proto::v1::{self as pb, oracle_client::OracleClient};
use io_registry::{CudaVersion, HardwareSpec, NodeMetrics, NodeStatus};
use io_sdk::network::RegistryClient;
use io_staking::{SlashProposal, SlashReason};
use io_tests::Harness;
use io_worker::process::AgentProcess;
use io_worker::{Conduct, Inventory, WorkerAgent};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub fn loopback_genesis() -> Genesis {
    Genesis::reference().with_loopback_cpu_model(io_oracle::local::calibrate_loopback_cpu())
}

/// GPUs each worker registers (every worker is one CPU): worker 4 claims eight.
const GPUS: [u16; 5] = [1, 1, 1, 1, 8];

fn uuids(i: usize) -> Vec<String> {
    (0..GPUS[i]).map(|g| format!("GPU-loopback-{i}-{g}")).collect()
}

struct Worker {
    key: Keypair,
    endpoint: String,
    process: AgentProcess,
    /// The impaired link in front of its probe server, when it has one (kept running).
    _proxy: Option<ImpairmentProxy>,
}

/// Worker 0's link: 10 ms each way and 2% of UDP datagrams lost each way.
const LINK: Impairment = Impairment { delay: Duration::from_millis(10), loss_to_worker: 0.02, loss_to_client: 0.02, seed: 17 };

impl Worker {
    fn start(i: usize, conduct: Conduct) -> Worker {
        Self::start_with_link(i, conduct, None)
    }

    /// A worker whose probe server oracles reach through an impairment proxy (`link`).
    fn start_with_link(i: usize, conduct: Conduct, link: Option<Impairment>) -> Worker {
        let key = Keypair::new();
        let ids = uuids(i);
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let inventory = Inventory::declared("loopback cpu", &ids, 1 << 30, "", (0, 0));
        let probe = ProbeServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let proxy = link.map(|link| ImpairmentProxy::start(probe.tcp_addr(), link).unwrap());
        let mut agent = WorkerAgent::with_conduct(key.insecure_clone(), inventory, Arc::new(CpuBackend), probe, conduct);
        if let Some(proxy) = &proxy {
            agent = agent.advertising_probe_port(proxy.tcp_addr().port());
        }
        let process = AgentProcess::start(agent, "127.0.0.1:0".parse().unwrap()).unwrap();
        Worker { key, endpoint: process.endpoint.clone(), process, _proxy: proxy }
    }
}

fn settings() -> OracleSettings {
    io_oracle::local::loopback_settings()
}

fn db_path(tag: &str, i: usize) -> PathBuf {
    let path = std::env::temp_dir().join(format!("io-oracle-{tag}-{}-{i}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Runs every oracle's cycle until the chain is where the test wants it.
async fn cycle_until(set: &LocalOracleSet, port: &ChainPort, done: impl Fn(&ChainView) -> bool) -> Vec<CycleReport> {
    match set.cycle_until(port, 30, Duration::from_millis(100), done).await {
        Ok(reports) => reports,
        Err(reports) => panic!("the oracles did not get there in 30 rounds: {reports:#?}"),
    }
}

/// Runs `scenario` against a fresh 2-of-3 oracle set (histories in temporary files named
/// by `tag`) on its own runtime thread, while this thread serves the chain from `h`; then
/// shuts the set down and removes the files. Returns what the scenario returned.
fn with_oracles<T, F, Fut>(h: &mut Harness, tag: &str, settings: OracleSettings, scenario: F) -> T
where
    T: Send + 'static,
    F: FnOnce(LocalOracleSet, ChainPort) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = (LocalOracleSet, T)>,
{
    let oracle_keys: Vec<Keypair> = h.oracles.iter().map(|k| k.insecure_clone()).collect();
    let paths: Vec<PathBuf> = (0..3).map(|i| db_path(tag, i)).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (port, desk) = chain_port();
    let thread = {
        let paths = paths.clone();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let histories = paths.iter().map(|p| AuditHistory::open(p).unwrap()).collect();
                let set = LocalOracleSet::start(&oracle_keys, &port, histories, &settings).await.unwrap();
                let (set, out) = scenario(set, port).await;
                set.shutdown();
                out
            })
        })
    };
    desk.serve(&mut h.net);
    let out = thread.join().unwrap();
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
    out
}

async fn oracle_client(endpoint: &str) -> OracleClient<tonic::transport::Channel> {
    OracleClient::new(tonic::transport::Endpoint::from_shared(endpoint.to_string()).unwrap().connect().await.unwrap())
}

async fn scrape(metrics: Arc<io_oracle::OracleMetrics>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(io_oracle::serve_metrics(listener, metrics));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    server.abort();
    text
}

/// An indexer (redb, in `dir`) over the bank the desk serves, its HTTP API on loopback,
/// and the hook that brings it up to the bank before each oracle read.
async fn local_indexer(dir: &std::path::Path) -> (String, SyncHook, Arc<IndexerService>) {
    let store: DynStore = Box::new(RedbStore::open(&dir.join("index.redb")).unwrap());
    let service = Arc::new(IndexerService::new(Indexer::open(store).unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(io_indexer::api::serve(listener, service.clone(), std::future::pending()));
    let follower = service.clone();
    let hook: SyncHook = Arc::new(move |chain| {
        let net = chain.as_any().downcast_mut::<io_localnet::Localnet>().ok_or_else(|| anyhow::anyhow!("not the embedded bank"))?;
        follower.sync(net)?;
        Ok(())
    });
    (base, hook, service)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn counter(text: &str, series: &str) -> u64 {
    text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok()).unwrap_or_else(|| panic!("no series {series} in\n{text}"))
}

#[test]
fn a_two_of_three_oracle_set_audits_real_workers_and_commits_on_chain() {
    let mut h = Harness::with_genesis(loopback_genesis());
    let operator = h.operator();
    // A bond, so attestations refresh its weight and misconduct can be slashed.
    let bond = 50_000 * 10u64.pow(9);
    let tokens = h.fund_io(&operator.pubkey(), bond);
    h.ok(&[io_sdk::staking::deposit(&operator.pubkey(), &h.io_mint.clone(), &tokens, bond)], &[&operator]);

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // Workers: 0 and 1 honest, 2 reports foreign UUIDs, 3 claims an H100 it is not, 4 is
    // one CPU registered (and declaring UUIDs) as eight loopback GPUs.
    let conducts =
        [Conduct::Honest, Conduct::Honest, Conduct::ForeignUuids(vec!["GPU-someone-elses".into()]), Conduct::Honest, Conduct::Honest];
    // Worker 0 is reached through an impaired link (`LINK`): its measured RTT and loss are
    // the link's.
    let mut workers: Vec<Worker> =
        conducts.into_iter().enumerate().map(|(i, c)| Worker::start_with_link(i, c, (i == 0).then_some(LINK))).collect();
    let loopback = h.model_id(LOOPBACK_CPU_MODEL);
    let h100 = h.model_id("H100");
    for (i, w) in workers.iter().enumerate() {
        let spec = HardwareSpec {
            gpu_model: if i == 3 { h100 } else { loopback },
            gpu_count: GPUS[i],
            cuda: CudaVersion { major: 12, minor: 4 },
            region: h.spec("H100", 1, i as u64).region,
            gpu_uuids_hash: io_sdk::gpu_uuids_hash(&uuids(i)),
        };
        h.registry.register(&mut h.net, &operator, &w.key, spec).unwrap();
    }
    let nodes: Vec<Pubkey> = workers.iter().map(|w| w.key.pubkey()).collect();
    let epoch = h.current_epoch();
    let oracle_keys: Vec<Keypair> = h.oracles.iter().map(|k| k.insecure_clone()).collect();
    let paths: Vec<PathBuf> = (0..3).map(|i| db_path("quorum", i)).collect();
    let index_dir = tempfile::tempdir().unwrap();
    let index_path = index_dir.path().to_path_buf();

    let (port, desk) = chain_port();
    let scenario = {
        let nodes = nodes.clone();
        let paths = paths.clone();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let histories = paths.iter().map(|p| AuditHistory::open(p).unwrap()).collect();
                // Every daemon reads the registry from an indexer following the bank.
                let (base, hook, index) = local_indexer(&index_path).await;
                let mut set =
                    LocalOracleSet::start_on_indexer(&oracle_keys, &port, histories, &settings(), &base, hook.clone()).await.unwrap();
                let oracle_endpoints = set.endpoints.clone();
                // Every worker enrolls with every oracle, signed by its node key.
                for w in &workers {
                    for e in &oracle_endpoints {
                        let oracle = io_worker::enroll::enroll(&w.key, &w.endpoint, e).await.unwrap();
                        assert!(oracle_keys.iter().any(|k| k.pubkey() == oracle));
                    }
                }
                // An enrollment not signed by the node key is refused.
                let mut forged = oracle_client(&oracle_endpoints[0]).await;
                let bad = pb::EnrollRequest {
                    node: nodes[0].to_string(),
                    endpoint: "http://127.0.0.1:1".into(),
                    signed_at: 0,
                    signature: vec![7; 64],
                };
                assert_eq!(forged.enroll(bad).await.unwrap_err().code(), tonic::Code::Unauthenticated);

                // 1. The epoch's audits: every node gets a landed verdict.
                let all_attested = |v: &ChainView| nodes.iter().all(|n| v.record(n).unwrap().last_attested_epoch == epoch);
                let reports = cycle_until(&set, &port, all_attested).await;
                let slashes: Vec<(Pubkey, SlashReason, u64)> = reports.iter().flat_map(|r| r.slashed.clone()).collect();

                // The attested metrics are the median of the lead's and the agreeing peer's
                // own measurements, each kept in its history.
                let audits_of_0: Vec<io_oracle::AuditRecord> =
                    set.daemons.iter().filter_map(|d| d.history().get(&nodes[0], epoch).unwrap()).collect();
                assert_eq!(audits_of_0.len(), 2, "the lead and one agreeing peer audited node 0");
                let median = io_oracle::policy::quorum_median(&[audits_of_0[0].metrics, audits_of_0[1].metrics]);

                // 2. Only oracles drive oracles: unsigned or foreign requests are refused
                // by name before any audit, and a replayed request too.
                let mut peer = oracle_client(&oracle_endpoints[1]).await;
                let audits_before = scrape(set.daemons[1].metrics()).await;
                let audits = |text: &str| {
                    counter(text, "io_oracle_audits_total{result=\"verified\"}")
                        + counter(text, "io_oracle_audits_total{result=\"failed\"}")
                };
                let fresh = pb::ReviewRequest {
                    node: nodes[4].to_string(),
                    epoch,
                    kind: pb::ReviewKind::Audit as i32,
                    verified: true,
                    metrics: Some(pb::Metrics { verified_centi_tflops: 9_999, rtt_us: 1, bandwidth_mbps: 1, packet_loss_bps: 0 }),
                    worker_endpoint: workers[4].endpoint.clone(),
                    findings: String::new(),
                    ..Default::default()
                };
                let refused = peer.review(fresh.clone()).await.unwrap_err();
                assert_eq!(refused.code(), tonic::Code::Unauthenticated);
                assert!(refused.message().contains("not signed by an oracle"), "{refused:?}");
                let stranger = Keypair::new();
                let mut foreign = fresh.clone();
                io_oracle::peer_auth::sign(&mut foreign, &stranger, unix_now(), 60);
                let refused = peer.review(foreign).await.unwrap_err();
                assert!(refused.message().contains(&format!("{} is not in the on-chain oracle set", stranger.pubkey())), "{refused:?}");
                let mut foreign_cosign =
                    pb::CoSignRequest { node: nodes[4].to_string(), epoch, kind: pb::ReviewKind::Audit as i32, ..Default::default() };
                io_oracle::peer_auth::sign(&mut foreign_cosign, &stranger, unix_now(), 60);
                assert_eq!(peer.co_sign(foreign_cosign).await.unwrap_err().code(), tonic::Code::Unauthenticated);
                let audits_after = scrape(set.daemons[1].metrics()).await;
                assert_eq!(audits(&audits_after), audits(&audits_before), "a refused request ran no audit");
                assert_eq!(counter(&audits_after, "io_oracle_peer_requests_refused_total"), 3);

                // A peer refuses what it did not agree to, even from an oracle.
                let mut unasked = pb::CoSignRequest {
                    node: nodes[0].to_string(),
                    epoch: epoch + 7,
                    kind: pb::ReviewKind::Audit as i32,
                    message: vec![1, 2, 3],
                    ..Default::default()
                };
                io_oracle::peer_auth::sign(&mut unasked, &oracle_keys[0], unix_now(), 60);
                let reply = peer.co_sign(unasked).await.unwrap().into_inner();
                assert!(!reply.agreed && reply.reason.contains("not agreed"), "{reply:?}");
                let mut stale = pb::ReviewRequest { node: nodes[0].to_string(), worker_endpoint: workers[0].endpoint.clone(), ..fresh };
                io_oracle::peer_auth::sign(&mut stale, &oracle_keys[0], unix_now(), 60);
                let reply = peer.review(stale.clone()).await.unwrap().into_inner();
                assert!(!reply.agreed && reply.reason.contains("already attested"), "{reply:?}");
                let replayed = peer.review(stale).await.unwrap_err();
                assert!(replayed.message().contains("replay"), "{replayed:?}");
                drop((forged, peer));

                // 3. A restarted oracle finds its finished audits and attests nothing again.
                let lead = set
                    .daemons
                    .iter()
                    .position(|d| d.history().get(&nodes[0], epoch).unwrap().is_some_and(|a| a.attestation.is_some()))
                    .expect("a lead");
                let before = set.daemons[lead].history().get(&nodes[0], epoch).unwrap().unwrap();
                let metrics_text = scrape(set.daemons[lead].metrics()).await;
                drop(set.stop(lead));
                // redb holds the file until the last handle goes, and open connections
                // hold the service a little longer than the server.
                let mut reopened = AuditHistory::open(&paths[lead]);
                for _ in 0..50 {
                    if reopened.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    reopened = AuditHistory::open(&paths[lead]);
                }
                let reopened = reopened.unwrap();
                assert_eq!(reopened.get(&nodes[0], epoch).unwrap().as_ref(), Some(&before));
                assert!(matches!(reopened.mark_attested(&nodes[0], epoch, [0; 64]), Err(io_oracle::HistoryError::AlreadyAttested { .. })));
                let peers = LocalOracleSet::peers_of(&oracle_keys, &oracle_endpoints);
                let feed = IndexerFeed::new(&base, Duration::from_secs(30), Some(hook.clone())).unwrap();
                let again =
                    OracleDaemon::with_feed(oracle_keys[lead].insecure_clone(), port.clone(), reopened, peers, settings(), Some(feed))
                        .unwrap();
                again.refresh_oracle_set().await.unwrap();
                assert_eq!(again.endpoint_of(&nodes[0]).as_deref(), Some(workers[0].endpoint.as_str()), "enrollments survive a restart");
                let report = again.run_cycle().await.unwrap();
                assert!(report.attested.is_empty() && report.failed.is_empty(), "{report:?}");
                let address = oracle_endpoints[lead].trim_start_matches("http://").to_string();
                set.restart(lead, again, tokio::net::TcpListener::bind(address).await.unwrap());

                // 4. Worker 1 dies: after the missed beats, its lead has it suspended.
                workers.remove(1).process.kill();
                tokio::time::sleep(Duration::from_millis(900)).await;
                let suspended = |v: &ChainView| v.record(&nodes[1]).unwrap().status == NodeStatus::Suspended;
                let liveness = cycle_until(&set, &port, suspended).await;
                assert!(liveness.iter().any(|r| r.suspended.contains(&nodes[1])), "{liveness:?}");
                // Every daemon read the registry from the indexer's feed, each event once
                // (the restarted lead from the start again, with its new feed).
                let total = index.read().store().changes(None, usize::MAX).unwrap().len() as u64;
                for daemon in &set.daemons {
                    let applied = daemon.registry_events_applied().await.expect("reads from the indexer");
                    assert!(applied > 0 && applied <= total, "{applied} of {total} events");
                }
                set.shutdown();
                drop(workers);
                (slashes, metrics_text, median)
            })
        })
    };
    desk.serve(&mut h.net);
    let (slashes, metrics_text, median) = scenario.join().unwrap();

    // What the chain says.
    let trees = h.config().trees;
    h.registry = RegistryClient::sync(&mut h.net, &trees).unwrap();
    let record = |i: usize| *h.registry.record(&nodes[i]).unwrap();
    let honest = record(0);
    assert_eq!((honest.status, honest.last_attested_epoch), (NodeStatus::Verified, epoch));
    assert!(
        honest.metrics.verified_centi_tflops >= 1 && honest.metrics.bandwidth_mbps > 0 && honest.metrics.rtt_us > 0,
        "{:?}",
        honest.metrics
    );
    assert!(honest.score > 0);
    assert_eq!(honest.metrics, median, "the attestation carries the quorum's median");
    // Through the impaired link: the RTT is the link's 20 ms plus at most 10 ms of the
    // proxy's and the machine's own latency (the quorum keeps the higher of two); the loss
    // is the link's 3.96% round trip within 4 standard deviations of 200 probes (560 bps).
    assert!((20_000..30_000).contains(&honest.metrics.rtt_us), "RTT {} us through a 2 x 10 ms link", honest.metrics.rtt_us);
    let expected_loss = (LINK.round_trip_loss() * 10_000.0).round() as u16;
    let _ = writeln!(
        std::io::stderr(),
        "through the impaired link (2 x 10 ms, {expected_loss} bps round-trip loss): attested RTT {} us, loss {} bps, bandwidth {} Mbps",
        honest.metrics.rtt_us,
        honest.metrics.packet_loss_bps,
        honest.metrics.bandwidth_mbps
    );
    assert!(
        honest.metrics.packet_loss_bps.abs_diff(expected_loss) <= 560,
        "loss {} bps, the link's {expected_loss}",
        honest.metrics.packet_loss_bps
    );
    let other = record(1).metrics;
    assert!(other.rtt_us < 10_000, "a worker on a plain loopback link measures {} us", other.rtt_us);
    let dead = record(1);
    assert_eq!((dead.status, dead.last_attested_epoch, dead.score), (NodeStatus::Suspended, epoch, 0));
    assert_ne!(dead.metrics, NodeMetrics::default(), "a liveness suspension keeps the measured metrics");
    for cheat in [2, 3, 4] {
        assert_eq!((record(cheat).status, record(cheat).last_attested_epoch), (NodeStatus::Suspended, epoch));
    }
    // Every cheat became a slash proposal co-signed by two oracles, each 10% of the stake.
    let mut reasons: Vec<(Pubkey, SlashReason)> = slashes.iter().map(|(n, r, _)| (*n, *r)).collect();
    reasons.sort_by_key(|(n, _)| nodes.iter().position(|m| m == n));
    assert_eq!(
        reasons,
        vec![(nodes[2], SlashReason::SpoofedHardware), (nodes[3], SlashReason::SpoofedHardware), (nodes[4], SlashReason::SpoofedHardware)]
    );
    let config = h.staking_config();
    assert_eq!(config.next_slash_id, 3);
    let mut pending = 0;
    for id in 0..3 {
        let proposal: SlashProposal = io_sdk::client::fetch(&mut h.net, &io_sdk::pda::slash_proposal(id)).unwrap();
        assert_eq!((proposal.operator, proposal.reason), (operator.pubkey(), SlashReason::SpoofedHardware));
        assert_eq!(proposal.oracles.len(), 2);
        pending += proposal.amount;
    }
    assert_eq!(pending, h.stake(&operator.pubkey()).pending_slash);
    assert_eq!(slashes[0].2, bond / 10);
    // The operator's weight follows its one verified node (refreshed in the same transactions).
    let stats = h.operator_stats(&operator.pubkey());
    assert_eq!(stats.verified.gpus_by_tier.iter().sum::<u32>(), 1);
    h.check_invariants();
    h.check_staking_invariants();

    // The lead of node 0 counted what it did, and Prometheus could read it.
    assert!(metrics_text.starts_with("HTTP/1.1 200 OK"), "{metrics_text}");
    assert!(counter(&metrics_text, "io_oracle_attestations_total{verdict=\"verified\"}") >= 1);
    assert!(counter(&metrics_text, "io_oracle_audits_total{result=\"verified\"}") >= 1);
    assert!(counter(&metrics_text, "io_oracle_heartbeats_total") >= 1);
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

/// Opens an oracle's history again once the stopped daemon's last handle is gone (redb
/// holds the file until then).
async fn reopen(path: &std::path::Path) -> AuditHistory {
    for _ in 0..50 {
        if let Ok(history) = AuditHistory::open(path) {
            return history;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    AuditHistory::open(path).unwrap()
}

/// The lead stops right after the attestation of a cheat lands, before its slash
/// proposal (as a killed process would); every oracle then restarts. The slash the quorum
/// agreed on is proposed from the lead's outbox, co-signed by a peer whose agreement
/// survived its own restart, and only once.
#[test]
fn a_slash_agreed_before_the_lead_stopped_is_proposed_after_a_restart() {
    let mut h = Harness::with_genesis(loopback_genesis());
    let operator = h.operator();
    let bond = 50_000 * 10u64.pow(9);
    let tokens = h.fund_io(&operator.pubkey(), bond);
    h.ok(&[io_sdk::staking::deposit(&operator.pubkey(), &h.io_mint.clone(), &tokens, bond)], &[&operator]);
    let worker = Worker::start(0, Conduct::ForeignUuids(vec!["GPU-someone-elses".into()]));
    let ids = uuids(0);
    let spec = HardwareSpec {
        gpu_model: h.model_id(LOOPBACK_CPU_MODEL),
        gpu_count: 1,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: h.spec("H100", 1, 1).region,
        gpu_uuids_hash: io_sdk::gpu_uuids_hash(&ids),
    };
    h.registry.register(&mut h.net, &operator, &worker.key, spec).unwrap();
    let node = worker.key.pubkey();
    let epoch = h.current_epoch();
    let oracle_keys: Vec<Keypair> = h.oracles.iter().map(|k| k.insecure_clone()).collect();
    let paths: Vec<PathBuf> = (0..3).map(|i| db_path("outbox", i)).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (port, desk) = chain_port();
    let scenario = {
        let paths = paths.clone();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let next_slash_id = || {
                    port.call(|chain| {
                        let mut chain = chain;
                        Ok(io_sdk::client::fetch::<io_staking::StakingConfig>(&mut chain, &io_sdk::pda::staking_config())?.next_slash_id)
                    })
                };
                let crashing = OracleSettings { stop_after_attestation: true, ..settings() };
                let histories = paths.iter().map(|p| AuditHistory::open(p).unwrap()).collect();
                let set = LocalOracleSet::start(&oracle_keys, &port, histories, &crashing).await.unwrap();
                for e in &set.endpoints {
                    io_worker::enroll::enroll(&worker.key, &worker.endpoint, e).await.unwrap();
                }
                let attested = |v: &ChainView| v.record(&node).unwrap().last_attested_epoch == epoch;
                let reports = cycle_until(&set, &port, attested).await;
                assert!(reports.iter().any(|r| r.failed.iter().any(|(_, why)| why.contains("fault injection"))), "{reports:#?}");
                assert_eq!(next_slash_id().await.unwrap(), 0, "no slash was proposed before the stop");
                let leads: Vec<usize> = (0..3).filter(|i| !set.daemons[*i].history().pending_slashes().unwrap().is_empty()).collect();
                assert_eq!(leads.len(), 1, "exactly the lead holds the slash in its outbox");
                set.shutdown();

                // Every oracle restarts from its file, without the fault.
                let mut histories = vec![];
                for path in &paths {
                    histories.push(reopen(path).await);
                }
                let set = LocalOracleSet::start(&oracle_keys, &port, histories, &settings()).await.unwrap();
                let mut slashed = vec![];
                for _ in 0..30 {
                    for daemon in &set.daemons {
                        slashed.extend(daemon.run_cycle().await.unwrap().slashed);
                    }
                    if next_slash_id().await.unwrap() == 1 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                // More cycles propose nothing again.
                for daemon in &set.daemons {
                    slashed.extend(daemon.run_cycle().await.unwrap().slashed);
                }
                assert_eq!(next_slash_id().await.unwrap(), 1, "proposed exactly once");
                assert!(set.daemons[leads[0]].history().pending_slashes().unwrap().is_empty(), "the outbox is empty once it landed");
                set.shutdown();
                drop(worker);
                slashed
            })
        })
    };
    desk.serve(&mut h.net);
    let slashed = scenario.join().unwrap();
    assert_eq!(slashed, vec![(node, SlashReason::SpoofedHardware, bond / 10)]);
    let proposal: SlashProposal = io_sdk::client::fetch(&mut h.net, &io_sdk::pda::slash_proposal(0)).unwrap();
    assert_eq!(
        (proposal.operator, proposal.reason, proposal.amount, proposal.oracles.len()),
        (operator.pubkey(), SlashReason::SpoofedHardware, bond / 10, 2)
    );
    h.check_staking_invariants();
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

/// A node key registered twice gains nothing. Its first leaf, 8 "H100s" verified, would
/// otherwise keep counting while only the newest leaf is audited: the quorum suspends
/// that shadowed leaf without an audit (the chain is the evidence), and audits the newest
/// as usual.
#[test]
fn a_node_key_registered_twice_counts_once() {
    let mut h = Harness::with_genesis(loopback_genesis());
    let operator = h.operator();
    let worker = Worker::start(0, Conduct::Honest);
    let node = worker.key.pubkey();
    let h100 = h.spec("H100", 8, 5);
    h.registry.register(&mut h.net, &operator, &worker.key, h100).unwrap();
    let first = h.verify(&node);
    let first_tree = h.registry.position(&node).unwrap().0;
    assert_eq!(h.counted(&operator.pubkey()).gpus_by_tier, [8, 0, 0]);
    // The same key again, as what it is: one loopback CPU.
    let spec = HardwareSpec {
        gpu_model: h.model_id(LOOPBACK_CPU_MODEL),
        gpu_count: 1,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: h.spec("H100", 1, 6).region,
        gpu_uuids_hash: io_sdk::gpu_uuids_hash(&uuids(0)),
    };
    let second = h.registry.register(&mut h.net, &operator, &worker.key, spec).unwrap();
    assert_ne!(second.leaf_index, first.leaf_index);
    let epoch = h.current_epoch();
    let oracle_keys: Vec<Keypair> = h.oracles.iter().map(|k| k.insecure_clone()).collect();
    let paths: Vec<PathBuf> = (0..3).map(|i| db_path("duplicate", i)).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (port, desk) = chain_port();
    let scenario = {
        let paths = paths.clone();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let histories = paths.iter().map(|p| AuditHistory::open(p).unwrap()).collect();
                let set = LocalOracleSet::start(&oracle_keys, &port, histories, &settings()).await.unwrap();
                for e in &set.endpoints {
                    io_worker::enroll::enroll(&worker.key, &worker.endpoint, e).await.unwrap();
                }
                let done = |v: &ChainView| {
                    let old = v.registry.proven_leaf_at(&first_tree, first.leaf_index).unwrap().record;
                    old.status == NodeStatus::Suspended && v.record(&node).unwrap().last_attested_epoch == epoch
                };
                let reports = cycle_until(&set, &port, done).await;
                set.shutdown();
                drop(worker);
                reports
            })
        })
    };
    desk.serve(&mut h.net);
    let reports = scenario.join().unwrap();
    let duplicates: Vec<(Pubkey, Pubkey, u32)> = reports.iter().flat_map(|r| r.duplicates.clone()).collect();
    assert_eq!(duplicates, vec![(node, first_tree, first.leaf_index)], "suspended once, by one lead");

    let trees = h.config().trees;
    h.registry = RegistryClient::sync(&mut h.net, &trees).unwrap();
    let old = h.registry.proven_leaf_at(&first_tree, first.leaf_index).unwrap().record;
    assert_eq!((old.status, old.score), (NodeStatus::Suspended, 0));
    let newest = *h.registry.record(&node).unwrap();
    assert_eq!((newest.leaf_index, newest.status), (second.leaf_index, NodeStatus::Verified));
    // The 8 H100s count no more; the one CPU the key really is does.
    let stats = h.operator_stats(&operator.pubkey());
    assert_eq!((stats.verified.gpus_by_tier[0], stats.verified.gpus_by_tier.iter().sum::<u32>()), (0, 1));
    h.check_invariants();
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

/// Two node keys present the same GPU (two worker processes declaring worker 0's UUID):
/// the first is verified, its attestation logs the GPU's identity, and the second is
/// refused by the quorum as spoofed hardware and slashed; the GPU counts once.
#[test]
fn one_gpu_presented_by_two_nodes_counts_once_and_the_second_is_slashed() {
    let mut h = Harness::with_genesis(loopback_genesis());
    let operator = h.operator();
    let bond = 50_000 * 10u64.pow(9);
    let tokens = h.fund_io(&operator.pubkey(), bond);
    h.ok(&[io_sdk::staking::deposit(&operator.pubkey(), &h.io_mint.clone(), &tokens, bond)], &[&operator]);
    // Both workers declare worker 0's UUID (`uuids(0)`).
    let (first, second) = (Worker::start(0, Conduct::Honest), Worker::start(0, Conduct::Honest));
    let spec = HardwareSpec {
        gpu_model: h.model_id(LOOPBACK_CPU_MODEL),
        gpu_count: 1,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: h.spec("H100", 1, 1).region,
        gpu_uuids_hash: io_sdk::gpu_uuids_hash(&uuids(0)),
    };
    for w in [&first, &second] {
        h.registry.register(&mut h.net, &operator, &w.key, spec).unwrap();
    }
    let nodes = [first.key.pubkey(), second.key.pubkey()];
    let epoch = h.current_epoch();
    let slashed = with_oracles(&mut h, "once", settings(), move |set, port| async move {
        // The first node enrolls and is verified...
        for e in &set.endpoints {
            io_worker::enroll::enroll(&first.key, &first.endpoint, e).await.unwrap();
        }
        let verified = |v: &ChainView| v.record(&nodes[0]).unwrap().status == NodeStatus::Verified;
        cycle_until(&set, &port, verified).await;
        // ...then the second, with the same GPU, is audited in the same epoch.
        for e in &set.endpoints {
            io_worker::enroll::enroll(&second.key, &second.endpoint, e).await.unwrap();
        }
        let refused = |v: &ChainView| v.record(&nodes[1]).unwrap().last_attested_epoch == epoch;
        let reports = cycle_until(&set, &port, refused).await;
        drop((first, second));
        (set, reports.iter().flat_map(|r| r.slashed.clone()).collect::<Vec<(Pubkey, SlashReason, u64)>>())
    });

    let trees = h.config().trees;
    h.registry = RegistryClient::sync(&mut h.net, &trees).unwrap();
    let (a, b) = (*h.registry.record(&nodes[0]).unwrap(), *h.registry.record(&nodes[1]).unwrap());
    assert_eq!((a.status, b.status), (NodeStatus::Verified, NodeStatus::Suspended));
    assert_eq!((b.last_attested_epoch, b.deposit_lamports), (epoch, 0), "refused in the same epoch, its deposit forfeited");
    // The first node's attestation named its GPU; the chain alone says where it counts.
    let trees: Vec<Pubkey> = h.registry.trees.keys().copied().collect();
    let gpu = io_sdk::gpu_id(&uuids(0)[0]);
    assert_eq!(h.registry.proven_gpus(&trees[0], a.leaf_index), [gpu]);
    assert_eq!(h.registry.gpus_counted_elsewhere(&[gpu], &nodes[1], epoch), vec![(gpu, nodes[0])]);
    assert_eq!(h.operator_stats(&operator.pubkey()).verified.gpus_by_tier.iter().sum::<u32>(), 1, "one GPU counts once");
    assert_eq!(slashed.iter().map(|(n, r, _)| (*n, *r)).collect::<Vec<_>>(), vec![(nodes[1], SlashReason::SpoofedHardware)]);
    let proposal: SlashProposal = io_sdk::client::fetch(&mut h.net, &io_sdk::pda::slash_proposal(0)).unwrap();
    assert_eq!((proposal.operator, proposal.reason, proposal.oracles.len()), (operator.pubkey(), SlashReason::SpoofedHardware, 2));
    h.check_invariants();
}

/// One simulated device serving several workers: it has `device_time()` of work per product
/// and divides its speed among the products running on it at once (as a GPU time-sliced
/// between two processes does), then the worker's CPU computes the real product.
struct SharedDevice {
    running: std::sync::atomic::AtomicUsize,
}

/// The simulated device is rated at the catalogue's smallest unit, 1 centi-TFLOPS (10^10
/// FLOP/s): a product of `DEVICE_N` takes it 2 n^3 / 10^10 s (0.72 s), about ten times the
/// CPU's own part of the product, so alone it shows about 90% of its rating (over 80%
/// with the CPU half busy), and shared by two under half.
fn device_time() -> Duration {
    let n = f64::from(DEVICE_N);
    Duration::from_secs_f64(2.0 * n * n * n / 1e10)
}
const DEVICE_N: u32 = io_oracle::local::LOOPBACK_N;

struct OnSharedDevice(Arc<SharedDevice>);

struct SharedLoaded {
    device: Arc<SharedDevice>,
    inner: Box<dyn io_poc::Loaded>,
}

impl io_poc::Backend for OnSharedDevice {
    fn name(&self) -> String {
        "simulated shared device".into()
    }
    fn multiply(&self, challenge: &io_poc::Challenge) -> Result<Vec<f32>, String> {
        CpuBackend.multiply(challenge)
    }
    fn load(&self, challenge: &io_poc::Challenge) -> Result<Box<dyn io_poc::Loaded>, String> {
        Ok(Box::new(SharedLoaded { device: self.0.clone(), inner: CpuBackend.load(challenge)? }))
    }
}

impl io_poc::Loaded for SharedLoaded {
    fn run(self: Box<Self>, diagonal: &[f32], sink: &mut dyn FnMut(usize, Vec<f32>)) -> Result<(), String> {
        use std::sync::atomic::Ordering::SeqCst;
        const STEP: Duration = Duration::from_millis(5);
        self.device.running.fetch_add(1, SeqCst);
        let mut done = Duration::ZERO;
        let work = device_time();
        while done < work {
            std::thread::sleep(STEP);
            done += STEP / self.device.running.load(SeqCst).max(1) as u32;
        }
        self.device.running.fetch_sub(1, SeqCst);
        self.inner.run(diagonal, sink)
    }
}

/// Two nodes of one operator, each claiming one GPU, served by one simulated device.
/// Returns both nodes' status after their audit epoch.
fn two_nodes_on_one_device(together: bool) -> ([NodeStatus; 2], String) {
    let mut h = Harness::with_genesis(Genesis::reference().with_loopback_cpu_model(1));
    let operator = h.operator();
    let device = Arc::new(SharedDevice { running: 0.into() });
    let workers: Vec<Worker> = (0..2)
        .map(|i| {
            let key = Keypair::new();
            let ids = uuids(i);
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let inventory = Inventory::declared("shared device", &ids, 1 << 30, "", (0, 0));
            let probe = ProbeServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let agent = WorkerAgent::with_conduct(
                key.insecure_clone(),
                inventory,
                Arc::new(OnSharedDevice(device.clone())),
                probe,
                Conduct::Honest,
            );
            let process = AgentProcess::start(agent, "127.0.0.1:0".parse().unwrap()).unwrap();
            Worker { key, endpoint: process.endpoint.clone(), process, _proxy: None }
        })
        .collect();
    for (i, w) in workers.iter().enumerate() {
        let spec = HardwareSpec {
            gpu_model: h.model_id(LOOPBACK_CPU_MODEL),
            gpu_count: 1,
            cuda: CudaVersion { major: 12, minor: 4 },
            region: h.spec("H100", 1, i as u64).region,
            gpu_uuids_hash: io_sdk::gpu_uuids_hash(&uuids(i)),
        };
        h.registry.register(&mut h.net, &operator, &w.key, spec).unwrap();
    }
    let nodes: Vec<Pubkey> = workers.iter().map(|w| w.key.pubkey()).collect();
    let epoch = h.current_epoch();
    // Alone the device shows about 90% of its rating, shared by two under half: the share
    // required here lies between.
    let mut settings = OracleSettings { audit_together: together, ..settings() };
    settings.audit.min_speed_share_bps = 6_500;
    settings.audit.stress_n = Some(DEVICE_N);
    let tag = if together { "together" } else { "apart" };
    let (reports, groups) = with_oracles(&mut h, tag, settings, {
        let nodes = nodes.clone();
        move |set, port| async move {
            for w in &workers {
                for e in &set.endpoints {
                    io_worker::enroll::enroll(&w.key, &w.endpoint, e).await.unwrap();
                }
            }
            let attested = |v: &ChainView| nodes.iter().all(|n| v.record(n).unwrap().last_attested_epoch == epoch);
            let mut reports = cycle_until(&set, &port, attested).await;
            let groups: u64 = set.daemons.iter().map(|d| d.metrics().group_audits.load(std::sync::atomic::Ordering::Relaxed)).sum();
            // Each oracle's findings, for a failure's message.
            for d in &set.daemons {
                for n in &nodes {
                    if let Some(audit) = d.history().get(n, epoch).unwrap() {
                        reports.push(CycleReport { failed: vec![(*n, format!("audit: {}", audit.findings))], ..CycleReport::default() });
                    }
                }
            }
            drop(workers);
            (set, (reports, groups))
        }
    });
    assert_eq!(groups > 0, together, "group audits ran exactly when asked: {reports:#?}");
    let trees = h.config().trees;
    h.registry = RegistryClient::sync(&mut h.net, &trees).unwrap();
    // What the oracles found, for a failure's message.
    let findings: Vec<String> = reports.iter().flat_map(|r| r.failed.iter().map(|(n, why)| format!("{n}: {why}"))).collect();
    ([h.registry.record(&nodes[0]).unwrap().status, h.registry.record(&nodes[1]).unwrap().status], findings.join("\n"))
}

/// One device registered as two nodes passes when each node is audited on its own (each
/// audit has the device to itself); audited together, as one operator's nodes are, the
/// device shows half its speed to each, and both are suspended.
#[test]
fn one_device_behind_two_nodes_is_exposed_only_when_they_are_audited_together() {
    let (apart, why) = two_nodes_on_one_device(false);
    assert_eq!(apart, [NodeStatus::Verified, NodeStatus::Verified], "apart, the device passes twice:\n{why}");
    let (together, why) = two_nodes_on_one_device(true);
    assert_eq!(together, [NodeStatus::Suspended, NodeStatus::Suspended], "together, it cannot answer for both:\n{why}");
}

/// Oracles share a worker's few stress sessions: a worker whose sessions are all taken
/// (each finished stress test is kept minutes for its openings) refuses the next load.
/// That measures nothing about the node: the lead's audit is inconclusive, nothing is
/// put to the peers or attested, and the honest node is neither suspended nor slashed.
/// (On the validator, three oracles re-auditing one CPU worker every two seconds filled
/// its sessions, and the busy refusals, then taken for an unreachable worker, were agreed
/// into a suspension.)
#[test]
fn a_worker_busy_with_other_audits_gets_no_verdict() {
    let mut h = Harness::with_genesis(loopback_genesis());
    let operator = h.operator();
    let worker = Worker::start(0, Conduct::Honest);
    let node = worker.key.pubkey();
    let spec = HardwareSpec {
        gpu_model: h.model_id(LOOPBACK_CPU_MODEL),
        gpu_count: GPUS[0],
        cuda: CudaVersion { major: 12, minor: 4 },
        region: h.spec("H100", 1, 0).region,
        gpu_uuids_hash: io_sdk::gpu_uuids_hash(&uuids(0)),
    };
    h.registry.register(&mut h.net, &operator, &worker.key, spec).unwrap();
    let (reports, counts) = with_oracles(&mut h, "busy", settings(), move |set, port| async move {
        // Other audits (by an oracle outside this set) take every session the worker keeps.
        let subject = io_oracle::NodeUnderAudit {
            node,
            gpu_uuids_hash: io_sdk::gpu_uuids_hash(&uuids(0)),
            gpu_count: GPUS[0],
            expected_centi_tflops: 0,
        };
        let small = io_oracle::AuditSettings { stress_n: Some(256), ..io_oracle::AuditSettings::default() };
        let mut ledger = io_poc::handshake::ChallengeLedger::default();
        for _ in 0..io_worker::stress::MAX_SESSIONS {
            let outcome = io_oracle::audit_node(&Pubkey::new_unique(), &worker.endpoint, &subject, &mut ledger, &small).await;
            assert!(outcome.verified(), "{:?}", outcome.findings);
        }
        for e in &set.endpoints {
            io_worker::enroll::enroll(&worker.key, &worker.endpoint, e).await.unwrap();
        }
        let landed = |v: &ChainView| v.record(&node).unwrap().status != NodeStatus::Pending;
        let reports = set.cycle_until(&port, 5, Duration::from_millis(100), landed).await.expect_err("no verdict may land");
        let mut counts = [0u64; 4];
        for daemon in &set.daemons {
            let text = scrape(daemon.metrics()).await;
            counts[0] += counter(&text, "io_oracle_audits_total{result=\"inconclusive\"}");
            counts[1] += counter(&text, "io_oracle_audits_total{result=\"failed\"}");
            counts[2] += counter(&text, "io_oracle_attestations_total{verdict=\"suspended\"}");
            counts[3] += counter(&text, "io_oracle_reviews_total{result=\"agreed\"}");
        }
        drop(worker);
        (set, (reports, counts))
    });
    let [inconclusive, failed, suspended, agreed] = counts;
    assert!(inconclusive >= 5, "the lead tried in each of the 5 rounds: {inconclusive}");
    assert_eq!((failed, suspended, agreed), (0, 0, 0));
    assert!(reports.iter().all(|r| r.attested.is_empty() && r.slashed.is_empty()), "{reports:#?}");
    let busy = format!("the worker is busy with other audits: {} stress sessions are open", io_worker::stress::MAX_SESSIONS);
    let why: Vec<&String> = reports.iter().flat_map(|r| r.failed.iter()).filter(|(n, _)| *n == node).map(|(_, why)| why).collect();
    assert!(!why.is_empty() && why.iter().all(|w| w.contains("inconclusive, no verdict") && w.contains(&busy)), "{why:#?}");
    let trees = h.config().trees;
    h.registry = RegistryClient::sync(&mut h.net, &trees).unwrap();
    let record = *h.registry.record(&node).unwrap();
    assert_eq!((record.status, record.last_attested_epoch), (NodeStatus::Pending, 0));
    h.check_invariants();
}
