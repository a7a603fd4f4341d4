//! Decentralization: how spread out the active nodes are geographically (H3 cells), how
//! concentrated they are among operators, and how they split across hardware tiers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use h3o::{CellIndex, Resolution};
use serde::{Deserialize, Serialize};

use crate::error::MetricsError;

/// The spacing coefficient the network aims at or above.
pub const SPACING_TARGET: f64 = 0.85;

/// The largest share of active nodes any one operator should hold.
pub const OPERATOR_CAP_SHARE: f64 = 0.20;

/// A hardware tier, as the registry classifies GPU models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Data-centre GPUs (H100, A100, H200, L40S).
    Enterprise,
    /// Workstation and high-end consumer GPUs (RTX 4090, RTX A6000, ...).
    MidMarket,
    /// Apple silicon machines.
    Consumer,
}

impl Tier {
    /// Every tier, in registry order (the order of the genesis per-tier arrays).
    pub const ALL: [Tier; 3] = [Tier::Enterprise, Tier::MidMarket, Tier::Consumer];

    /// The tier's position in per-tier arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name used in genesis files, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Enterprise => "enterprise",
            Tier::MidMarket => "mid-market",
            Tier::Consumer => "consumer",
        }
    }
}

impl FromStr for Tier {
    type Err = MetricsError;

