//! The HTTP API over real HTTP: a server on a local port, serving an index of the embedded
//! bank running the real registry, compression and noop programs. Expected values are the
//! network's own history (which node was verified, updated, suspended, retired), and
//! proofs are checked against the root of the on-chain tree account.

mod common;

use common::{economy, network, Network, IO};
use io_indexer::api::{self, DynStore, IndexerService};
use io_indexer::{Indexer, RedbStore};
use io_registry::GpuCatalogue;
use io_sdk::client::fetch;
use io_sdk::pda;
use serde_json::Value;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use std::collections::BTreeSet;
use std::sync::Arc;

struct Server {
    base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Server {
    fn start(service: Arc<IndexerService>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(api::serve(listener, service, std::future::pending()));
        Self { base, runtime, client: reqwest::Client::new() }
    }

    /// GET `path`: the status code and the body (JSON when it parses, else a string).
    fn get(&self, path: &str) -> (u16, Value) {
        self.runtime.block_on(async {
            let response = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        })
    }

    fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// A refusal: its status and its name.
    fn refused(&self, path: &str) -> (u16, String) {
        let (status, body) = self.get(path);
        (status, body["error"].as_str().unwrap_or_else(|| panic!("GET {path}: no error name in {body}")).to_string())
    }
}

fn service(dir: &tempfile::TempDir) -> Arc<IndexerService> {
    let store: DynStore = Box::new(RedbStore::open(&dir.path().join("index.redb")).unwrap());
    Arc::new(IndexerService::new(Indexer::open(store).unwrap()))
}

fn synced(net: &mut Network, dir: &tempfile::TempDir) -> Arc<IndexerService> {
    let service = service(dir);
    service.sync(&mut net.h.net).unwrap();
    let catalogue: GpuCatalogue = fetch(&mut net.h.net, &pda::gpu_catalogue()).unwrap();
    service.set_catalogue(catalogue);
    service
}

fn ids(nodes: &Value) -> Vec<String> {
    nodes.as_array().unwrap().iter().map(|n| n["node_id"].as_str().unwrap().to_string()).collect()
}

fn key(v: &Value) -> [u8; 32] {
    v.as_str().unwrap().parse::<Pubkey>().unwrap().to_bytes()
}

#[test]
fn nodes_histories_operators_and_listings_are_the_networks() {
    let mut net = network();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(synced(&mut net, &dir));
    let [n0, n1, n2, n3, n4] = [0, 1, 2, 3, 4].map(|i| net.nodes[i].to_string());

    assert_eq!(server.get("/health"), (200, Value::String("ok".into())));
    assert_eq!(server.get("/ready"), (200, Value::String("ready".into())));
    let status = server.ok("/v1/status");
    assert_eq!(status["caught_up"], true);
    assert_eq!((status["trees"].as_u64(), status["leaves"].as_u64()), (Some(1), Some(5)));
    // Verified: 0; pending: 1 (updated after its audit) and 4 (never audited); suspended:
    // 2; retired: 3.
    assert_eq!(status["by_status"], serde_json::json!({"pending": 2, "verified": 1, "suspended": 1, "retired": 1}));

    // A node: the record the chain holds (node 1 was re-specified to 3 GPUs).
    let one = server.ok(&format!("/v1/nodes/{n1}"));
    assert_eq!(one["node_id"], n1.as_str());
    assert_eq!(one["operator"], net.operators[1].pubkey().to_string());
    assert_eq!((one["status"].as_str(), one["gpu_count"].as_u64(), one["leaf_index"].as_u64()), (Some("Pending"), Some(3), Some(1)));
    assert_eq!(
        (one["gpu_model_name"].as_str(), one["cuda"].as_str(), one["tier"].as_str()),
        (Some("H100"), Some("12.4"), Some("Enterprise"))
    );
    assert_eq!(one["tree"], net.h.first_tree.to_string());
    let history = server.ok(&format!("/v1/nodes/{n1}/history"));
    let history: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["change"].as_str().unwrap()).collect();
    assert_eq!(history, ["Registered", "Attested", "Updated"]);
    assert_eq!(server.refused("/v1/nodes/not-a-key"), (400, "InvalidKey".into()));
    assert_eq!(server.refused(&format!("/v1/nodes/{}", Pubkey::new_unique())), (404, "NodeNotFound".into()));
    assert_eq!(server.refused(&format!("/v1/nodes/{}/history", Pubkey::new_unique())), (404, "NodeNotFound".into()));

