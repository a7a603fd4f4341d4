//! Every metric at once, from what an indexer holds: the one report the HTTP API serves,
//! the CLI prints, Prometheus exports and the plots draw, so they can never disagree.

use std::collections::BTreeMap;

use h3o::{CellIndex, Resolution};
use serde::{Deserialize, Serialize};

use crate::decentralization::{concentration, spacing_coefficient, tier_mix, Concentration, NodeFacts, Tier, TierCount, SPACING_TARGET};
use crate::economy::{economics, periods, trailing, Calendar, PeriodEconomics, TimedFlow, Trailing, YEAR_SECS};
use crate::error::{check_price, MetricsError};
use crate::hardware::{tier_daily_yield_io, tier_economics, weight_per_gpu, HardwareTable, TierEconomics, TierWeight};

/// What an index holds for the metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkInputs {
    /// Every emission, burn and payment with its block time.
    pub flows: Vec<TimedFlow>,
    /// Flows whose block time the source could not tell: left out of the periods, and
    /// counted so a report says what it could not place.
    pub untimed: u64,
    /// Every node (inactive ones count in the tier mix only).
    pub nodes: Vec<NodeFacts>,
    /// Sum over active nodes of score (bps) x GPUs, per tier ([`Tier::ALL`] order).
    pub score_gpus: [u64; 3],
    /// Active GPUs per catalogue model, with the model's tier.
    pub active_gpus_by_model: BTreeMap<String, (Tier, u64)>,
}

/// The network's parameters the metrics depend on (genesis, or the DAO's current values)
/// and the reader's own assumptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkParams {
    /// Length of a metrics period (the treasury's demand period: 30 days).
    pub period_secs: u32,
    /// The protocol fee, bps (the rest of each payment buys back and burns IO).
    pub fee_bps: u16,
    /// Minimum stake per GPU per tier, whole IO.
    pub min_stake_io: [f64; 3],
    /// Reward multiplier per tier, bps.
    pub multiplier_bps: [u16; 3],
    /// The H3 resolution the spacing coefficient compares cells at.
    pub spacing_resolution: u8,
    /// Electricity price, USD per kWh.
    pub electricity_usd_per_kwh: f64,
    /// Hardware costs per model.
    pub hardware: HardwareTable,
}

/// Where the report's IO price came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceUsed {
    /// USD per IO.
    pub io_usd: f64,
    /// "flag", "buyback" (the Pyth price the treasury's newest buyback filled at), ...
    pub source: String,
    /// When that price was read (unix seconds), if known.
    pub as_of: Option<i64>,
}

/// Spacing of one tier (or of all nodes, `tier` None).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spacing {
    /// The tier; None for the whole network.
    pub tier: Option<Tier>,
    /// Distinct cells / active nodes; None without active nodes.
    pub coefficient: Option<f64>,
    /// `coefficient >= SPACING_TARGET`.
    pub meets_target: bool,
}

/// How many cells hold how many active nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellOccupancy {
    /// Active nodes in one cell.
    pub nodes: u64,
    /// Cells holding exactly that many.
    pub cells: u64,
}

/// One operator's verified nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorShare {
    /// The operator's key.
    pub operator: String,
    /// Verified nodes.
    pub nodes: u64,
    /// Share of all verified nodes, 0..=1.
    pub share: f64,
}

/// How many operators [`Decentralization::top_operators`] lists.
pub const TOP_OPERATORS: usize = 10;

/// Nodes in one H3 cell, for a map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellCount {
    /// The cell, as H3's hexadecimal string.
    pub cell: String,
    /// Nodes registered there (any status).
    pub nodes: u64,
    /// Verified nodes there.
    pub verified: u64,
}

/// Every occupied cell at `resolution` (each node's cell mapped to its ancestor there),
/// busiest first (ties by cell).
pub fn cells(nodes: &[NodeFacts], resolution: u8) -> Result<Vec<CellCount>, MetricsError> {
    let res = self::resolution(resolution)?;
    let mut per_cell: BTreeMap<CellIndex, (u64, u64)> = BTreeMap::new();
    for node in nodes {
        let cell = CellIndex::try_from(node.cell).map_err(|_| MetricsError::InvalidCell(node.cell))?;
        let entry = per_cell.entry(cell.parent(res).unwrap_or(cell)).or_default();
        entry.0 += 1;
        entry.1 += u64::from(node.active);
    }
    let mut out: Vec<CellCount> =
        per_cell.into_iter().map(|(cell, (nodes, verified))| CellCount { cell: cell.to_string(), nodes, verified }).collect();
    out.sort_by(|a, b| b.nodes.cmp(&a.nodes).then_with(|| a.cell.cmp(&b.cell)));
    Ok(out)
}

/// The operators with the most verified nodes, most first (ties by key).
fn top_operators(nodes: &[NodeFacts]) -> Vec<OperatorShare> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for node in nodes.iter().filter(|n| n.active) {
        *counts.entry(node.operator.as_str()).or_default() += 1;
    }
    let total: u64 = counts.values().sum();
    let mut ranked: Vec<(&str, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(TOP_OPERATORS)
        .map(|(operator, nodes)| OperatorShare { operator: operator.to_string(), nodes, share: nodes as f64 / total as f64 })
        .collect()
}

