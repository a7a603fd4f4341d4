//! The network report (`io_metrics`) from an index of a run of the real programs, on both
//! backends: every figure is computed here by hand from the chain's own accounts (the
//! treasury's totals, the emissions config, staking's reward pool, the registry's records)
//! or from the fixture's known amounts, never with the functions under test.

use common::{economy, network, network_params, Backend, IO};
use io_indexer::api::service::NetworkReportError;
use io_indexer::api::IndexerService;
use io_indexer::Indexer;
use io_metrics::Tier;
use io_registry::NodeStatus;
use io_sdk::client::fetch;
use io_sdk::pda;
use solana_sdk::signature::Signer;
use std::collections::{BTreeMap, BTreeSet};
mod common;

fn close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() <= 1e-9 * expected.abs().max(1.0), "{actual} != {expected}");
}

fn the_economys_report_is_the_chains(b: &Backend) {
    let mut e = economy();
    let mut indexer = Indexer::open(b.open("network")).unwrap();
    indexer.sync(&mut e.h.net).unwrap();
    let service = IndexerService::new(indexer);
    // The catalogue names the models, so hardware costs are those of the GPUs verified.
    service.set_catalogue(fetch(&mut e.h.net, &pda::gpu_catalogue()).unwrap());
    assert!(matches!(service.network_report(Some(1.0)), Err(NetworkReportError::NotConfigured)));
    service.set_network_params(network_params());
    // No buyback has filled and no price was given: no price, by name.
    assert!(matches!(service.network_report(None), Err(NetworkReportError::NoPrice)));
    assert!(matches!(service.network_report(Some(-1.0)), Err(NetworkReportError::Metrics(io_metrics::MetricsError::InvalidPrice(_)))));
    let report = service.network_report(Some(1.0)).unwrap();
    assert_eq!((report.price.io_usd, report.price.source.as_str()), (1.0, "query"));

    // The flows, summed over the periods, are the chain's totals.
    assert_eq!(report.untimed_flows, 0, "every event has its block time");
    let emissions = e.h.emissions_config();
    let minted: f64 = report.periods.iter().map(|p| p.minted_io).sum();
    close(minted, (emissions.total_minted - emissions.genesis_supply) as f64 / 1e6);
    // Burned: 98% of the 10,000 IO payment and the 20,000 IO slash sent to the burn.
    let burned: f64 = report.periods.iter().map(|p| p.burned_io).sum();
    close(burned, (9_800 * IO + 20_000 * IO) as f64 / 1e6);
    // Demand: 10,000 IO at $1 and 5,000 IOSD.
    let demand: f64 = report.periods.iter().map(|p| p.demand_usd).sum();
    close(demand, 15_000.0);
    let totals = e.h.treasury_config().totals;
    close(demand, (totals.io_paid + totals.iosd_paid) as f64 / 1e6);

    // The run spans under a year, so the trailing window holds it all and the ratio is
    // the totals' ratio, whatever the annualisation: demand / rewards distributed.
    let trailing = report.trailing.as_ref().expect("flows indexed");
    assert!(report.periods.len() <= 12 && trailing.periods == report.periods.len());
    let distributed = e.h.staking_config().rewards.total_distributed as f64 / 1e6;
    close(trailing.de_ratio.unwrap(), 15_000.0 / distributed);
    assert_eq!(trailing.self_sustaining, 15_000.0 / distributed >= 0.60);
    // Break-even: emission value over the 98% that buys back.
    close(trailing.break_even_demand_usd.unwrap(), trailing.annual_emission_usd / 0.98);
    close(trailing.annual_burned_io / trailing.annual_minted_io, burned / minted);

    // One verified node: A's 8 H100s. All of the emission goes to the enterprise tier, so
    // a GPU earns an eighth of a day's emission; the default table prices an H100 at
    // $25,000 plus $250 shipping and 700 W.
    let enterprise = &report.tier_mix[Tier::Enterprise.index()];
    assert_eq!((enterprise.nodes, enterprise.active_nodes, enterprise.active_gpus), (1, 1, 8));
    let hw = &report.hardware[Tier::Enterprise.index()];
    let per_gpu_day = trailing.annual_emission_io / 365.0 / 8.0;
    close(hw.daily_yield_io.unwrap(), per_gpu_day);
    close(hw.payback_months.unwrap(), 25_250.0 / per_gpu_day / 30.4375);
    close(hw.attrition_price_usd.unwrap(), 700.0 * 24.0 / 1_000.0 * 0.12 / per_gpu_day);
    assert_eq!(report.hardware[Tier::MidMarket.index()].daily_yield_io, None, "no mid-market GPU");
    let c = &report.decentralization.concentration;
    assert_eq!((c.operators, c.largest_share, c.herfindahl), (1, 1.0, 1.0));
}