    // Operator 0 registered nodes 0, 2 and 4 (1 GPU verified on node 0); operator 1 nodes 1 and 3.
    let op0 = server.ok(&format!("/v1/operators/{}", net.operators[0].pubkey()));
    assert_eq!(op0["leaves"], 3);
    assert_eq!(op0["by_status"], serde_json::json!({"pending": 1, "verified": 1, "suspended": 1, "retired": 0}));
    assert_eq!(op0["verified_gpus"], 1);
    assert_eq!(server.refused(&format!("/v1/operators/{}", Pubkey::new_unique())), (404, "OperatorNotFound".into()));

    // Listings by filter.
    let list = |query: &str| ids(&server.ok(&format!("/v1/nodes?{query}"))["nodes"]);
    assert_eq!(list("status=pending"), [n1.clone(), n4.clone()]);
    assert_eq!(list("status=VERIFIED"), vec![n0.clone()]);
    assert_eq!(list("status=retired&tier=enterprise"), vec![n3.clone()]);
    assert_eq!(list(&format!("operator={}&status=suspended", net.operators[0].pubkey())), vec![n2.clone()]);
    assert_eq!(list("tier=consumer"), Vec::<String>::new());
    // Every record's own cell, and its resolution-0 ancestor, find it.
    let region = one["region"].as_str().unwrap();
    assert!(list(&format!("cell={region}")).contains(&n1));
    let coarse = h3o::CellIndex::try_from(u64::from_str_radix(region, 16).unwrap()).unwrap().parent(h3o::Resolution::Zero).unwrap();
    assert!(list(&format!("cell={coarse}")).contains(&n1));

    // Pages of two: every leaf once, in leaf order.
    let mut seen = vec![];
    let mut path = "/v1/nodes?limit=2".to_string();
    loop {
        let page = server.ok(&path);
        seen.extend(ids(&page["nodes"]));
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/nodes?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, [n0, n1, n2, n3, n4]);

    for bad in ["limit=0", "limit=1001", "status=lost", "tier=gold", "cell=zz", "after=nope", "operator=x"] {
        let expected = if bad.starts_with("operator") { "InvalidKey" } else { "InvalidParameter" };
        assert_eq!(server.refused(&format!("/v1/nodes?{bad}")), (400, expected.into()), "{bad}");
    }
}

#[test]
fn proofs_verify_against_the_on_chain_root() {
    let mut net = network();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(synced(&mut net, &dir));
    let tree = net.h.first_tree;
    let onchain = net.h.onchain_root(&tree);

    let trees = server.ok("/v1/trees");
    assert_eq!(trees.as_array().unwrap().len(), 1);
    assert_eq!((key(&trees[0]["root"]), trees[0]["leaves"].as_u64()), (onchain, Some(5)));

    for (i, node) in net.nodes.iter().enumerate() {
        let by_node = server.ok(&format!("/v1/nodes/{node}/proof"));
        let by_leaf = server.ok(&format!("/v1/trees/{tree}/leaves/{i}/proof"));
        assert_eq!(by_node, by_leaf);
        // The leaf is the hash of the record the harness holds (checked against the chain
        // after every step); folding the proof from it gives the on-chain root.
        let record = net.h.registry.record(node).unwrap();
        assert_eq!(key(&by_node["leaf"]), record.leaf_hash());
        // The record's view converts back to the record, every field.
        let view: io_indexer::api::views::NodeView = serde_json::from_value(by_node["record"].clone()).unwrap();
        assert_eq!(view.record().unwrap(), (tree, *record));
        let proof: Vec<[u8; 32]> = by_node["proof"].as_array().unwrap().iter().map(key).collect();
        assert_eq!(proof.len() as u32, trees[0]["depth"].as_u64().unwrap() as u32);
        let at = io_sdk::mirror::root_from_proof(key(&by_node["leaf"]), i as u32, &proof);
        assert_eq!(at, onchain, "leaf {i}");
        assert_eq!(key(&by_node["root"]), onchain);
    }
    assert_eq!(server.refused(&format!("/v1/trees/{tree}/leaves/5/proof")), (404, "LeafNotFound".into()));
    assert_eq!(server.refused(&format!("/v1/trees/{}/leaves/0/proof", Pubkey::new_unique())), (404, "TreeNotFound".into()));
    assert_eq!(server.get(&format!("/v1/trees/{tree}/leaves/minus-one/proof")).0, 400);
}

