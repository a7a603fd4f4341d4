//! A small network built by hand: 12 nodes (10 active) over 3 operators in 7 H3 cells, three
//! months of flows, the hardware economics of its tiers and a three-year halving projection.
//! Every expected value is worked out in the comments.

use std::collections::BTreeMap;

use h3o::{CellIndex, LatLng, Resolution};
use io_metrics::{
    attrition_price, concentration, economics, payback_months, periods, project, spacing_coefficient, tier_daily_yield_io, tier_economics,
    tier_mix, weight_per_gpu, Averaging, Calendar, Flow, HardwareTable, NodeFacts, Tier, TierCount, TierWeight, TimedFlow,
    OPERATOR_CAP_SHARE, SPACING_TARGET,
};

/// The reference genesis's tier minimums (whole IO) and multipliers (bps).
const GENESIS_MIN_STAKE_IO: [f64; 3] = [10_000.0, 2_000.0, 200.0];
const GENESIS_MULTIPLIER_BPS: [u16; 3] = [15_000, 12_000, 10_000];

const IO: u64 = 1_000_000;

fn close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() <= 1e-9 * expected.abs().max(1.0), "{actual} != {expected}");
}

/// Paris at resolution 7, its six neighbours, and a resolution-5 cell in Sydney.
fn cells() -> (Vec<CellIndex>, CellIndex) {
    let center = LatLng::new(48.8566, 2.3522).unwrap().to_cell(Resolution::Seven);
    let mut ring: Vec<CellIndex> = center.grid_disk::<Vec<_>>(1).into_iter().filter(|&c| c != center).collect();
    ring.sort();
    assert_eq!(ring.len(), 6, "Paris is not near a pentagon");
    let mut c = vec![center];
    c.extend(ring);
    let sydney = LatLng::new(-33.8688, 151.2093).unwrap().to_cell(Resolution::Five);
    (c, sydney)
}

fn node(operator: &str, tier: Tier, cell: CellIndex, gpus: u16, active: bool) -> NodeFacts {
    NodeFacts { operator: operator.into(), tier, cell: u64::from(cell), gpus, active }
}

/// | # | operator | tier       | cell (res 7)          | GPUs | active |
/// |---|----------|------------|-----------------------|------|--------|
/// | 1 | alpha    | enterprise | c0                    | 8    | yes    |
/// | 2 | alpha    | enterprise | c1                    | 8    | yes    |
/// | 3 | alpha    | mid-market | res-9 child of c0     | 4    | yes    |
/// | 4 | alpha    | mid-market | c2                    | 2    | yes    |
/// | 5 | beta     | mid-market | c3                    | 2    | yes    |
/// | 6 | beta     | consumer   | c4                    | 1    | yes    |
/// | 7 | beta     | consumer   | c5                    | 1    | yes    |
/// | 8 | gamma    | consumer   | c5                    | 1    | yes    |
/// | 9 | gamma    | consumer   | Sydney (res 5)        | 1    | yes    |
/// |10 | alpha    | consumer   | c4                    | 1    | yes    |
/// |11 | gamma    | enterprise | c6                    | 8    | no     |
/// |12 | gamma    | consumer   | c6                    | 1    | no     |
fn network() -> Vec<NodeFacts> {
    let (c, sydney) = cells();
    let child = c[0].center_child(Resolution::Nine).unwrap();
    vec![
        node("alpha", Tier::Enterprise, c[0], 8, true),
        node("alpha", Tier::Enterprise, c[1], 8, true),
        node("alpha", Tier::MidMarket, child, 4, true),
        node("alpha", Tier::MidMarket, c[2], 2, true),
        node("beta", Tier::MidMarket, c[3], 2, true),
        node("beta", Tier::Consumer, c[4], 1, true),
        node("beta", Tier::Consumer, c[5], 1, true),
        node("gamma", Tier::Consumer, c[5], 1, true),
        node("gamma", Tier::Consumer, sydney, 1, true),
        node("alpha", Tier::Consumer, c[4], 1, true),
        node("gamma", Tier::Enterprise, c[6], 8, false),
        node("gamma", Tier::Consumer, c[6], 1, false),
    ]
}

