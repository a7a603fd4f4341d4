//! The product brief's own figures: "the reference network needs about $22.5M ARR at its current
//! emission baseline" and "D/E at $14.2M demand is about 0.64". The baseline is an emission worth
//! $22.05M a year (22.05 / (1 - 2%) = 22.5). Expected values are computed by hand in comments.

use io_metrics::{
    break_even_demand_usd, de_ratio, periods, project, trailing, Calendar, Flow, TimedFlow, SELF_SUSTAINING_DE, TRAILING_PERIODS,
};

const FEE_BPS: u16 = 200;
/// 2026-01-01T00:00:00Z.
const ORIGIN: i64 = 1_767_225_600;
const THIRTY_DAYS: u32 = 30 * 86_400;

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!((actual - expected).abs() <= tolerance, "{actual} is not within {tolerance} of {expected}");
}

#[test]
fn break_even_is_22_5_million() {
    // 22,050,000 IO x $1.00 / 0.98 = 22,500,000.
    close(break_even_demand_usd(22_050_000.0, 1.0, FEE_BPS).unwrap(), 22_500_000.0, 1e-6);
    // The same USD value as 44,100,000 IO at $0.50.
    close(break_even_demand_usd(44_100_000.0, 0.5, FEE_BPS).unwrap(), 22_500_000.0, 1e-6);
    // Without a fee, break-even is the emission's value itself.
    close(break_even_demand_usd(22_050_000.0, 1.0, 0).unwrap(), 22_050_000.0, 1e-6);
}

#[test]
fn de_at_14_2_million_is_about_0_64() {
    // 14.2 / 22.05 = 0.643991 (0.6439909...).
    let de = de_ratio(14_200_000.0, 22_050_000.0).unwrap();
    close(de, 0.643991, 1e-4);
    assert!(de >= SELF_SUSTAINING_DE);
    // 12 / 22.05 = 0.544218: below 0.60.
    let de = de_ratio(12_000_000.0, 22_050_000.0).unwrap();
    close(de, 0.544218, 1e-4);
    assert!(de < SELF_SUSTAINING_DE);
}

#[test]
fn at_break_even_burn_equals_emission() {
    // $22.5M x 0.98 / $1.00 = 22,050,000 IO burned against 22,050,000 emitted.
    let p = project(&[22_050_000.0], 22_500_000.0, 0, 1.0, FEE_BPS).unwrap();
    close(p.years[0].burn_io, 22_050_000.0, 1e-6);
    close(p.years[0].net_io, 0.0, 1e-6);
    // At $0.50 the same USD burns twice the IO: 22.5M x 0.98 / 0.5 = 44,100,000.
    let p = project(&[44_100_000.0], 22_500_000.0, 0, 0.5, FEE_BPS).unwrap();
    close(p.years[0].burn_io, 44_100_000.0, 1e-6);
}

/// Twelve 30-day periods (360 days), each holding 30/365 of the yearly figures so they annualise
/// (x 365/360) back to them; plus `older` busy periods before them that the trailing window must
/// leave out.
fn year_of_flows(emitted_per_period: u64, iosd_per_period: u64, io_per_period: u64, older: u64) -> Vec<TimedFlow> {
    let mut flows = Vec::new();
    for i in 0..older + 12 {
        // One day into each period.
        let time = ORIGIN + i as i64 * i64::from(THIRTY_DAYS) + 86_400;
        let scale = if i < older { 100 } else { 1 };
        flows.push(TimedFlow { time, flow: Flow::Emitted { emitted: emitted_per_period, minted: emitted_per_period } });
        flows.push(TimedFlow { time, flow: Flow::Demand { iosd: iosd_per_period * scale, io: io_per_period * scale } });
    }
    flows
}