/// Spacing, concentration and tier mix over the registry's records: the small network's
/// five nodes (one left verified: the others were updated back to pending, suspended,
/// retired or never verified) and five more verified here, at the regions the harness
/// draws, two operators between them.
fn the_networks_decentralization_is_the_registrys(b: &Backend) {
    let mut n = network();
    for seed in 10..15u64 {
        let spec = n.h.spec("RTX 4090", 2, seed);
        let (node, _) = n.h.register(&n.operators[(seed % 2) as usize], spec);
        n.nodes.push(node.pubkey());
    }
    n.h.next_epoch();
    for node in &n.nodes[5..] {
        n.h.verify(node);
    }
    let mut indexer = Indexer::open(b.open("decentralization")).unwrap();
    indexer.sync(&mut n.h.net).unwrap();
    let service = IndexerService::new(indexer);
    service.set_network_params(network_params());
    let report = service.network_report(Some(1.0)).unwrap();
    assert!(report.trailing.is_none() && report.periods.is_empty(), "no crank, payment or burn in this network");

    let records: Vec<_> = n.nodes.iter().map(|node| *n.h.registry.record(node).unwrap()).collect();
    let active: Vec<_> = records.iter().filter(|r| r.status == NodeStatus::Verified).collect();
    assert_eq!(active.len(), 6);
    let count = active.len() as f64;
    let cells: BTreeSet<h3o::CellIndex> = active
        .iter()
        .map(|r| {
            let cell = h3o::CellIndex::try_from(r.region).unwrap();
            cell.parent(h3o::Resolution::Seven).unwrap_or(cell)
        })
        .collect();
    close(report.decentralization.spacing[0].coefficient.unwrap(), cells.len() as f64 / count);
    let mut per_operator: BTreeMap<String, u64> = BTreeMap::new();
    for r in &active {
        *per_operator.entry(r.operator.to_string()).or_default() += 1;
    }
    let shares: Vec<f64> = per_operator.values().map(|&k| k as f64 / count).collect();
    let c = &report.decentralization.concentration;
    assert_eq!(c.operators, 2);
    close(c.largest_share, shares.iter().cloned().fold(0.0, f64::max));
    close(c.herfindahl, shares.iter().map(|s| s * s).sum());
    assert_eq!(c.above_cap.len(), 2, "two operators hold every node: both are above 20%");
    let gpus = |tier: io_registry::Tier| active.iter().filter(|r| r.tier == tier).map(|r| u64::from(r.gpu_count)).sum::<u64>();
    let enterprise = &report.tier_mix[Tier::Enterprise.index()];
    assert_eq!((enterprise.nodes, enterprise.active_nodes, enterprise.active_gpus), (5, 1, gpus(io_registry::Tier::Enterprise)));
    let mid = &report.tier_mix[Tier::MidMarket.index()];
    assert_eq!((mid.nodes, mid.active_nodes, mid.active_gpus), (5, 5, 10));
    let occupied: u64 = report.decentralization.occupancy.iter().map(|o| o.nodes * o.cells).sum();
    assert_eq!(occupied, 6, "every verified node sits in one cell");
    assert_eq!(report.decentralization.occupancy.iter().map(|o| o.cells).sum::<u64>(), cells.len() as u64);
}

common::on_both_backends!(the_economys_report_is_the_chains, the_networks_decentralization_is_the_registrys);
