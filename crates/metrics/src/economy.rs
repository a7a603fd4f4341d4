//! Token economy: what was emitted, minted and burned per period, what demand paid, and the
//! demand-to-emission ratio and break-even demand derived from them.
//!
//! Inputs are on-chain amounts in base units (1 IO = 1 IOSD = 10^6 base units) so that sums are
//! exact; only the derived, priced figures are f64.

use serde::{Deserialize, Serialize};

use crate::error::{check_fee, check_price, MetricsError};

/// Seconds in the 365-day year every annualised figure is scaled to.
pub const YEAR_SECS: u64 = 365 * 86_400;

/// The D/E at and above which demand pays for emission and the network is self-sustaining.
pub const SELF_SUSTAINING_DE: f64 = 0.60;

/// How many of the latest periods the trailing figures look at (a year of months).
pub const TRAILING_PERIODS: usize = 12;

/// The most periods [`periods`] will lay out; a mistaken `through` or a one-second period would
/// otherwise allocate without bound.
pub const MAX_PERIODS: u64 = 1_000_000;

/// Base units per whole token (IO and IOSD alike).
const UNITS: f64 = 1_000_000.0;

/// One economic event, in base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Rewards paid to nodes (`emitted`), of which `minted` was newly minted supply (the rest came
    /// from an existing reserve): emission is what demand must pay for, minting is what dilutes.
    Emitted {
        /// IO paid out as rewards.
        emitted: u64,
        /// IO newly minted for it.
        minted: u64,
    },
    /// IO destroyed by the buyback-and-burn.
    Burned(u64),
    /// What customers paid for compute: in IOSD (worth $1 each) and in IO.
    Demand {
        /// IOSD paid.
        iosd: u64,
        /// IO paid.
        io: u64,
    },
}

/// A flow and when it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedFlow {
    /// Unix seconds.
    pub time: i64,
    /// What happened.
    pub flow: Flow,
}

/// Cuts time into equal periods counted from an origin (e.g. genesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Unix seconds at which period 0 starts.
    pub origin_ts: i64,
    /// Length of each period in seconds (must be above zero).
    pub period_secs: u32,
}

impl Calendar {
    /// The period a time falls in. Times before the origin fall in period 0 (pre-genesis activity
    /// such as the genesis mint belongs with the first period, not nowhere). A zero-length period
    /// maps everything to period 0 rather than dividing by zero; [`periods`] refuses it.
    pub fn period_of(&self, time: i64) -> u64 {
        if time <= self.origin_ts || self.period_secs == 0 {
            return 0;
        }
        // The difference of two i64 can exceed i64::MAX, never u64::MAX.
        let since = (i128::from(time) - i128::from(self.origin_ts)) as u64;
        since / u64::from(self.period_secs)
    }

    /// Unix seconds at which a period starts (saturating at `i64::MAX` far in the future).
    pub fn start_of(&self, index: u64) -> i64 {
        let start = i128::from(self.origin_ts) + i128::from(index) * i128::from(self.period_secs);
        i64::try_from(start).unwrap_or(i64::MAX)
    }
}

/// The flows of one period, summed, in base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PeriodFlows {
    /// The period's index in its [`Calendar`].
    pub index: u64,
    /// Unix seconds at which the period starts.
    pub start_ts: i64,
    /// IO paid out as rewards.
    pub emitted: u64,
    /// IO newly minted.
    pub minted: u64,
    /// IO burned.
    pub burned: u64,
    /// IOSD paid by demand.
    pub demand_iosd: u64,
    /// IO paid by demand.
    pub demand_io: u64,
}

impl PeriodFlows {
    /// Adds one flow; checked, since a silently wrapped sum would report nonsense.
    fn add(&mut self, flow: &Flow) -> Result<(), MetricsError> {
        fn add(to: &mut u64, amount: u64) -> Result<(), MetricsError> {
            *to = to.checked_add(amount).ok_or(MetricsError::Overflow)?;
            Ok(())
        }
        match *flow {
            Flow::Emitted { emitted, minted } => {
                add(&mut self.emitted, emitted)?;
                add(&mut self.minted, minted)
            }
            Flow::Burned(burned) => add(&mut self.burned, burned),
            Flow::Demand { iosd, io } => {
                add(&mut self.demand_iosd, iosd)?;
                add(&mut self.demand_io, io)
            }
        }
    }