#[test]
fn placement_and_clusters_are_served_from_the_index() {
    let mut net = network();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(synced(&mut net, &dir));
    let n0 = net.nodes[0].to_string();

    // Only node 0 is verified (and has 1 GPU).
    let placed = server.ok("/v1/placement?model=h100&min_cuda=12.0");
    assert_eq!((placed["model"].as_str(), ids(&placed["candidates"])), (Some("H100"), vec![n0.clone()]));
    assert!(ids(&server.ok("/v1/placement?model=H100&gpus=2")["candidates"]).is_empty());
    assert!(ids(&server.ok("/v1/placement?model=H100&min_cuda=12.5")["candidates"]).is_empty());
    let h100 = placed["candidates"][0]["gpu_model"].as_u64().unwrap();
    assert_eq!(ids(&server.ok(&format!("/v1/placement?model={h100}"))["candidates"]), vec![n0.clone()]);

    let cluster = server.ok("/v1/placement/cluster?model=H100&nodes=1&distance=0");
    assert_eq!((cluster["found"].as_bool(), ids(&cluster["nodes"])), (Some(true), vec![n0]));
    assert_eq!(cluster["worst_rtt_us"], cluster["nodes"][0]["rtt_us"]);
    let none = server.ok("/v1/placement/cluster?model=H100&nodes=2&distance=3");
    assert_eq!((none["found"].as_bool(), none["nodes"].as_array().map(Vec::len)), (Some(false), Some(0)));

    let too_many = format!("/v1/placement?model=H100&gpus={}", io_registry::MAX_GPUS_PER_NODE + 1);
    for (query, status, name) in [
        ("/v1/placement?model=K9000", 400, "UnknownModel"),
        ("/v1/placement?model=999", 400, "UnknownModelId"),
        ("/v1/placement?model=H100&gpus=0", 400, "ZeroGpus"),
        (too_many.as_str(), 400, "TooManyGpus"),
        ("/v1/placement?model=H100&limit=0", 400, "ZeroLimit"),
        ("/v1/placement?model=H100&limit=1001", 400, "InvalidParameter"),
        ("/v1/placement?model=H100&min_cuda=twelve", 400, "InvalidParameter"),
        ("/v1/placement/cluster?model=H100&nodes=0&distance=1", 400, "ZeroNodes"),
        ("/v1/placement/cluster?model=H100&nodes=65&distance=1", 400, "TooManyNodes"),
        ("/v1/placement/cluster?model=H100&nodes=2&distance=17", 400, "DistanceTooLarge"),
    ] {
        assert_eq!(server.refused(query), (status, name.to_string()), "{query}");
    }
}