    /// Accepts the genesis names ("mid-market") and the Rust names ("MidMarket"), in any case,
    /// since both appear in CLI arguments and API queries.
    fn from_str(text: &str) -> Result<Self, MetricsError> {
        let squashed: String = text.chars().filter(|c| *c != '-' && *c != '_').collect::<String>().to_ascii_lowercase();
        match squashed.as_str() {
            "enterprise" => Ok(Tier::Enterprise),
            "midmarket" => Ok(Tier::MidMarket),
            "consumer" => Ok(Tier::Consumer),
            _ => Err(MetricsError::UnknownTier(text.to_owned())),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the metrics need to know about one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFacts {
    /// The entity running the node (an operator wallet or organisation id).
    pub operator: String,
    /// The node's hardware tier.
    pub tier: Tier,
    /// The node's location as an H3 cell index, at whatever resolution it registered.
    pub cell: u64,
    /// GPUs in the node.
    pub gpus: u16,
    /// Whether the node currently counts (attested, not slashed or exited).
    pub active: bool,
}

/// Distinct occupied cells per active node: 1.0 when no two active nodes share a cell at
/// `resolution`, lower as nodes cluster. Each node's cell is mapped to its ancestor at
/// `resolution` (a cell already at or coarser than it stays as is), so nodes that registered at
/// different resolutions compare fairly. `tier` restricts to one tier. None when no active nodes
/// match. Only the nodes counted are checked: an invalid cell among them is refused.
pub fn spacing_coefficient(nodes: &[NodeFacts], resolution: Resolution, tier: Option<Tier>) -> Result<Option<f64>, MetricsError> {
    let mut cells = BTreeSet::new();
    let mut active = 0usize;
    for node in nodes.iter().filter(|n| n.active && tier.is_none_or(|t| n.tier == t)) {
        let cell = CellIndex::try_from(node.cell).map_err(|_| MetricsError::InvalidCell(node.cell))?;
        // `parent` is None only when the cell is already coarser than `resolution`.
        cells.insert(cell.parent(resolution).unwrap_or(cell));
        active += 1;
    }
    Ok((active > 0).then(|| cells.len() as f64 / active as f64))
}

/// How concentrated active nodes are among operators (shares by node count).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concentration {
    /// The operator with the most active nodes (ties: the lowest operator string, so the answer
    /// is the same on every run); None when no node is active.
    pub largest_operator: Option<String>,
    /// That operator's share of active nodes, 0..=1.
    pub largest_share: f64,
    /// Herfindahl-Hirschman index: the sum of squared shares, from 1/operators (even) to 1
    /// (a single operator).
    pub herfindahl: f64,
    /// Operators with at least one active node.
    pub operators: usize,
    /// Operators whose share is strictly above [`OPERATOR_CAP_SHARE`], largest first (ties by
    /// name).
    pub above_cap: Vec<(String, f64)>,
}

impl Concentration {
    /// True when no operator is above the cap.
    pub fn within_cap(&self) -> bool {
        self.above_cap.is_empty()
    }
}

/// Operator concentration over active nodes.
pub fn concentration(nodes: &[NodeFacts]) -> Concentration {
    // A BTreeMap iterates in operator order, which makes every tie-break deterministic.
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for node in nodes.iter().filter(|n| n.active) {
        *counts.entry(node.operator.as_str()).or_default() += 1;
    }
    let total: u64 = counts.values().sum();
    let share = |count: u64| count as f64 / total as f64;
    let mut largest: Option<(&str, u64)> = None;
    for (&op, &count) in &counts {
        // Strictly greater: an equal count later in order does not displace the lower name.
        if largest.is_none_or(|(_, best)| count > best) {
            largest = Some((op, count));
        }
    }
    let mut above_cap: Vec<(String, f64)> =
        counts.iter().map(|(&op, &c)| (op.to_owned(), share(c))).filter(|&(_, s)| s > OPERATOR_CAP_SHARE).collect();
    above_cap.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Concentration {
        largest_operator: largest.map(|(op, _)| op.to_owned()),
        largest_share: largest.map_or(0.0, |(_, c)| share(c)),
        herfindahl: counts.values().map(|&c| share(c) * share(c)).sum(),
        operators: counts.len(),
        above_cap,
    }
}

/// Node counts of one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCount {
    /// The tier.
    pub tier: Tier,
    /// Nodes of the tier, active or not.
    pub nodes: u64,
    /// Active nodes of the tier.
    pub active_nodes: u64,
    /// GPUs in the tier's active nodes.
    pub active_gpus: u64,
}

/// Nodes, active nodes and active GPUs per tier, in [`Tier::ALL`] order.
pub fn tier_mix(nodes: &[NodeFacts]) -> [TierCount; 3] {
    let mut mix = Tier::ALL.map(|tier| TierCount { tier, nodes: 0, active_nodes: 0, active_gpus: 0 });
    for node in nodes {
        let count = &mut mix[node.tier.index()];
        count.nodes += 1;
        if node.active {
            count.active_nodes += 1;
            count.active_gpus += u64::from(node.gpus);
        }
    }
    mix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_names() {
        assert_eq!(Tier::MidMarket.to_string(), "mid-market");
        assert_eq!(toml::Value::try_from(Tier::Consumer).unwrap().as_str(), Some("consumer"));
        assert_eq!(Tier::ALL.map(Tier::index), [0, 1, 2]);
        for tier in Tier::ALL {
            assert_eq!(tier.as_str().parse::<Tier>(), Ok(tier));
        }
        assert_eq!("MidMarket".parse::<Tier>(), Ok(Tier::MidMarket));
        assert_eq!("mid_market".parse::<Tier>(), Ok(Tier::MidMarket));
        assert_eq!("gpu".parse::<Tier>(), Err(MetricsError::UnknownTier("gpu".into())));
    }

    #[test]
    fn empty_network() {
        assert_eq!(spacing_coefficient(&[], Resolution::Seven, None), Ok(None));
        let c = concentration(&[]);
        assert_eq!((c.largest_operator, c.largest_share, c.herfindahl, c.operators), (None, 0.0, 0.0, 0));
    }

    #[test]
    fn ties_pick_lowest_operator() {
        let node = |op: &str| NodeFacts { operator: op.into(), tier: Tier::Consumer, cell: 0, gpus: 1, active: true };
        let c = concentration(&[node("b"), node("a"), node("b"), node("a")]);
        assert_eq!(c.largest_operator.as_deref(), Some("a"));
        // Both at 0.5, above the cap: listed by name on the tie.
        assert_eq!(c.above_cap, vec![("a".to_owned(), 0.5), ("b".to_owned(), 0.5)]);
        assert_eq!(c.herfindahl, 0.5);
    }
}
