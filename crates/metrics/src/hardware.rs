//! Hardware economics: what a GPU costs, what it earns per day, how long it takes to pay back and
//! the IO price below which its rewards no longer pay its electricity.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::decentralization::Tier;
use crate::error::{check_price, MetricsError};

/// The payback period (months) a GPU should reach to attract operators.
pub const PAYBACK_TARGET_MONTHS: f64 = 12.0;

/// Default electricity price, USD per kWh: roughly the 2025 US average retail/commercial rate;
/// operators should pass their own.
pub const DEFAULT_ELECTRICITY_USD_PER_KWH: f64 = 0.12;

/// Average days per month (365.25 / 12), so 12 months is a year including leap days.
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// What one GPU (or one Apple machine) costs to buy, ship and run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareCost {
    /// Catalogue model name, exactly as the chain's GPU catalogue spells it.
    pub model: String,
    /// The model's tier, as the catalogue has it (a table can price a model the DAO added
    /// later, so the tier is written here rather than looked up in a fixed list).
    pub tier: Tier,
    /// Purchase price of one unit, USD.
    pub hardware_usd: f64,
    /// Shipping of that unit, USD.
    pub shipping_usd: f64,
    /// Sustained power under load, watts.
    pub power_watts: f64,
}

impl HardwareCost {
    /// Purchase plus shipping: what the operator must earn back.
    pub fn total_usd(&self) -> f64 {
        self.hardware_usd + self.shipping_usd
    }

    fn validate(&self) -> Result<(), MetricsError> {
        for (field, value) in [("hardware_usd", self.hardware_usd), ("shipping_usd", self.shipping_usd), ("power_watts", self.power_watts)]
        {
            if !value.is_finite() || value < 0.0 {
                return Err(MetricsError::InvalidHardware {
                    model: self.model.clone(),
                    reason: format!("{field} = {value}: must be finite and not negative"),
                });
            }
        }
        Ok(())
    }
}

/// The defaults shipped with the crate (see `hardware.toml` for sources and assumptions).
const DEFAULT_TABLE: &str = include_str!("../hardware.toml");

/// Hardware costs by catalogue model. May price only some models (a table of just the hardware
/// an operator owns is fine); each model at most once. Deserialising runs the same checks as
/// [`HardwareTable::new`], so no unchecked table can be built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawTable")]
pub struct HardwareTable {
    /// One entry per priced model.
    models: Vec<HardwareCost>,
}

/// The table as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    models: Vec<HardwareCost>,
}

impl TryFrom<RawTable> for HardwareTable {
    type Error = MetricsError;

    fn try_from(raw: RawTable) -> Result<Self, MetricsError> {
        Self::new(raw.models)
    }
}

impl HardwareTable {
    /// The crate's default table, covering the whole catalogue.
    pub fn defaults() -> Self {
        Self::from_toml(DEFAULT_TABLE).expect("the embedded hardware.toml is valid (tested)")
    }

    /// Parses a table in the shape of `hardware.toml` (`[[models]]` entries with `model`,
    /// `tier`, `hardware_usd`, `shipping_usd`, `power_watts`), refusing unknown fields,
    /// duplicates and negative or non-finite figures.
    pub fn from_toml(text: &str) -> Result<Self, MetricsError> {
        // Parsed in two steps so a bad figure gets its named error, not a TOML message.
        let raw: RawTable = toml::from_str(text).map_err(|e| MetricsError::MalformedHardware(e.to_string()))?;
        Self::new(raw.models)
    }

    /// Builds a table from entries, with the same checks as [`HardwareTable::from_toml`].
    pub fn new(models: Vec<HardwareCost>) -> Result<Self, MetricsError> {
        for (i, cost) in models.iter().enumerate() {
            if models[..i].iter().any(|m| m.model == cost.model) {
                return Err(MetricsError::DuplicateModel(cost.model.clone()));
            }
            cost.validate()?;
        }
        Ok(Self { models })
    }

    /// The entry for a model.
    pub fn get(&self, model: &str) -> Option<&HardwareCost> {
        self.models.iter().find(|m| m.model == model)
    }

    /// Every entry, in table order.
    pub fn models(&self) -> &[HardwareCost] {
        &self.models
    }

    /// The entries of one tier, in table order.
    pub fn tier_models(&self, tier: Tier) -> impl Iterator<Item = &HardwareCost> {
        self.models.iter().filter(move |m| m.tier == tier)
    }
}

/// A tier's GPU count and the reward weight of each of its GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierWeight {
    /// Active GPUs of the tier.
    pub gpus: u64,
    /// Reward weight of one of them (see [`weight_per_gpu`]).
    pub weight_per_gpu: f64,
}