    /// True when nothing happened in the period.
    pub fn is_empty(&self) -> bool {
        self.emitted == 0 && self.minted == 0 && self.burned == 0 && self.demand_iosd == 0 && self.demand_io == 0
    }
}

/// Sums flows into contiguous periods, quiet ones included as zeros (a month without demand
/// must show as a zero, not vanish from a chart or a trailing average).
///
/// The range runs from the earliest flow's period (period 0, the origin, when there are no flows)
/// to the latest flow's period, extended to `through`'s period when that is later (pass "now" so
/// the current, possibly quiet, period is included). `through` never drops flows. Flows need not
/// be sorted. No flows and no `through` give no periods.
pub fn periods(flows: &[TimedFlow], calendar: &Calendar, through: Option<i64>) -> Result<Vec<PeriodFlows>, MetricsError> {
    if calendar.period_secs == 0 {
        return Err(MetricsError::InvalidCalendar);
    }
    let flow_range = flows.iter().map(|f| calendar.period_of(f.time)).fold(None, |range: Option<(u64, u64)>, p| match range {
        None => Some((p, p)),
        Some((lo, hi)) => Some((lo.min(p), hi.max(p))),
    });
    let through = through.map(|t| calendar.period_of(t));
    let (first, last) = match (flow_range, through) {
        (None, None) => return Ok(Vec::new()),
        (None, Some(t)) => (0, t),
        (Some((lo, hi)), None) => (lo, hi),
        (Some((lo, hi)), Some(t)) => (lo, hi.max(t)),
    };
    let count = last - first + 1;
    if count > MAX_PERIODS {
        return Err(MetricsError::TooManyPeriods(count));
    }
    let mut out: Vec<PeriodFlows> =
        (first..=last).map(|index| PeriodFlows { index, start_ts: calendar.start_of(index), ..PeriodFlows::default() }).collect();
    for f in flows {
        let slot = (calendar.period_of(f.time) - first) as usize;
        out[slot].add(&f.flow)?;
    }
    Ok(out)
}

/// One period's figures in whole tokens and USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodEconomics {
    /// The period's index.
    pub index: u64,
    /// Unix seconds at which it starts.
    pub start_ts: i64,
    /// IO paid out as rewards.
    pub emitted_io: f64,
    /// IO newly minted.
    pub minted_io: f64,
    /// IO burned.
    pub burned_io: f64,
    /// Minted minus burned: negative means the supply shrank (deflationary).
    pub net_io: f64,
    /// Demand in USD: IOSD at $1 plus IO at the given price.
    pub demand_usd: f64,
    /// Emission (rewards paid) valued at the given price.
    pub emission_usd: f64,
    /// `demand_usd / emission_usd`; None when nothing was emitted.
    pub de_ratio: Option<f64>,
}

/// Prices one period. IO amounts are valued at `io_usd`, the price the report is made at (not the
/// price on the day of each flow, which the flows do not carry).
pub fn economics(p: &PeriodFlows, io_usd: f64) -> Result<PeriodEconomics, MetricsError> {
    let price = check_price(io_usd)?;
    let emitted_io = p.emitted as f64 / UNITS;
    let minted_io = p.minted as f64 / UNITS;
    let burned_io = p.burned as f64 / UNITS;
    let demand_usd = p.demand_iosd as f64 / UNITS + p.demand_io as f64 / UNITS * price;
    let emission_usd = emitted_io * price;
    Ok(PeriodEconomics {
        index: p.index,
        start_ts: p.start_ts,
        emitted_io,
        minted_io,
        burned_io,
        // Subtracting the exact integers first keeps a zero net exactly zero.
        net_io: (i128::from(p.minted) - i128::from(p.burned)) as f64 / UNITS,
        demand_usd,
        emission_usd,
        de_ratio: de_ratio(demand_usd, emission_usd),
    })
}

