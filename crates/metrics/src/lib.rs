//! The network's health numbers as pure functions: no I/O, no clock, no chain access. The
//! indexer's HTTP API and the CLI feed them on-chain amounts and prices and print the results
//! (every output is serde-serialisable).
//!
//! Amounts come in base units (1 IO = 1 IOSD = 10^6 base units; IOSD is worth exactly $1) and
//! derived figures are whole tokens or USD as `f64`.
//!
//! # Metrics
//!
//! **Token economy** ([`economy`]), flows summed into contiguous calendar periods:
//! - net IO per period = minted − burned (negative: deflationary);
//! - demand (USD) = IOSD + IO × price; emission (USD) = emitted IO × price;
//! - trailing figures over the last up to 12 periods, annualised:
//!   `annual = sum × 365 days / (k × period length)`;
//! - demand-to-emission ratio `D/E = annual demand USD / annual emission USD`; the network is
//!   self-sustaining at `D/E ≥ 0.60` ([`SELF_SUSTAINING_DE`]);
//! - break-even demand = `annual emission IO × price / (1 − fee_bps / 10000)`: the demand whose
//!   buyback (all of it but the treasury fee, 2% by default) burns as much IO as is emitted.
//!
//! **Decentralization** ([`decentralization`]), over active nodes:
//! - spacing coefficient = distinct H3 cells (at a chosen resolution) / active nodes, target
//!   ≥ 0.85 ([`SPACING_TARGET`]);
//! - operator shares by node count; none above 20% ([`OPERATOR_CAP_SHARE`]); Herfindahl index
//!   = Σ share²;
//! - tier mix: nodes, active nodes and active GPUs per tier.
//!
//! **Hardware economics** ([`hardware`]), per GPU (one Apple machine counts as one GPU):
//! - reward weight = min stake × tier multiplier × score; a tier's daily yield per GPU =
//!   daily emission × weight / Σ(GPUs × weight);
//! - payback months = (hardware + shipping) / (daily yield IO × price) / 30.4375, target ≤ 12
//!   ([`PAYBACK_TARGET_MONTHS`]);
//! - attrition price = watts × 24 / 1000 × USD per kWh / daily yield IO: below it, rewards no
//!   longer pay the electricity.
//!
//! **The report** ([`report`]): all of the above from an index's flows and nodes, the one
//! shape the indexer's API serves, `io metrics` prints and the plots draw.
//!
//! **Projection** ([`projection`]): per coming year, burn = demand × (1 − fee) / price against the
//! scheduled emission, and the first year the burn exceeds it.

#![warn(missing_docs)]

pub mod decentralization;
pub mod economy;
pub mod error;
pub mod hardware;
pub mod projection;
pub mod report;

pub use decentralization::{
    concentration, spacing_coefficient, tier_mix, Concentration, NodeFacts, Tier, TierCount, OPERATOR_CAP_SHARE, SPACING_TARGET,
};
pub use economy::{
    break_even_demand_usd, de_ratio, economics, periods, trailing, Calendar, Flow, PeriodEconomics, PeriodFlows, TimedFlow, Trailing,
    MAX_PERIODS, SELF_SUSTAINING_DE, TRAILING_PERIODS, YEAR_SECS,
};
pub use error::MetricsError;
pub use hardware::{
    attrition_price, payback_months, tier_daily_yield_io, tier_economics, weight_per_gpu, Averaging, HardwareCost, HardwareTable,
    TierEconomics, TierWeight, DAYS_PER_MONTH, DEFAULT_ELECTRICITY_USD_PER_KWH, PAYBACK_TARGET_MONTHS,
};
pub use projection::{project, ProjectedYear, Projection};
pub use report::{
    cells, report, CellCount, CellOccupancy, Decentralization, NetworkInputs, NetworkParams, NetworkReport, OperatorShare, PriceUsed,
    Spacing, TOP_OPERATORS,
};