/// The reward weight of one fully bonded GPU: rewards are proportional to stake x tier
/// multiplier x performance score, and a fully bonded GPU stakes the tier's minimum.
pub fn weight_per_gpu(min_stake_io: f64, multiplier_bps: u16, score_bps: u16) -> f64 {
    min_stake_io * f64::from(multiplier_bps) / 10_000.0 * f64::from(score_bps) / 10_000.0
}

/// Daily IO earned by one GPU of each tier when `daily_emission_io` is split pro rata to weight:
/// `daily_emission x weight_per_gpu / sum(gpus x weight_per_gpu)`. None for a tier without GPUs
/// (nothing to earn it); all None when the total weight is zero.
pub fn tier_daily_yield_io(daily_emission_io: f64, tiers: &[TierWeight; 3]) -> [Option<f64>; 3] {
    let total: f64 = tiers.iter().map(|t| t.gpus as f64 * t.weight_per_gpu).sum();
    tiers.map(|t| (total > 0.0 && t.gpus > 0).then(|| daily_emission_io * t.weight_per_gpu / total))
}

/// Months for one GPU's rewards to repay its cost: `cost / (daily yield x price) / 30.4375`.
/// Gross of electricity (that is what [`attrition_price`] looks at). None when the GPU earns
/// nothing (or the inputs are not finite).
pub fn payback_months(cost_usd: f64, daily_yield_io: f64, io_usd: f64) -> Option<f64> {
    let daily_usd = daily_yield_io * io_usd;
    let months = cost_usd / daily_usd / DAYS_PER_MONTH;
    (daily_usd > 0.0 && months.is_finite()).then_some(months)
}

/// The IO price below which a GPU's daily rewards no longer pay its electricity:
/// `watts x 24 / 1000 x usd_per_kwh / daily_yield_io`. None when it earns no IO.
pub fn attrition_price(power_watts: f64, usd_per_kwh: f64, daily_yield_io: f64) -> Option<f64> {
    let price = power_watts * 24.0 / 1_000.0 * usd_per_kwh / daily_yield_io;
    (daily_yield_io > 0.0 && price.is_finite()).then_some(price)
}

/// How a tier's average cost and power were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Averaging {
    /// Weighted by the active GPUs of each model: what the network actually runs.
    ActiveGpus,
    /// A plain average over the tier's models in the table (no GPU counts given, or none of the
    /// tier's GPUs active).
    Catalogue,
}

/// One tier's hardware economics for a representative GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierEconomics {
    /// The tier.
    pub tier: Tier,
    /// The tier's models in the table.
    pub models: Vec<String>,
    /// How the averages below were taken.
    pub averaging: Averaging,
    /// Active models of the tier the table does not price: left out of the averages.
    pub unpriced_models: Vec<String>,
    /// Average purchase plus shipping per GPU, USD; None when the table prices no model of the tier.
    pub avg_cost_usd: Option<f64>,
    /// Average power per GPU, watts.
    pub avg_power_watts: Option<f64>,
    /// IO one GPU of the tier earns per day.
    pub daily_yield_io: Option<f64>,
    /// That yield in USD at the given price.
    pub daily_revenue_usd: Option<f64>,
    /// What one GPU's electricity costs per day, USD.
    pub daily_power_usd: Option<f64>,
    /// See [`payback_months`].
    pub payback_months: Option<f64>,
    /// `payback_months <= PAYBACK_TARGET_MONTHS`; false when it never pays back.
    pub meets_payback_target: bool,
    /// See [`attrition_price`].
    pub attrition_price_usd: Option<f64>,
}