#[test]
fn spacing() {
    let nodes = network();
    // Res 7: node 3's res-9 cell maps to c0, Sydney (res 5) stays as is. Distinct among the 10
    // active: c0, c1, c2, c3, c4, c5, Sydney = 7 (c6 holds only inactive nodes). 7 / 10 = 0.7.
    let s = spacing_coefficient(&nodes, Resolution::Seven, None).unwrap().unwrap();
    close(s, 0.7);
    assert!(s < SPACING_TARGET);
    // Res 9: node 3's cell stays distinct from c0 (already coarser, kept as is): 8 / 10 = 0.8.
    close(spacing_coefficient(&nodes, Resolution::Nine, None).unwrap().unwrap(), 0.8);
    // Per tier at res 7: enterprise c0, c1 over 2 nodes = 1.0; mid-market c0, c2, c3 over 3 = 1.0;
    // consumer c4, c5, Sydney over 5 nodes = 0.6.
    close(spacing_coefficient(&nodes, Resolution::Seven, Some(Tier::Enterprise)).unwrap().unwrap(), 1.0);
    close(spacing_coefficient(&nodes, Resolution::Seven, Some(Tier::MidMarket)).unwrap().unwrap(), 1.0);
    close(spacing_coefficient(&nodes, Resolution::Seven, Some(Tier::Consumer)).unwrap().unwrap(), 0.6);
    // With every node inactive there is nothing to measure.
    let idle: Vec<NodeFacts> = nodes.into_iter().map(|n| NodeFacts { active: false, ..n }).collect();
    assert_eq!(spacing_coefficient(&idle, Resolution::Seven, None).unwrap(), None);
}

#[test]
fn operator_concentration() {
    let c = concentration(&network());
    // Active nodes: alpha 5 (1, 2, 3, 4, 10), beta 3 (5, 6, 7), gamma 2 (8, 9) of 10.
    assert_eq!(c.largest_operator.as_deref(), Some("alpha"));
    close(c.largest_share, 0.5);
    // HHI = 0.5^2 + 0.3^2 + 0.2^2 = 0.25 + 0.09 + 0.04 = 0.38.
    close(c.herfindahl, 0.38);
    assert_eq!(c.operators, 3);
    // Strictly above 20%: alpha (0.5), beta (0.3); gamma at exactly 0.2 is not.
    assert_eq!(c.above_cap.iter().map(|(op, _)| op.as_str()).collect::<Vec<_>>(), ["alpha", "beta"]);
    close(c.above_cap[1].1, 0.3);
    assert!(c.above_cap.iter().all(|&(_, s)| s > OPERATOR_CAP_SHARE));
    assert!(!c.within_cap());
}

#[test]
fn tiers() {
    assert_eq!(
        tier_mix(&network()),
        [
            // Nodes 1, 2, 11; active 1, 2 with 8 + 8 GPUs.
            TierCount { tier: Tier::Enterprise, nodes: 3, active_nodes: 2, active_gpus: 16 },
            // Nodes 3, 4, 5, all active: 4 + 2 + 2 GPUs.
            TierCount { tier: Tier::MidMarket, nodes: 3, active_nodes: 3, active_gpus: 8 },
            // Nodes 6-10 and 12; 12 inactive: 5 GPUs.
            TierCount { tier: Tier::Consumer, nodes: 6, active_nodes: 5, active_gpus: 5 },
        ]
    );
}

