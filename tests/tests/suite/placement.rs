//! The placement query on the embedded bank: nodes of two models at several CUDA versions,
//! attested with different metrics (one suspended, one retired, one never audited), then
//! the SDK query and the `io placement` report, checked for exact order and filter.

use io_cli::placement_cmd::{run_placement, PlacementArgs};
use io_registry::*;
use io_sdk::client::fetch;
use io_sdk::network::RegistryClient;
use io_sdk::pda;
use io_sdk::placement::{place, resolve_model, PlacementError, PlacementRequest};
use io_tests::Harness;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

fn cuda(major: u8, minor: u8) -> CudaVersion {
    CudaVersion { major, minor }
}

fn metrics(rtt_us: u32, bandwidth_mbps: u32, packet_loss_bps: u16) -> NodeMetrics {
    NodeMetrics { verified_centi_tflops: 6_000, rtt_us, bandwidth_mbps, packet_loss_bps }
}

struct Network {
    h: Harness,
    /// Node ids by name.
    nodes: std::collections::BTreeMap<&'static str, Pubkey>,
}

impl Network {
    fn node(&self, name: &str) -> Pubkey {
        self.nodes[name]
    }

    fn names(&self, ids: &[Pubkey]) -> Vec<&'static str> {
        ids.iter().map(|id| *self.nodes.iter().find(|(_, v)| *v == id).expect("a named node").0).collect()
    }
}

/// Registers `model` x `gpus` at `cuda` and, when `attested` is given, verifies it with
/// those metrics in the current epoch.
fn add(
    h: &mut Harness,
    operator: &Keypair,
    model: &str,
    gpus: u16,
    version: CudaVersion,
    seed: u64,
    attested: Option<NodeMetrics>,
) -> Pubkey {
    let mut spec = h.spec(model, gpus, seed);
    spec.cuda = version;
    let (node, _) = h.register(operator, spec);
    if let Some(metrics) = attested {
        let epoch = h.current_epoch();
        let oracles: Vec<Keypair> = h.oracles.iter().take(2).map(|k| k.insecure_clone()).collect();
        let refs: Vec<&Keypair> = oracles.iter().collect();
        let record = *h.registry.record(&node.pubkey()).unwrap();
        let gpus = h.gpu_ids(&record);
        let record = h.registry.attest(&mut h.net, &refs, &node.pubkey(), epoch, Verdict::Verified, metrics, gpus).expect("attest");
        assert_eq!(record.status, NodeStatus::Verified);
        assert_eq!(record.metrics, metrics);
    }
    node.pubkey()
}

fn network() -> Network {
    let mut h = Harness::new();
    let (a, b) = (h.operator(), h.operator());
    let mut nodes = std::collections::BTreeMap::new();
    // H100 (enterprise: at least 10 Gbps to be verified).
    nodes.insert("h100-wide", add(&mut h, &a, "H100", 8, cuda(12, 4), 1, Some(metrics(5_000, 40_000, 5))));
    nodes.insert("h100-narrow", add(&mut h, &b, "H100", 8, cuda(12, 4), 2, Some(metrics(5_000, 20_000, 0))));
    nodes.insert("h100-old-cuda", add(&mut h, &a, "H100", 4, cuda(11, 8), 3, Some(metrics(1_000, 15_000, 12))));
    nodes.insert("h100-cuda13", add(&mut h, &b, "H100", 2, cuda(13, 0), 4, Some(metrics(9_000, 10_000, 150))));
    nodes.insert("h100-12.2", add(&mut h, &a, "H100", 8, cuda(12, 2), 5, Some(metrics(7_500, 30_000, 1))));
    nodes.insert("h100-suspended", add(&mut h, &b, "H100", 8, cuda(12, 6), 6, Some(metrics(500, 90_000, 0))));
    nodes.insert("h100-retired", add(&mut h, &a, "H100", 8, cuda(12, 6), 7, Some(metrics(600, 90_000, 0))));
    nodes.insert("h100-pending", add(&mut h, &b, "H100", 8, cuda(12, 6), 8, None));
    // A100, better placed than every H100: never an H100 candidate.
    nodes.insert("a100-near", add(&mut h, &a, "A100", 8, cuda(12, 2), 9, Some(metrics(200, 50_000, 0))));
    nodes.insert("a100-old-cuda", add(&mut h, &b, "A100", 4, cuda(11, 4), 10, Some(metrics(3_000, 12_000, 3))));

    // Next epoch: the quorum suspends one node, its operator retires another.
    let epoch = h.next_epoch();
    let oracles: Vec<Keypair> = h.oracles.iter().take(2).map(|k| k.insecure_clone()).collect();
    let refs: Vec<&Keypair> = oracles.iter().collect();
    let suspended = nodes["h100-suspended"];
    let record = h.registry.attest(&mut h.net, &refs, &suspended, epoch, Verdict::Suspended, metrics(500, 90_000, 0), vec![]).unwrap();
    assert_eq!(record.status, NodeStatus::Suspended);
    let record = h.registry.retire(&mut h.net, &a, &nodes["h100-retired"]).unwrap();
    assert_eq!(record.status, NodeStatus::Retired);
    h.check_invariants();
    Network { h, nodes }
}