/// The last up to [`TRAILING_PERIODS`] periods, annualised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trailing {
    /// Demand in USD per year.
    pub annual_demand_usd: f64,
    /// IO paid out as rewards per year.
    pub annual_emission_io: f64,
    /// That emission valued at the given price.
    pub annual_emission_usd: f64,
    /// IO minted per year.
    pub annual_minted_io: f64,
    /// IO burned per year.
    pub annual_burned_io: f64,
    /// `annual_demand_usd / annual_emission_usd`; None when nothing was emitted.
    pub de_ratio: Option<f64>,
    /// `de_ratio >= SELF_SUSTAINING_DE`.
    pub self_sustaining: bool,
    /// The yearly demand whose buyback would burn as much IO as is emitted.
    pub break_even_demand_usd: Option<f64>,
    /// How many periods were used (fewer than 12 early in the network's life).
    pub periods: usize,
}

/// Annualises the last up to [`TRAILING_PERIODS`] of `periods` (as laid out by [`periods`]):
/// each sum is scaled by `YEAR_SECS / covered`, where `covered` is `k x period_secs` for
/// whole periods (12 thirty-day periods count as 360 days of a 365-day year). With `end_ts`
/// (when the data ends: the newest flow, or now), a last period still running covers only
/// the time up to it, at least a day: three days of a period are annualised as three days,
/// not as thirty. None when there are no periods.
pub fn trailing(
    periods: &[PeriodFlows],
    calendar: &Calendar,
    io_usd: f64,
    fee_bps: u16,
    end_ts: Option<i64>,
) -> Result<Option<Trailing>, MetricsError> {
    let price = check_price(io_usd)?;
    check_fee(fee_bps)?;
    if calendar.period_secs == 0 {
        return Err(MetricsError::InvalidCalendar);
    }
    let window = &periods[periods.len().saturating_sub(TRAILING_PERIODS)..];
    if window.is_empty() {
        return Ok(None);
    }
    // u128 sums: twelve u64 sums cannot overflow it.
    let sum = |f: fn(&PeriodFlows) -> u64| window.iter().map(|p| u128::from(f(p))).sum::<u128>() as f64 / UNITS;
    let period = f64::from(calendar.period_secs);
    let last_covered = match (end_ts, window.last()) {
        (Some(end), Some(last)) => ((end - last.start_ts) as f64).clamp(period.min(86_400.0), period),
        _ => period,
    };
    let scale = YEAR_SECS as f64 / ((window.len() - 1) as f64 * period + last_covered);
    let annual_demand_usd = (sum(|p| p.demand_iosd) + sum(|p| p.demand_io) * price) * scale;
    let annual_emission_io = sum(|p| p.emitted) * scale;
    let annual_emission_usd = annual_emission_io * price;
    let de = de_ratio(annual_demand_usd, annual_emission_usd);
    Ok(Some(Trailing {
        annual_demand_usd,
        annual_emission_io,
        annual_emission_usd,
        annual_minted_io: sum(|p| p.minted) * scale,
        annual_burned_io: sum(|p| p.burned) * scale,
        de_ratio: de,
        self_sustaining: de.is_some_and(|d| d >= SELF_SUSTAINING_DE),
        break_even_demand_usd: break_even_demand_usd(annual_emission_io, price, fee_bps),
        periods: window.len(),
    }))
}

/// Demand-to-emission ratio; None when emission is zero (or either side is not finite), since a
/// ratio over nothing says nothing.
pub fn de_ratio(annual_demand_usd: f64, annual_emission_usd: f64) -> Option<f64> {
    (annual_emission_usd > 0.0 && annual_emission_usd.is_finite() && annual_demand_usd.is_finite())
        .then(|| annual_demand_usd / annual_emission_usd)
}

/// The yearly demand (USD) whose buyback burns exactly the IO emitted: only `1 - fee` of demand
/// buys IO (the fee goes to the treasury), so `emission_io x price / (1 - fee_bps / 10000)`.
/// None for a fee of 100% or more (nothing is burned) or a non-finite result.
pub fn break_even_demand_usd(annual_emission_io: f64, io_usd: f64, fee_bps: u16) -> Option<f64> {
    if fee_bps >= 10_000 {
        return None;
    }
    let value = annual_emission_io * io_usd / burn_share(fee_bps);
    value.is_finite().then_some(value)
}