#[test]
fn three_months_of_flows() {
    // 30-day periods from 2026-01-01. Period 0 has a flow 10 s before the origin (it counts in
    // period 0), period 1 is quiet, period 2 burns more than it mints, and `through` reaches into
    // period 3, which is quiet too.
    let calendar = Calendar { origin_ts: 1_767_225_600, period_secs: 30 * 86_400 };
    let at = |period: i64, offset: i64| calendar.origin_ts + period * 30 * 86_400 + offset;
    let flows = [
        TimedFlow { time: at(0, -10), flow: Flow::Emitted { emitted: 1_000 * IO, minted: 600 * IO } },
        TimedFlow { time: at(0, 5), flow: Flow::Burned(200 * IO) },
        TimedFlow { time: at(0, 9), flow: Flow::Demand { iosd: 300 * IO, io: 100 * IO } },
        TimedFlow { time: at(2, 0), flow: Flow::Emitted { emitted: 1_000 * IO, minted: 600 * IO } },
        TimedFlow { time: at(2, 100), flow: Flow::Burned(900 * IO) },
        TimedFlow { time: at(3, -1), flow: Flow::Burned(100 * IO) },
        TimedFlow { time: at(2, 7), flow: Flow::Demand { iosd: 1_000 * IO, io: 0 } },
    ];
    let ps = periods(&flows, &calendar, Some(at(3, 5))).unwrap();
    assert_eq!(ps.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(ps[2].start_ts, at(2, 0));
    let e: Vec<_> = ps.iter().map(|p| economics(p, 0.5).unwrap()).collect();
    // Period 0: minted 600, burned 200, net +400 (inflationary).
    assert_eq!((e[0].minted_io, e[0].burned_io, e[0].net_io), (600.0, 200.0, 400.0));
    // Demand $300 + 100 IO x $0.50 = $350; emission 1,000 IO x $0.50 = $500; D/E 0.7.
    assert_eq!((e[0].demand_usd, e[0].emission_usd), (350.0, 500.0));
    close(e[0].de_ratio.unwrap(), 0.7);
    // Period 1: all zeros, no D/E.
    assert_eq!((e[1].minted_io, e[1].burned_io, e[1].net_io, e[1].de_ratio), (0.0, 0.0, 0.0, None));
    // Period 2: minted 600, burned 900 + 100 = 1,000, net -400 (deflationary); D/E 1,000 / 500 = 2.
    assert_eq!((e[2].minted_io, e[2].burned_io, e[2].net_io), (600.0, 1_000.0, -400.0));
    close(e[2].de_ratio.unwrap(), 2.0);
    // Period 3: quiet, present because of `through`.
    assert!(ps[3].is_empty());
    // Over the whole run: minted 1,200, burned 1,200, net 0.
    assert_eq!(e.iter().map(|x| x.net_io).sum::<f64>(), 0.0);
}

/// Genesis weights with a perfect score: enterprise 10,000 x 1.5 = 15,000; mid-market
/// 2,000 x 1.2 = 2,400; consumer 200 x 1.0 = 200. With the tier mix's 16, 8 and 5 active GPUs the
/// total weight is 16 x 15,000 + 8 x 2,400 + 5 x 200 = 240,000 + 19,200 + 1,000 = 260,200, so a
/// daily emission of 52,040 IO pays 0.2 IO per unit of weight: 3,000, 480 and 40 IO per GPU a day.
fn yields() -> [Option<f64>; 3] {
    let mix = tier_mix(&network());
    let weights: [TierWeight; 3] = Tier::ALL.map(|t| TierWeight {
        gpus: mix[t.index()].active_gpus,
        weight_per_gpu: weight_per_gpu(GENESIS_MIN_STAKE_IO[t.index()], GENESIS_MULTIPLIER_BPS[t.index()], 10_000),
    });
    assert_eq!(weights.map(|w| w.weight_per_gpu), [15_000.0, 2_400.0, 200.0]);
    tier_daily_yield_io(52_040.0, &weights)
}

#[test]
fn daily_yields() {
    let y = yields().map(Option::unwrap);
    close(y[0], 3_000.0);
    close(y[1], 480.0);
    close(y[2], 40.0);
    // A 90% score scales the weight: 200 x 1.0 x 0.9 = 180.
    close(weight_per_gpu(200.0, 10_000, 9_000), 180.0);
}

#[test]
fn payback_and_attrition() {
    // H100: $25,000 + $250 shipping; 3,000 IO/day at $0.50 = $1,500/day: 16.8333 days, / 30.4375.
    close(payback_months(25_250.0, 3_000.0, 0.5).unwrap(), 16.833_333_333_333_333 / 30.4375);
    // At $0.01 the same GPU earns $30/day: 841.67 days = 27.65 months, over the 12-month target.
    close(payback_months(25_250.0, 3_000.0, 0.01).unwrap(), 25_250.0 / 30.0 / 30.4375);
    // RTX 4090: 450 W x 24 h = 10.8 kWh x $0.12 = $1.296/day, over 480 IO/day = $0.0027/IO.
    close(attrition_price(450.0, 0.12, 480.0).unwrap(), 0.0027);
    // Apple M2 Max: 100 W x 24 h = 2.4 kWh x $0.12 = $0.288/day, over 40 IO = $0.0072/IO.
    close(attrition_price(100.0, 0.12, 40.0).unwrap(), 0.0072);
}

const TABLE: &str = r#"
[[models]]
model = "H100"
tier = "enterprise"
hardware_usd = 25000
shipping_usd = 250
power_watts = 700

[[models]]
model = "A100"
tier = "enterprise"
hardware_usd = 12000
shipping_usd = 250
power_watts = 400

[[models]]
model = "RTX 4090"
tier = "mid-market"
hardware_usd = 1800
shipping_usd = 60
power_watts = 450

[[models]]
model = "RTX 3090"
tier = "mid-market"
hardware_usd = 800
shipping_usd = 60
power_watts = 350

[[models]]
model = "Apple M2 Max"
tier = "consumer"
hardware_usd = 2000
shipping_usd = 40
power_watts = 100

[[models]]
model = "Apple M1"
tier = "consumer"
hardware_usd = 450.5
shipping_usd = 39.5
power_watts = 40
"#;

#[test]
fn tier_economics_weighted_and_catalogue() {
    let table = HardwareTable::from_toml(TABLE).unwrap();
    // Enterprise: 8 H100 and 8 A100 active; mid-market 6 RTX 4090 and 2 RTX 3090; consumer no counts.
    let counts: BTreeMap<String, (Tier, u64)> = [
        ("H100", Tier::Enterprise, 8),
        ("A100", Tier::Enterprise, 8),
        ("RTX 4090", Tier::MidMarket, 6),
        ("RTX 3090", Tier::MidMarket, 2),
        ("Apple M1", Tier::Consumer, 0),
    ]
    .into_iter()
    .map(|(m, t, n)| (m.to_owned(), (t, n)))
    .collect();
    let [ent, mid, con] = tier_economics(&table, &yields(), 0.5, 0.12, Some(&counts)).unwrap();

    // Enterprise, weighted: cost (25,250 x 8 + 12,250 x 8) / 16 = 18,750; power (700 + 400) / 2 = 550.
    assert_eq!(ent.averaging, Averaging::ActiveGpus);
    assert_eq!(ent.models, ["H100", "A100"]);
    close(ent.avg_cost_usd.unwrap(), 18_750.0);
    close(ent.avg_power_watts.unwrap(), 550.0);
    // 3,000 IO x $0.50 = $1,500/day: 18,750 / 1,500 = 12.5 days = 12.5 / 30.4375 months.
    close(ent.daily_revenue_usd.unwrap(), 1_500.0);
    close(ent.payback_months.unwrap(), 12.5 / 30.4375);
    assert!(ent.meets_payback_target);
    // 550 W x 24 h = 13.2 kWh x $0.12 = $1.584/day; / 3,000 IO = $0.000528.
    close(ent.daily_power_usd.unwrap(), 1.584);
    close(ent.attrition_price_usd.unwrap(), 0.000528);

    // Mid-market, weighted: cost (1,860 x 6 + 860 x 2) / 8 = (11,160 + 1,720) / 8 = 1,610;
    // power (450 x 6 + 350 x 2) / 8 = 3,400 / 8 = 425.
    assert_eq!(mid.averaging, Averaging::ActiveGpus);
    close(mid.avg_cost_usd.unwrap(), 1_610.0);
    close(mid.avg_power_watts.unwrap(), 425.0);
    // 480 IO x $0.50 = $240/day: 1,610 / 240 = 6.708333 days.
    close(mid.payback_months.unwrap(), 6.708_333_333_333_333 / 30.4375);
    // 425 W: 10.2 kWh x $0.12 = $1.224/day; / 480 IO = $0.00255.
    close(mid.attrition_price_usd.unwrap(), 0.00255);

    // Consumer: only a zero count, so the table average of M2 Max ($2,040, 100 W) and
    // M1 ($490, 40 W): $1,265 and 70 W.
    assert_eq!(con.averaging, Averaging::Catalogue);
    assert_eq!(con.models, ["Apple M2 Max", "Apple M1"]);
    close(con.avg_cost_usd.unwrap(), 1_265.0);
    close(con.avg_power_watts.unwrap(), 70.0);
    // 40 IO x $0.50 = $20/day: 63.25 days.
    close(con.payback_months.unwrap(), 63.25 / 30.4375);
    // 70 W: 1.68 kWh x $0.12 = $0.2016/day; / 40 IO = $0.00504.
    close(con.attrition_price_usd.unwrap(), 0.00504);

    // Without counts every tier takes the table average: enterprise (25,250 + 12,250) / 2 = 18,750
    // as well, since the counts above were equal.
    let [ent, ..] = tier_economics(&table, &yields(), 0.5, 0.12, None).unwrap();
    assert_eq!(ent.averaging, Averaging::Catalogue);
    close(ent.avg_cost_usd.unwrap(), 18_750.0);

    // A tier that earns nothing never pays back.
    let [ent, ..] = tier_economics(&table, &[None, Some(1.0), Some(1.0)], 0.5, 0.12, None).unwrap();
    assert_eq!((ent.payback_months, ent.attrition_price_usd, ent.meets_payback_target), (None, None, false));
}

#[test]
fn halving_projection() {
    // Emission halves each year: 40M, 20M, 10M IO. Demand $14.2M growing 50% a year, IO at $0.50,
    // fee 2% (98% burns).
    let p = project(&[40_000_000.0, 20_000_000.0, 10_000_000.0], 14_200_000.0, 5_000, 0.5, 200).unwrap();
    let y = &p.years;
    assert_eq!(y.iter().map(|y| y.year).collect::<Vec<_>>(), [1, 2, 3]);
    // Year 1: burn 14.2M x 0.98 / 0.5 = 27,832,000 IO; net 40M - 27.832M = 12,168,000;
    // D/E 14.2M / (40M x 0.5) = 0.71.
    close(y[0].demand_usd, 14_200_000.0);
    close(y[0].burn_io, 27_832_000.0);
    close(y[0].net_io, 12_168_000.0);
    close(y[0].de_ratio.unwrap(), 0.71);
    assert!(!y[0].net_deflationary);
    // Year 2: demand 21.3M; burn 21.3M x 0.98 / 0.5 = 41,748,000; net 20M - 41.748M = -21,748,000;
    // D/E 21.3 / 10 = 2.13.
    close(y[1].demand_usd, 21_300_000.0);
    close(y[1].burn_io, 41_748_000.0);
    close(y[1].net_io, -21_748_000.0);
    close(y[1].de_ratio.unwrap(), 2.13);
    assert!(y[1].net_deflationary);
    // Year 3: demand 31.95M; burn 62,622,000; net 10M - 62.622M = -52,622,000; D/E 31.95 / 5 = 6.39.
    close(y[2].demand_usd, 31_950_000.0);
    close(y[2].burn_io, 62_622_000.0);
    close(y[2].net_io, -52_622_000.0);
    close(y[2].de_ratio.unwrap(), 6.39);
    assert_eq!(p.first_deflationary_year, Some(2));

    // Flat demand of $5M never catches up: burn 9.8M IO < 10M in year 3.
    let flat = project(&[40_000_000.0, 20_000_000.0, 10_000_000.0], 5_000_000.0, 0, 0.5, 200).unwrap();
    close(flat.years[2].burn_io, 9_800_000.0);
    assert_eq!(flat.first_deflationary_year, None);
}

#[test]
fn outputs_serialize_to_json() {
    let c = concentration(&network());
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["largest_operator"], "alpha");
    assert_eq!(json["above_cap"][0][0], "alpha");
    assert_eq!(serde_json::to_value(tier_mix(&network())).unwrap()[1]["tier"], "mid-market");
    let flow = TimedFlow { time: 1, flow: Flow::Demand { iosd: 2, io: 3 } };
    let text = serde_json::to_string(&flow).unwrap();
    assert_eq!(text, r#"{"time":1,"flow":{"demand":{"iosd":2,"io":3}}}"#);
    assert_eq!(serde_json::from_str::<TimedFlow>(&text).unwrap(), flow);
    let table = HardwareTable::defaults();
    let back: HardwareTable = serde_json::from_value(serde_json::to_value(&table).unwrap()).unwrap();
    assert_eq!(back, table);
}