#[test]
fn readiness_metrics_and_the_openapi_document() {
    let mut net = network();
    let dir = tempfile::tempdir().unwrap();
    let service = service(&dir);
    let server = Server::start(service.clone());
    // Before its first pass the indexer is alive but not ready, and it cannot place
    // without the catalogue.
    assert_eq!(server.get("/health").0, 200);
    assert_eq!(server.get("/ready"), (503, Value::String("catching up".into())));
    assert_eq!(server.refused("/v1/placement?model=H100"), (503, "CatalogueUnavailable".into()));
    let report = service.sync(&mut net.h.net).unwrap();
    assert_eq!(server.get("/ready").0, 200);
    service.set_catalogue(fetch(&mut net.h.net, &pda::gpu_catalogue()).unwrap());

    server.ok(&format!("/v1/nodes/{}", net.nodes[0]));
    let (status, metrics) = server.get("/metrics");
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap().to_string();
    // 12 node events (5 registrations, 4 audits, an update, a suspension, a retirement).
    assert!(metrics.contains("io_indexer_events_total 12\n"), "{metrics}");
    assert!(metrics.contains(&format!("io_indexer_transactions_total {}\n", report.transactions)), "{metrics}");
    assert!(metrics.contains(&format!("io_indexer_cursor {}\n", report.cursor.unwrap())), "{metrics}");
    assert!(metrics.contains("io_indexer_lag_transactions 0\n"), "{metrics}");
    assert!(metrics.contains(r#"io_indexer_request_seconds_count{route="/v1/nodes/{node_id}",status="200"} 1"#), "{metrics}");

    // The document describes exactly the /v1 routes the server has.
    let doc = server.ok("/openapi.json");
    let paths: BTreeSet<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    let served: BTreeSet<&str> = [
        "/v1/status",
        "/v1/nodes",
        "/v1/nodes/{node_id}",
        "/v1/nodes/{node_id}/history",
        "/v1/nodes/{node_id}/proof",
        "/v1/trees",
        "/v1/trees/{tree}/leaves/{leaf_index}/proof",
        "/v1/operators/{operator}",
        "/v1/changes",
        "/v1/placement",
        "/v1/placement/cluster",
        "/v1/operators/{operator}/stake",
        "/v1/operators/{operator}/slashes",
        "/v1/emissions",
        "/v1/payments",
        "/v1/burns",
        "/v1/proposals",
        "/v1/proposals/{id}",
        "/v1/network/metrics",
        "/v1/network/cells",
    ]
    .into();
    assert_eq!(paths, served);
    for path in &served {
        let concrete = path
            .replace("{node_id}", &net.nodes[0].to_string())
            .replace("{tree}", &net.h.first_tree.to_string())
            .replace("{leaf_index}", "0")
            .replace("{operator}", &net.operators[0].pubkey().to_string())
            .replace("{id}", "0");
        let concrete = if path.starts_with("/v1/placement") { format!("{concrete}?model=H100&nodes=1&distance=0") } else { concrete };
        // The registry's network stakes nothing and proposes nothing: those two are named 404s.
        // No network parameters were given to this service: the report is a named 503.
        let expected = match *path {
            p if p.ends_with("/stake") || p.ends_with("{id}") => 404,
            "/v1/network/metrics" => 503,
            _ => 200,
        };
        assert_eq!(server.get(&concrete).0, expected, "{concrete}");
    }
    assert_eq!(server.get("/v1/nowhere").0, 404);
}

#[test]
fn stakes_slashes_emissions_payments_burns_and_proposals_are_the_chains() {
    let mut e = economy();
    let dir = tempfile::tempdir().unwrap();
    let service = service(&dir);
    service.sync(&mut e.h.net).unwrap();
    let server = Server::start(service);
    let (a, b) = (e.a.pubkey().to_string(), e.b.pubkey().to_string());

    // Stake positions, as the chain's accounts hold them.
    for (operator, key) in [(&a, e.a.pubkey()), (&b, e.b.pubkey())] {
        let view = server.ok(&format!("/v1/operators/{operator}/stake"));
        let chain = e.h.stake(&key);
        let unbonding: u64 = chain.unbonding.iter().map(|entry| entry.amount).sum();
        assert_eq!(view["bonded"], chain.bonded);
        assert_eq!(view["unbonding"], unbonding);
        assert_eq!(view["weight"], chain.weight);
        assert_eq!(view["claimed_rewards"], chain.claimed_rewards);
    }
    assert_eq!(server.ok(&format!("/v1/operators/{b}/stake"))["slashed"], 20_000 * IO);
    let slashes = server.ok(&format!("/v1/operators/{b}/slashes"));
    let outcome: Vec<(u64, &str)> =
        slashes.as_array().unwrap().iter().map(|s| (s["id"].as_u64().unwrap(), s["status"].as_str().unwrap())).collect();
    assert_eq!(outcome, [(e.vetoed, "Vetoed"), (e.executed, "Executed")]);

    // Emissions, a page at a time: the last crank's total is the config's.
    let mut cranks = vec![];
    let mut path = "/v1/emissions?limit=1".to_string();
    loop {
        let page = server.ok(&path);
        cranks.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/emissions?limit=1&after={next}"),
            None => break,
        }
    }
    assert!(cranks.len() >= 2, "{cranks:?}");
    assert_eq!(cranks.last().unwrap()["total_minted"], e.h.emissions_config().total_minted);

    // Payments, one payer's; burns: the payment in IO's 98% and the executed slash.
    let payments = server.ok("/v1/payments")["items"].clone();
    assert_eq!(payments.as_array().unwrap().len(), 2);
    let paid = server.ok(&format!("/v1/payments?payer={}", e.enterprise.pubkey()))["items"].clone();
    assert_eq!(
        (paid[0]["asset"].as_str(), paid[0]["fee"].as_u64(), paid[0]["rest"].as_u64()),
        (Some("Io"), Some(200 * IO), Some(9_800 * IO))
    );
    let burns = server.ok("/v1/burns")["items"].clone();
    let burns: Vec<(&str, u64)> =
        burns.as_array().unwrap().iter().map(|b| (b["source"].as_str().unwrap(), b["amount"].as_u64().unwrap())).collect();
    assert_eq!(burns, [("Slash", 20_000 * IO), ("Payment", 9_800 * IO)]);

    // Proposals: the list and the detail with its votes.
    let list = server.ok("/v1/proposals");
    let count = e.h.governance_config().unwrap().proposal_count;
    assert_eq!(list["items"].as_array().unwrap().len() as u64, count);
    assert!(list["next"].is_null());
    assert_eq!(list["items"][e.proposal as usize]["status"], "Executed");
    let detail = server.ok(&format!("/v1/proposals/{}", e.proposal));
    let chain = e.h.proposal(e.proposal);
    assert_eq!((detail["proposal"]["yes"].as_u64(), detail["proposal"]["no"].as_u64()), (Some(chain.yes), Some(chain.no)));
    assert_eq!(detail["proposal"]["status"], "Executed");
    assert_eq!(detail["votes"].as_array().unwrap().len(), 2);

    // Refusals, by name.
    let stranger = Pubkey::new_unique();
    assert_eq!(server.refused(&format!("/v1/operators/{stranger}/stake")), (404, "StakeNotFound".into()));
    assert_eq!(server.refused("/v1/proposals/7"), (404, "ProposalNotFound".into()));
    assert_eq!(server.refused("/v1/emissions?after=12"), (400, "InvalidCursor".into()));
    assert_eq!(server.refused("/v1/burns?limit=0"), (400, "InvalidLimit".into()));
    assert_eq!(server.refused("/v1/proposals?limit=101"), (400, "InvalidLimit".into()));
    assert_eq!(server.refused("/v1/payments?payer=nope"), (400, "InvalidKey".into()));
}

/// The network report over HTTP: the same report the service makes, each refusal by name
/// (no parameters, no price, a bad price), and its figures as Prometheus gauges.
#[test]
fn the_network_report_and_its_gauges() {
    let mut e = economy();
    let dir = tempfile::tempdir().unwrap();
    let service = service(&dir);
    service.sync(&mut e.h.net).unwrap();
    let server = Server::start(service.clone());
    assert_eq!(server.refused("/v1/network/metrics?io_usd=1"), (503, "MetricsNotConfigured".into()));
    let (_, text) = server.get("/metrics");
    assert!(text.as_str().unwrap().contains("io_indexer_network_report_errors_total 1"), "{text}");

    service.set_network_params(common::network_params());
    // The fixture's treasury filled no buyback, so there is no price until one is given.
    assert_eq!(server.refused("/v1/network/metrics"), (400, "NoPrice".into()));
    assert_eq!(server.refused("/v1/network/metrics?io_usd=-2"), (400, "InvalidPrice".into()));
    assert_eq!(server.get("/v1/network/metrics?io_usd=abc").0, 400);
    let body = server.ok("/v1/network/metrics?io_usd=0.5");
    // The service's own report (JSON floats may differ in the last digit after the trip).
    let expected = service.network_report(Some(0.5)).unwrap();
    assert_eq!(body["tier_mix"], serde_json::to_value(expected.tier_mix).unwrap());
    assert_eq!(body["periods"].as_array().unwrap().len(), expected.periods.len());
    let trailing = expected.trailing.as_ref().unwrap();
    for (field, value) in [("de_ratio", trailing.de_ratio.unwrap()), ("annual_emission_io", trailing.annual_emission_io)] {
        let served = body["trailing"][field].as_f64().unwrap();
        assert!((served - value).abs() <= 1e-12 * value.abs(), "{field}: {served} != {value}");
    }
    // 5,000 IOSD and 10,000 IO at $0.50: $10,000 of demand.
    let demand: f64 = body["periods"].as_array().unwrap().iter().map(|p| p["demand_usd"].as_f64().unwrap()).sum();
    assert!((demand - 10_000.0).abs() < 1e-6, "{demand}");

    // A configured price makes the report (and so the gauges) available without a query.
    service.set_io_price(Some(0.5));
    let (status, text) = server.get("/metrics");
    assert_eq!(status, 200);
    let text = text.as_str().unwrap().to_string();
    let gauge = |name: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let de = body["trailing"]["de_ratio"].as_f64().unwrap();
    assert!((gauge("io_indexer_network_de_ratio ") - de).abs() < 1e-9);
    assert_eq!(gauge("io_indexer_network_io_usd "), 0.5);
    assert_eq!(gauge("io_indexer_network_active_nodes{tier=\"enterprise\"} "), 1.0);
    assert_eq!(gauge("io_indexer_network_largest_operator_share "), 1.0);
    assert!(text.contains("io_indexer_network_payback_months{tier=\"consumer\"} NaN"), "no consumer GPU earns: no payback");
    // The OpenAPI document lists the route.
    assert!(server.ok("/openapi.json")["paths"]["/v1/network/metrics"].is_object());
}

/// The map's cells: every registered node in one cell at the resolution asked (each
/// node's cell counted by hand with h3o), a bad resolution refused by name; and the
/// dashboard's files served at `/` beside the API, with its `config.json`.
#[test]
fn the_map_cells_and_the_dashboard_beside_the_api() {
    let mut net = network();
    let dir = tempfile::tempdir().unwrap();
    let service = synced(&mut net, &dir);
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("index.html"), "<!doctype html><title>dashboard</title>").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(api::serve_router(
        listener,
        api::router_with_dashboard(service, site.path(), api::DashboardConfig { wallet_rpc: Some("http://127.0.0.1:8899".into()) }),
        std::future::pending(),
    ));
    let server = Server { base, runtime, client: reqwest::Client::new() };

    for resolution in [4u8, 7] {
        let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
        for node in &net.nodes {
            let cell = h3o::CellIndex::try_from(net.h.registry.record(node).unwrap().region).unwrap();
            let res = h3o::Resolution::try_from(resolution).unwrap();
            *expected.entry(cell.parent(res).unwrap_or(cell).to_string()).or_default() += 1;
        }
        let body = server.ok(&format!("/v1/network/cells?resolution={resolution}"));
        let served: std::collections::BTreeMap<String, u64> = body["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["cell"].as_str().unwrap().to_string(), c["nodes"].as_u64().unwrap()))
            .collect();
        assert_eq!(served, expected, "resolution {resolution}");
    }
    assert_eq!(server.ok("/v1/network/cells")["resolution"], 4, "the map's default");
    assert_eq!(server.refused("/v1/network/cells?resolution=16"), (400, "InvalidResolution".into()));

    let (status, page) = server.get("/");
    assert_eq!((status, page.as_str().unwrap_or_default().contains("<title>dashboard</title>")), (200, true), "{page}");
    assert_eq!(server.ok("/v1/status")["leaves"], 5);
    assert_eq!(server.get("/no-such-file.js").0, 404);
    // The page's wallet flows learn where to send from the indexer that serves it.
    assert_eq!(server.ok("/config.json"), serde_json::json!({ "wallet_rpc": "http://127.0.0.1:8899" }));
}