/// The share of demand that buys back and burns IO.
pub(crate) fn burn_share(fee_bps: u16) -> f64 {
    1.0 - f64::from(fee_bps) / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A period still running counts only the time it covered: 30 IO over a whole 30-day
    /// period then 3 IO over the first 3 days of the next is 33 IO in 33 days, 365 IO a
    /// year (counting the running period whole would say 33 x 365 / 60 = 200.75).
    #[test]
    fn a_running_period_is_annualised_over_the_time_it_covered() {
        const DAY: i64 = 86_400;
        let calendar = Calendar { origin_ts: 0, period_secs: 30 * DAY as u32 };
        let flows = [
            TimedFlow { time: 10 * DAY, flow: Flow::Emitted { emitted: 30_000_000, minted: 30_000_000 } },
            TimedFlow { time: 31 * DAY, flow: Flow::Emitted { emitted: 3_000_000, minted: 3_000_000 } },
        ];
        let ps = periods(&flows, &calendar, None).unwrap();
        let running = trailing(&ps, &calendar, 1.0, 200, Some(33 * DAY)).unwrap().unwrap();
        assert!((running.annual_emission_io - 365.0).abs() < 1e-9, "{}", running.annual_emission_io);
        let whole = trailing(&ps, &calendar, 1.0, 200, None).unwrap().unwrap();
        assert!((whole.annual_emission_io - 200.75).abs() < 1e-9, "{}", whole.annual_emission_io);
        // An end right at the running period's start still counts a day of it: 33 IO in 31 days.
        let early = trailing(&ps, &calendar, 1.0, 200, Some(30 * DAY)).unwrap().unwrap();
        assert!((early.annual_emission_io - 33.0 * 365.0 / 31.0).abs() < 1e-9, "{}", early.annual_emission_io);
    }

    #[test]
    fn calendar_edges() {
        let cal = Calendar { origin_ts: 1_000, period_secs: 100 };
        assert_eq!(cal.period_of(-5), 0);
        assert_eq!(cal.period_of(1_000), 0);
        assert_eq!(cal.period_of(1_099), 0);
        assert_eq!(cal.period_of(1_100), 1);
        assert_eq!(cal.start_of(3), 1_300);
        assert_eq!(Calendar { origin_ts: i64::MIN, period_secs: 1 }.period_of(i64::MAX), u64::MAX);
        assert_eq!(Calendar { origin_ts: i64::MAX, period_secs: u32::MAX }.start_of(u64::MAX), i64::MAX);
    }

    #[test]
    fn quiet_periods_are_zeros_and_through_extends() {
        let cal = Calendar { origin_ts: 0, period_secs: 10 };
        let flows = [TimedFlow { time: 35, flow: Flow::Burned(7) }, TimedFlow { time: 12, flow: Flow::Burned(3) }];
        let ps = periods(&flows, &cal, Some(59)).unwrap();
        // Periods 1 (t=12) through 5 (through=59): 1, 2, 3, 4, 5.
        assert_eq!(ps.iter().map(|p| p.index).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
        assert_eq!(ps.iter().map(|p| p.burned).collect::<Vec<_>>(), vec![3, 0, 7, 0, 0]);
        assert_eq!(ps[2].start_ts, 30);
        assert!(ps[1].is_empty());
        // No flows: from the origin to `through`.
        assert_eq!(periods(&[], &cal, Some(25)).unwrap().len(), 3);
        assert!(periods(&[], &cal, None).unwrap().is_empty());
    }

    #[test]
    fn refusals() {
        let zero = Calendar { origin_ts: 0, period_secs: 0 };
        assert_eq!(periods(&[], &zero, Some(1)), Err(MetricsError::InvalidCalendar));
        let cal = Calendar { origin_ts: 0, period_secs: 1 };
        assert_eq!(periods(&[], &cal, Some(2_000_000)), Err(MetricsError::TooManyPeriods(2_000_001)));
        let big = [TimedFlow { time: 0, flow: Flow::Burned(u64::MAX) }, TimedFlow { time: 0, flow: Flow::Burned(1) }];
        assert_eq!(periods(&big, &cal, None), Err(MetricsError::Overflow));
    }

    #[test]
    fn de_ratio_none_without_emission() {
        assert_eq!(de_ratio(5.0, 0.0), None);
        assert_eq!(de_ratio(3.0, 4.0), Some(0.75));
    }
}