/// Decentralization: spacing, operator concentration, cell occupancy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decentralization {
    /// The H3 resolution compared at.
    pub resolution: u8,
    /// The whole network first, then each tier.
    pub spacing: Vec<Spacing>,
    /// Operator shares of active nodes.
    pub concentration: Concentration,
    /// The operators with the most verified nodes (at most [`TOP_OPERATORS`]).
    pub top_operators: Vec<OperatorShare>,
    /// The occupancy histogram, fewest nodes per cell first.
    pub occupancy: Vec<CellOccupancy>,
}

/// Every metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkReport {
    /// The price every USD figure uses.
    pub price: PriceUsed,
    /// The parameters used.
    pub params: NetworkParams,
    /// The calendar periods: origin is the first flow's time.
    pub calendar: Option<Calendar>,
    /// Each period, oldest first.
    pub periods: Vec<PeriodEconomics>,
    /// The last up to 12 periods, annualised (None before the first flow).
    pub trailing: Option<Trailing>,
    /// Flows left out for want of a block time.
    pub untimed_flows: u64,
    /// Nodes, active nodes and active GPUs per tier.
    pub tier_mix: [TierCount; 3],
    /// Spacing, concentration and occupancy.
    pub decentralization: Decentralization,
    /// Payback and attrition per tier, at the trailing emission rate.
    pub hardware: [TierEconomics; 3],
}

fn resolution(value: u8) -> Result<Resolution, MetricsError> {
    Resolution::try_from(value).map_err(|_| MetricsError::InvalidResolution(value))
}

/// Active nodes per cell at `resolution`, as a histogram.
fn occupancy(nodes: &[NodeFacts], resolution: Resolution) -> Result<Vec<CellOccupancy>, MetricsError> {
    let mut per_cell: BTreeMap<CellIndex, u64> = BTreeMap::new();
    for node in nodes.iter().filter(|n| n.active) {
        let cell = CellIndex::try_from(node.cell).map_err(|_| MetricsError::InvalidCell(node.cell))?;
        *per_cell.entry(cell.parent(resolution).unwrap_or(cell)).or_default() += 1;
    }
    let mut histogram: BTreeMap<u64, u64> = BTreeMap::new();
    for count in per_cell.into_values() {
        *histogram.entry(count).or_default() += 1;
    }
    Ok(histogram.into_iter().map(|(nodes, cells)| CellOccupancy { nodes, cells }).collect())
}

/// The whole report. `through` extends the periods to the present (a quiet month shows as
/// zeros rather than vanishing).
pub fn report(
    inputs: &NetworkInputs,
    params: &NetworkParams,
    price: PriceUsed,
    through: Option<i64>,
) -> Result<NetworkReport, MetricsError> {
    let io_usd = check_price(price.io_usd)?;
    let res = resolution(params.spacing_resolution)?;
    let calendar = inputs.flows.iter().map(|f| f.time).min().map(|origin_ts| Calendar { origin_ts, period_secs: params.period_secs });
    let (period_economics, trailing) = match &calendar {
        Some(calendar) => {
            let flows = periods(&inputs.flows, calendar, through)?;
            let economics = flows.iter().map(|p| economics(p, io_usd)).collect::<Result<Vec<_>, _>>()?;
            let end = through.or_else(|| inputs.flows.iter().map(|f| f.time).max());
            (economics, trailing(&flows, calendar, io_usd, params.fee_bps, end)?)
        }
        None => (vec![], None),
    };

    let mut spacing = vec![];
    for tier in std::iter::once(None).chain(Tier::ALL.map(Some)) {
        let coefficient = spacing_coefficient(&inputs.nodes, res, tier)?;
        spacing.push(Spacing { tier, coefficient, meets_target: coefficient.is_some_and(|c| c >= SPACING_TARGET) });
    }
    let mix = tier_mix(&inputs.nodes);

    // Each tier's reward weight per GPU at its average score, and the daily emission the
    // trailing periods paid, split by weight.
    let weights = Tier::ALL.map(|tier| {
        let t = tier.index();
        let gpus = mix[t].active_gpus;
        let score = inputs.score_gpus[t].checked_div(gpus).map_or(0, |s| u16::try_from(s).unwrap_or(u16::MAX));
        TierWeight { gpus, weight_per_gpu: weight_per_gpu(params.min_stake_io[t], params.multiplier_bps[t], score) }
    });
    let daily_emission_io = trailing.as_ref().map_or(0.0, |t| t.annual_emission_io * 86_400.0 / YEAR_SECS as f64);
    let yields = tier_daily_yield_io(daily_emission_io, &weights);
    let hardware = tier_economics(&params.hardware, &yields, io_usd, params.electricity_usd_per_kwh, Some(&inputs.active_gpus_by_model))?;

    Ok(NetworkReport {
        price,
        params: params.clone(),
        calendar,
        periods: period_economics,
        trailing,
        untimed_flows: inputs.untimed,
        tier_mix: mix,
        decentralization: Decentralization {
            resolution: params.spacing_resolution,
            spacing,
            concentration: concentration(&inputs.nodes),
            top_operators: top_operators(&inputs.nodes),
            occupancy: occupancy(&inputs.nodes, res)?,
        },
        hardware,
    })
}