#[test]
fn trailing_year_at_one_dollar() {
    // Emission per 30-day period = 22,050,000 x 30/365 = 1,812,328.767123... IO
    //   -> 1,812,328,767,123 base units (the 0.29 base unit dropped: ~1.6e-13 relative).
    // Demand per period = 14,200,000 x 30/365 = 1,167,123.287671... IOSD -> 1,167,123,287,671.
    let flows = year_of_flows(1_812_328_767_123, 1_167_123_287_671, 0, 2);
    let calendar = Calendar { origin_ts: ORIGIN, period_secs: THIRTY_DAYS };
    let ps = periods(&flows, &calendar, None).unwrap();
    assert_eq!(ps.len(), 14);
    let t = trailing(&ps, &calendar, 1.0, FEE_BPS, None).unwrap().unwrap();
    assert_eq!(t.periods, TRAILING_PERIODS);
    // Annualised: 12 x 1,812,328.767123 x 365/360 = 22,049,999.99999... IO.
    close(t.annual_emission_io, 22_050_000.0, 1e-3);
    close(t.annual_emission_usd, 22_050_000.0, 1e-3);
    close(t.annual_minted_io, 22_050_000.0, 1e-3);
    close(t.annual_demand_usd, 14_200_000.0, 1e-3);
    close(t.de_ratio.unwrap(), 0.643991, 1e-4);
    assert!(t.self_sustaining);
    close(t.break_even_demand_usd.unwrap(), 22_500_000.0, 1e-3);
}

#[test]
fn trailing_year_at_fifty_cents_with_demand_paid_half_in_io() {
    // Emission 44,100,000 IO/yr ($22.05M at $0.50): per period 44,100,000 x 30/365
    //   = 3,624,657.534246... IO -> 3,624,657,534,247 base units.
    // Demand $14.2M/yr: $7.1M in IOSD, $7.1M in IO (14,200,000 IO at $0.50). Per period:
    //   IOSD 7,100,000 x 30/365 = 583,561.643835... -> 583,561,643,836;
    //   IO  14,200,000 x 30/365 = 1,167,123.287671... -> 1,167,123,287,671.
    let flows = year_of_flows(3_624_657_534_247, 583_561_643_836, 1_167_123_287_671, 0);
    let calendar = Calendar { origin_ts: ORIGIN, period_secs: THIRTY_DAYS };
    let ps = periods(&flows, &calendar, None).unwrap();
    let t = trailing(&ps, &calendar, 0.5, FEE_BPS, None).unwrap().unwrap();
    close(t.annual_emission_io, 44_100_000.0, 1e-3);
    close(t.annual_emission_usd, 22_050_000.0, 1e-3);
    close(t.annual_demand_usd, 14_200_000.0, 1e-3);
    close(t.de_ratio.unwrap(), 0.643991, 1e-4);
    assert!(t.self_sustaining);
    close(t.break_even_demand_usd.unwrap(), 22_500_000.0, 1e-3);
}

#[test]
fn trailing_year_at_12_million_is_not_self_sustaining() {
    // Demand per period 12,000,000 x 30/365 = 986,301.369863... IOSD -> 986,301,369,863.
    let flows = year_of_flows(1_812_328_767_123, 986_301_369_863, 0, 0);
    let calendar = Calendar { origin_ts: ORIGIN, period_secs: THIRTY_DAYS };
    let t = trailing(&periods(&flows, &calendar, None).unwrap(), &calendar, 1.0, FEE_BPS, None).unwrap().unwrap();
    close(t.annual_demand_usd, 12_000_000.0, 1e-3);
    // 12 / 22.05 = 0.544218.
    close(t.de_ratio.unwrap(), 0.544218, 1e-4);
    assert!(!t.self_sustaining);
}

#[test]
fn trailing_year_of_exact_twelfths() {
    // A period of a twelfth of 365 days (2,628,000 s) needs no annualisation factor: 12 periods
    // of 1,837,500 IO (22,050,000 / 12) are exactly 22,050,000 IO a year.
    let calendar = Calendar { origin_ts: ORIGIN, period_secs: 2_628_000 };
    let flows: Vec<TimedFlow> =
        (0..12).map(|i| TimedFlow { time: calendar.start_of(i), flow: Flow::Emitted { emitted: 1_837_500_000_000, minted: 0 } }).collect();
    let t = trailing(&periods(&flows, &calendar, None).unwrap(), &calendar, 1.0, FEE_BPS, None).unwrap().unwrap();
    assert_eq!(t.annual_emission_io, 22_050_000.0);
    assert_eq!(t.annual_demand_usd, 0.0);
    assert_eq!(t.de_ratio, Some(0.0));
    assert!(!t.self_sustaining);
}