fn catalogue(h: &mut Harness) -> GpuCatalogue {
    fetch(&mut h.net, &pda::gpu_catalogue()).unwrap()
}

fn sdk_query(net: &mut Network, model: &str, min_cuda: CudaVersion, min_gpus: u16, limit: Option<usize>) -> Vec<&'static str> {
    let catalogue = catalogue(&mut net.h);
    let model = resolve_model(&catalogue, model).unwrap().id;
    let request = PlacementRequest { model, min_cuda, min_gpus, limit };
    // The harness's live view and a view rebuilt from the chain answer alike.
    let live = place(&net.h.registry, &catalogue, &request).unwrap();
    let trees = net.h.config().trees;
    let synced = RegistryClient::sync(&mut net.h.net, &trees).unwrap();
    assert_eq!(place(&synced, &catalogue, &request).unwrap(), live);
    let ids: Vec<Pubkey> = live.iter().map(|c| c.record.node_id).collect();
    net.names(&ids)
}

fn cli(net: &mut Network, model: &str, min_cuda: &str, gpus: u16, limit: Option<usize>) -> anyhow::Result<String> {
    let args = PlacementArgs { model: model.into(), min_cuda: min_cuda.into(), gpus, limit, indexer: None };
    run_placement(&mut net.h.net, &args)
}

/// The node ids of the report's rows, in order.
fn rows(net: &Network, report: &str) -> Vec<&'static str> {
    let ids: Vec<Pubkey> = report.lines().skip(2).map(|line| line.split_whitespace().next().unwrap().parse().unwrap()).collect();
    net.names(&ids)
}

