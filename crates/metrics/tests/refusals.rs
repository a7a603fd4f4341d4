//! Every refusal names its error variant.

use std::collections::BTreeMap;

use h3o::Resolution;
use io_metrics::{
    break_even_demand_usd, economics, periods, project, spacing_coefficient, tier_economics, trailing, Calendar, HardwareTable,
    MetricsError, NodeFacts, PeriodFlows, Tier,
};

const CAL: Calendar = Calendar { origin_ts: 0, period_secs: 86_400 };

#[test]
fn invalid_price() {
    let p = PeriodFlows::default();
    for price in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(economics(&p, price), Err(MetricsError::InvalidPrice(_))), "{price}");
        assert!(matches!(trailing(&[p], &CAL, price, 200, None), Err(MetricsError::InvalidPrice(_))));
        assert!(matches!(project(&[1.0], 1.0, 0, price, 200), Err(MetricsError::InvalidPrice(_))));
        assert!(matches!(tier_economics(&HardwareTable::defaults(), &[None; 3], price, 0.12, None), Err(MetricsError::InvalidPrice(_))));
    }
    assert_eq!(economics(&p, -2.0), Err(MetricsError::InvalidPrice(-2.0)));
}

#[test]
fn invalid_electricity_price() {
    for kwh in [-0.01, f64::NAN] {
        assert!(matches!(
            tier_economics(&HardwareTable::defaults(), &[None; 3], 1.0, kwh, None),
            Err(MetricsError::InvalidElectricityPrice(_))
        ));
    }
}

#[test]
fn invalid_cell() {
    let node = |cell: u64, active: bool| NodeFacts { operator: "op".into(), tier: Tier::Consumer, cell, gpus: 1, active };
    for bad in [0, 0xdead_beef, u64::MAX] {
        assert_eq!(spacing_coefficient(&[node(bad, true)], Resolution::Seven, None), Err(MetricsError::InvalidCell(bad)));
    }
    // A valid res-7 cell (0x872830828ffffff) with a bad one of another tier: only counted nodes are checked.
    let nodes = [node(0x0872_8308_28ff_ffff, true), NodeFacts { tier: Tier::Enterprise, ..node(7, true) }];
    assert_eq!(spacing_coefficient(&nodes, Resolution::Seven, Some(Tier::Consumer)), Ok(Some(1.0)));
    assert_eq!(spacing_coefficient(&nodes, Resolution::Seven, None), Err(MetricsError::InvalidCell(7)));
    // An inactive node's cell is not looked at.
    assert_eq!(spacing_coefficient(&[node(0, false)], Resolution::Seven, None), Ok(None));
}

const GOOD: &str = "[[models]]\nmodel = \"H100\"\ntier = \"enterprise\"\nhardware_usd = 25000\nshipping_usd = 250\npower_watts = 700\n";

#[test]
fn malformed_hardware_toml() {
    assert!(HardwareTable::from_toml(GOOD).is_ok());
    // Not TOML at all.
    assert!(matches!(HardwareTable::from_toml("[[models]\nmodel ="), Err(MetricsError::MalformedHardware(_))));
    // A missing field.
    let missing = GOOD.replace("power_watts = 700\n", "");
    assert!(matches!(HardwareTable::from_toml(&missing), Err(MetricsError::MalformedHardware(_))));
    // An unknown field (a typo must not be ignored).
    let typo = GOOD.replace("power_watts", "power_wats");
    assert!(matches!(HardwareTable::from_toml(&typo), Err(MetricsError::MalformedHardware(_))));
    // A figure that is a string.
    let text = GOOD.replace("25000", "\"25000\"");
    assert!(matches!(HardwareTable::from_toml(&text), Err(MetricsError::MalformedHardware(_))));
}

