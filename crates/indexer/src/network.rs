//! What the network metrics (`io_metrics`) read from the index: the economy's flows with
//! their block times (emission cranks, payments, buybacks, slashes sent to the burn), the
//! node table, and the price of the last buyback the treasury filled.
//!
//! Gathering is a read of every kept event of four kinds plus every leaf: the service
//! caches the result per cursor, so a dashboard polling it, or Prometheus scraping it,
//! costs one pass per new batch, not one per request.

use crate::economy::{EconomyEvent, EventQuery};
use crate::{IndexerError, Store};
use io_metrics::{Flow, NetworkInputs, NodeFacts, Tier, TimedFlow};
use io_registry::{GpuCatalogue, NodeStatus};
use io_staking::SlashDestination;
use io_treasury::Asset;

/// The kinds the metrics read.
pub const FLOW_KINDS: &[&str] = &["EpochAdvanced", "PaymentReceived", "BuybackFilled", "SlashExecuted"];

/// Events per store read.
const PAGE: usize = 10_000;

fn tier_of(tier: io_registry::Tier) -> Tier {
    match tier {
        io_registry::Tier::Enterprise => Tier::Enterprise,
        io_registry::Tier::MidMarket => Tier::MidMarket,
        io_registry::Tier::Consumer => Tier::Consumer,
    }
}

/// A Pyth price (mantissa, exponent) in dollars.
fn pyth_price(price: i64, exponent: i32) -> f64 {
    price as f64 * 10f64.powi(exponent)
}

/// The flows one stored event stands for (none for events that move no supply or demand).
fn flows_of(event: &EconomyEvent) -> Vec<Flow> {
    match event {
        // What workers were paid is the emission demand must pay for (epochs nobody earned
        // return to the reserve and pay no one); what was minted is what dilutes.
        EconomyEvent::EpochAdvanced(e) => vec![Flow::Emitted { emitted: e.paid, minted: e.minted }],
        EconomyEvent::PaymentReceived(e) => match e.asset {
            // A payment in IO burns its 98% at once; one in IOSD waits for a buyback.
            Asset::Io => vec![Flow::Demand { iosd: 0, io: e.amount }, Flow::Burned(e.rest)],
            Asset::Iosd => vec![Flow::Demand { iosd: e.amount, io: 0 }],
        },
        EconomyEvent::BuybackFilled(e) => vec![Flow::Burned(e.io_burned)],
        EconomyEvent::SlashExecuted(e) if e.destination == SlashDestination::Burn => vec![Flow::Burned(e.amount)],
        _ => vec![],
    }
}

/// What the index holds for the metrics, and the IO/USD price of the newest buyback
/// fill (the Pyth price the treasury checked it against) with that fill's block time.
#[derive(Clone, Debug, Default)]
pub struct Gathered {
    pub inputs: NetworkInputs,
    pub last_buyback_price: Option<(f64, i64)>,
}

/// Reads the inputs from `store`. `catalogue` names the GPU models (without it, the
/// per-model counts are empty and hardware costs fall back to the catalogue averages).
pub fn gather(store: &dyn Store, catalogue: Option<&GpuCatalogue>) -> Result<Gathered, IndexerError> {
    let mut inputs = NetworkInputs::default();
    let mut last_buyback_price = None;
    let mut after = None;
    loop {
        let page = store.events(&EventQuery { kinds: FLOW_KINDS, subject: None, after, limit: PAGE })?;
        for stored in &page {
            let event = stored.event().ok_or_else(|| IndexerError::Store(format!("stored {} does not decode", stored.kind)))?;
            if let EconomyEvent::BuybackFilled(e) = &event {
                last_buyback_price = Some((pyth_price(e.price, e.exponent), stored.block_time));
            }
            for flow in flows_of(&event) {
                if stored.block_time > 0 {
                    inputs.flows.push(TimedFlow { time: stored.block_time, flow });
                } else {
                    inputs.untimed += 1;
                }
            }
        }
        after = page.last().map(|e| (e.seq, e.ordinal));
        if page.len() < PAGE {
            break;
        }
    }
    for (tree, _) in store.trees()? {
        for record in store.tree_records(&tree)? {
            let active = record.status == NodeStatus::Verified;
            let tier = tier_of(record.tier);
            inputs.nodes.push(NodeFacts {
                operator: record.operator.to_string(),
                tier,
                cell: record.region,
                gpus: record.gpu_count,
                active,
            });
            if active {
                let slot = &mut inputs.score_gpus[tier.index()];
                *slot = slot.saturating_add(u64::from(record.score).saturating_mul(u64::from(record.gpu_count)));
                if let Some(model) = catalogue.and_then(|c| c.models.get(usize::from(record.gpu_model))) {
                    let entry = inputs.active_gpus_by_model.entry(model.name.clone()).or_insert((tier, 0));
                    entry.1 = entry.1.saturating_add(u64::from(record.gpu_count));
                }
            }
        }
    }
    Ok(Gathered { inputs, last_buyback_price })
}