#[test]
fn placement_orders_verified_nodes_by_rtt_then_bandwidth_and_filters_exactly() {
    let mut net = network();
    let any = cuda(0, 0);

    // Every verified H100, nearest first; the RTT tie (5 ms) goes to the wider link.
    let all = ["h100-old-cuda", "h100-wide", "h100-narrow", "h100-12.2", "h100-cuda13"];
    assert_eq!(sdk_query(&mut net, "H100", any, 1, None), all);
    // CUDA >= 12.0 drops 11.8; >= 12.3 drops 12.2 too; >= 12.5 keeps only 13.0.
    assert_eq!(sdk_query(&mut net, "H100", cuda(12, 0), 1, None), ["h100-wide", "h100-narrow", "h100-12.2", "h100-cuda13"]);
    assert_eq!(sdk_query(&mut net, "h100", cuda(12, 3), 1, None), ["h100-wide", "h100-narrow", "h100-cuda13"]);
    assert_eq!(sdk_query(&mut net, "H100", cuda(12, 5), 1, None), ["h100-cuda13"]);
    assert!(sdk_query(&mut net, "H100", cuda(13, 1), 1, None).is_empty());
    // GPU count and limit.
    assert_eq!(sdk_query(&mut net, "H100", any, 8, None), ["h100-wide", "h100-narrow", "h100-12.2"]);
    assert_eq!(sdk_query(&mut net, "H100", any, 4, Some(2)), ["h100-old-cuda", "h100-wide"]);
    // The other model.
    assert_eq!(sdk_query(&mut net, "A100", any, 1, None), ["a100-near", "a100-old-cuda"]);
    assert_eq!(sdk_query(&mut net, "A100", cuda(12, 0), 1, None), ["a100-near"]);
    // A model nobody registered.
    assert!(sdk_query(&mut net, "L40S", any, 1, None).is_empty());

    // Named refusals.
    let catalogue = catalogue(&mut net.h);
    assert_eq!(resolve_model(&catalogue, "H100 SXM"), Err(PlacementError::UnknownModel("H100 SXM".into())));
    let h100 = resolve_model(&catalogue, "H100").unwrap().id;
    let zero = PlacementRequest { min_gpus: 0, ..PlacementRequest::new(h100) };
    assert_eq!(place(&net.h.registry, &catalogue, &zero), Err(PlacementError::ZeroGpus));

    // The CLI prints the same candidates in the same order, one row each.
    let report = cli(&mut net, "h100", "0.0", 1, None).unwrap();
    assert!(report.starts_with("placement  H100 (model #0), CUDA >= 0.0, >= 1 GPUs: 5 candidates\n"), "{report}");
    let header: Vec<&str> = report.lines().nth(1).unwrap().split("  ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(header, ["node", "operator", "GPUs", "CUDA", "RTT (ms)", "bandwidth (Mbps)", "loss %", "score"]);
    assert_eq!(rows(&net, &report), all);
    // One row in full.
    let wide = *net.h.registry.record(&net.node("h100-wide")).unwrap();
    let row = report.lines().find(|l| l.starts_with(&wide.node_id.to_string())).unwrap();
    let score = format!("{:.4}", f64::from(wide.score) / 10_000.0);
    let operator = wide.operator.to_string();
    assert_eq!(
        row.split_whitespace().skip(1).collect::<Vec<_>>(),
        [operator.as_str(), "8", "12.4", "5.000", "40000", "0.05", score.as_str()]
    );
    assert!(wide.score > 0);
    let cuda13 = report.lines().find(|l| l.starts_with(&net.node("h100-cuda13").to_string())).unwrap();
    assert_eq!(cuda13.split_whitespace().skip(2).take(5).collect::<Vec<_>>(), ["2", "13.0", "9.000", "10000", "1.50"]);

    let report = cli(&mut net, "H100", "12.0", 8, Some(2)).unwrap();
    assert!(report.starts_with("placement  H100 (model #0), CUDA >= 12.0, >= 8 GPUs: 2 candidates\n"), "{report}");
    assert_eq!(rows(&net, &report), ["h100-wide", "h100-narrow"]);
    let report = cli(&mut net, "A100", "12.0", 1, None).unwrap();
    assert_eq!(rows(&net, &report), ["a100-near"]);
    let none = cli(&mut net, "H100", "14.0", 1, None).unwrap();
    assert_eq!(none, "placement  H100 (model #0), CUDA >= 14.0, >= 1 GPUs: 0 candidates\nno verified node matches\n");

    // Refusals by name through the CLI.
    let err = cli(&mut net, "H1000", "0.0", 1, None).unwrap_err().to_string();
    assert_eq!(err, "no GPU model named \"H1000\" in the catalogue");
    let err = cli(&mut net, "H100", "0.0", 0, None).unwrap_err();
    assert_eq!(err.downcast_ref::<PlacementError>(), Some(&PlacementError::ZeroGpus));
    let err = cli(&mut net, "H100", "0.0", 1, Some(0)).unwrap_err();
    assert_eq!(err.downcast_ref::<PlacementError>(), Some(&PlacementError::ZeroLimit));
    assert!(cli(&mut net, "H100", "twelve", 1, None).unwrap_err().to_string().contains("--min-cuda"));
}

#[test]
fn a_retired_model_is_refused_by_name() {
    let mut h = Harness::new();
    let args = || PlacementArgs { model: "l40s".into(), min_cuda: "0.0".into(), gpus: 1, limit: None, indexer: None };
    assert!(run_placement(&mut h.net, &args()).unwrap().contains(": 0 candidates\n"));
    let id = h.model_id("L40S");
    let authority = h.authority.insecure_clone();
    h.ok(&[io_sdk::registry::retire_gpu_model(&authority.pubkey(), id)], &[&authority]);
    let err = run_placement(&mut h.net, &args()).unwrap_err();
    assert_eq!(err.downcast_ref::<PlacementError>(), Some(&PlacementError::RetiredModel("L40S".into())));
    assert_eq!(err.to_string(), "GPU model \"L40S\" is retired: it takes no new work");
    // A query by catalogue id is refused alike.
    let catalogue = catalogue(&mut h);
    assert_eq!(place(&h.registry, &catalogue, &PlacementRequest::new(id)), Err(PlacementError::RetiredModel("L40S".into())));
}