#[test]
fn invalid_hardware_figures() {
    let cases =
        [("hardware_usd", "25000", "-1"), ("shipping_usd", "250", "nan"), ("power_watts", "700", "inf"), ("power_watts", "700", "-inf")];
    for (field, from, to) in cases {
        let text = GOOD.replace(&format!("{field} = {from}\n"), &format!("{field} = {to}\n"));
        match HardwareTable::from_toml(&text) {
            Err(MetricsError::InvalidHardware { model, reason }) => {
                assert_eq!(model, "H100");
                assert!(reason.starts_with(field), "{reason}");
            }
            other => panic!("{to}: {other:?}"),
        }
    }
    // Deserialising from JSON runs the same checks.
    let json = r#"{"models":[{"model":"H100","tier":"enterprise","hardware_usd":-5.0,"shipping_usd":0.0,"power_watts":1.0}]}"#;
    let err = serde_json::from_str::<HardwareTable>(json).unwrap_err().to_string();
    assert!(err.contains("invalid hardware figure for H100"), "{err}");
}

#[test]
fn duplicate_models_and_unknown_tiers() {
    let twice = format!("{GOOD}\n{GOOD}");
    assert_eq!(HardwareTable::from_toml(&twice), Err(MetricsError::DuplicateModel("H100".into())));
    let bad_tier = GOOD.replace("\"enterprise\"", "\"datacentre\"");
    assert!(matches!(HardwareTable::from_toml(&bad_tier), Err(MetricsError::MalformedHardware(m)) if m.contains("datacentre")));
}

/// Active GPUs of a model the table does not price (one the DAO added later) are left out
/// of the averages and named, rather than failing the whole report.
#[test]
fn an_unpriced_active_model_is_named_not_fatal() {
    let table = HardwareTable::from_toml(GOOD).unwrap();
    let counts = BTreeMap::from([("RTX 5090".to_owned(), (Tier::MidMarket, 3)), ("H100".to_owned(), (Tier::Enterprise, 2))]);
    let [ent, mid, _] = tier_economics(&table, &[None; 3], 1.0, 0.12, Some(&counts)).unwrap();
    assert_eq!(mid.unpriced_models, ["RTX 5090"]);
    assert_eq!(mid.avg_cost_usd, None, "the table prices no mid-market model");
    assert!(ent.unpriced_models.is_empty());
    assert_eq!(ent.avg_cost_usd, Some(25_250.0));
}

#[test]
fn fee_of_100_percent_or_more() {
    for fee in [10_000, 10_001, u16::MAX] {
        assert_eq!(break_even_demand_usd(1.0, 1.0, fee), None);
        assert_eq!(project(&[1.0], 1.0, 0, 1.0, fee), Err(MetricsError::InvalidFee(fee)));
        assert_eq!(trailing(&[PeriodFlows::default()], &CAL, 1.0, fee, None), Err(MetricsError::InvalidFee(fee)));
    }
    // 9,999 bps is still a fee: 1 / 0.0001 = 10,000.
    assert!((break_even_demand_usd(1.0, 1.0, 9_999).unwrap() - 10_000.0).abs() < 1e-6);
}

#[test]
fn projection_inputs() {
    assert_eq!(project(&[1.0], 1.0, -10_000, 1.0, 200), Err(MetricsError::InvalidGrowth(-10_000)));
    assert!(project(&[1.0], 1.0, -9_999, 1.0, 200).is_ok());
    assert!(matches!(project(&[1.0], -1.0, 0, 1.0, 200), Err(MetricsError::InvalidAmount { .. })));
    assert!(matches!(project(&[f64::NAN], 1.0, 0, 1.0, 200), Err(MetricsError::InvalidAmount { .. })));
}

#[test]
fn invalid_calendar() {
    let zero = Calendar { origin_ts: 0, period_secs: 0 };
    assert_eq!(periods(&[], &zero, Some(0)), Err(MetricsError::InvalidCalendar));
    assert_eq!(trailing(&[], &zero, 1.0, 200, None), Err(MetricsError::InvalidCalendar));
}