/// Hardware economics of every tier ([`Tier::ALL`] order) from a table, each tier's per-GPU daily
/// yield (see [`tier_daily_yield_io`]), the IO price and the electricity price.
///
/// With `active_gpus_by_model` (model name to its tier and active GPUs), a tier's averages
/// are weighted by its active GPUs, since that is the hardware actually earning; a tier with
/// none active (or none priced), or with no counts given, falls back to the plain average
/// over the table's models. A counted model the table does not price (one the DAO added
/// after the table was written) is left out of the average and named in
/// `unpriced_models`, so one new model does not take the whole report down.
pub fn tier_economics(
    table: &HardwareTable,
    daily_yield_io: &[Option<f64>; 3],
    io_usd: f64,
    usd_per_kwh: f64,
    active_gpus_by_model: Option<&BTreeMap<String, (Tier, u64)>>,
) -> Result<[TierEconomics; 3], MetricsError> {
    let price = check_price(io_usd)?;
    if !usd_per_kwh.is_finite() || usd_per_kwh < 0.0 {
        return Err(MetricsError::InvalidElectricityPrice(usd_per_kwh));
    }
    // (cost, count) per tier from the active counts.
    let mut weighted: [Vec<(&HardwareCost, u64)>; 3] = Default::default();
    let mut unpriced: [Vec<String>; 3] = Default::default();
    // A zero count adds nothing to an average, so it need not be priced either.
    for (model, &(tier, gpus)) in active_gpus_by_model.into_iter().flatten().filter(|(_, &(_, gpus))| gpus > 0) {
        match table.get(model) {
            Some(cost) => weighted[tier.index()].push((cost, gpus)),
            None => unpriced[tier.index()].push(model.clone()),
        }
    }
    Ok(Tier::ALL.map(|tier| {
        let (averaging, entries) = if weighted[tier.index()].is_empty() {
            (Averaging::Catalogue, table.tier_models(tier).map(|c| (c, 1)).collect())
        } else {
            (Averaging::ActiveGpus, std::mem::take(&mut weighted[tier.index()]))
        };
        let count: u64 = entries.iter().map(|&(_, n)| n).sum();
        let avg =
            |f: fn(&HardwareCost) -> f64| (count > 0).then(|| entries.iter().map(|&(c, n)| f(c) * n as f64).sum::<f64>() / count as f64);
        let avg_cost_usd = avg(HardwareCost::total_usd);
        let avg_power_watts = avg(|c| c.power_watts);
        let yield_io = daily_yield_io[tier.index()];
        let payback = avg_cost_usd.zip(yield_io).and_then(|(cost, y)| payback_months(cost, y, price));
        TierEconomics {
            tier,
            models: table.tier_models(tier).map(|c| c.model.clone()).collect(),
            averaging,
            unpriced_models: std::mem::take(&mut unpriced[tier.index()]),
            avg_cost_usd,
            avg_power_watts,
            daily_yield_io: yield_io,
            daily_revenue_usd: yield_io.map(|y| y * price),
            daily_power_usd: avg_power_watts.map(|w| w * 24.0 / 1_000.0 * usd_per_kwh),
            payback_months: payback,
            meets_payback_target: payback.is_some_and(|m| m <= PAYBACK_TARGET_MONTHS),
            attrition_price_usd: avg_power_watts.zip(yield_io).and_then(|(w, y)| attrition_price(w, usd_per_kwh, y)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults price every model of the reference catalogue, each under its tier.
    #[test]
    fn defaults_cover_the_reference_catalogue() {
        #[derive(Deserialize)]
        struct Genesis {
            gpu_models: Vec<Model>,
        }
        #[derive(Deserialize)]
        struct Model {
            name: String,
            tier: Tier,
        }
        let genesis: Genesis = toml::from_str(include_str!("../../../migrations/genesis.toml")).unwrap();
        let table = HardwareTable::defaults();
        let priced: Vec<(&str, Tier)> = table.models().iter().map(|m| (m.model.as_str(), m.tier)).collect();
        let catalogue: Vec<(&str, Tier)> = genesis.gpu_models.iter().map(|m| (m.name.as_str(), m.tier)).collect();
        assert_eq!(priced, catalogue);
        // Spot-check the figures the table's comments name.
        let h100 = table.get("H100").unwrap();
        assert_eq!((h100.hardware_usd, h100.power_watts), (25_000.0, 700.0));
        assert_eq!(table.get("RTX 4090").unwrap().hardware_usd, 1_800.0);
        assert_eq!(table.get("Apple M2 Max").unwrap().power_watts, 100.0);
    }

    #[test]
    fn yields_split_pro_rata() {
        // Weights 3 and 1; 2 GPUs and 4 GPUs: total weight 2x3 + 4x1 = 10.
        let tiers = [
            TierWeight { gpus: 2, weight_per_gpu: 3.0 },
            TierWeight { gpus: 4, weight_per_gpu: 1.0 },
            TierWeight { gpus: 0, weight_per_gpu: 5.0 },
        ];
        // 100 IO/day: 100 x 3 / 10 = 30 and 100 x 1 / 10 = 10 per GPU (2x30 + 4x10 = 100).
        assert_eq!(tier_daily_yield_io(100.0, &tiers), [Some(30.0), Some(10.0), None]);
        let nobody = [TierWeight { gpus: 0, weight_per_gpu: 1.0 }; 3];
        assert_eq!(tier_daily_yield_io(100.0, &nobody), [None; 3]);
    }

    #[test]
    fn nothing_earned_means_no_payback_or_attrition() {
        assert_eq!(payback_months(1_000.0, 0.0, 1.0), None);
        assert_eq!(attrition_price(100.0, 0.12, 0.0), None);
    }
}
