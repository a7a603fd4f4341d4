//! `io metrics project` as its own process: the brief's own figures from its inputs, on
//! the reference schedule (no cluster needed).

fn io(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_io")).args(args).output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The brief: "the reference network needs about $22.5M ARR at its current emission
/// baseline", and $14.2M of demand is a D/E ratio of about 0.64, above the 0.60 line
/// (self-sustaining). By hand: year 1 emits 22,050,000 IO ($22.05M
/// at $1.00); 14.2 / 22.05 = 0.644; the buyback burns 98% of $14.2M at $1 = 13,916,000 IO,
/// less than year 1's emission but more than year 2's 11,025,000: net-deflationary from
/// year 2, where D/E is 14.2 / 11.025 = 1.288. Break-even: 22.05M / 0.98 = $22.5M.
#[test]
fn the_brief_s_figures_come_out_of_the_reference_schedule() {
    let (ok, out, err) = io(&["metrics", "project", "--arr", "14200000", "--price", "1", "--years", "3"]);
    assert!(ok, "{out}\n{err}");
    let year = |n: &str| {
        out.lines().find(|l| l.split_whitespace().next() == Some(n)).unwrap_or_else(|| panic!("no year {n} in\n{out}")).to_string()
    };
    let one: Vec<String> = year("1").split_whitespace().map(String::from).collect();
    assert_eq!(one, ["1", "22,050,000", "$14,200,000", "13,916,000", "8,134,000", "0.644"], "{out}");
    let two: Vec<String> = year("2").split_whitespace().map(String::from).collect();
    assert_eq!(two, ["2", "11,025,000", "$14,200,000", "13,916,000", "-2,891,000", "1.288"], "{out}");
    assert!(out.contains("break-even demand in year 1: $22,500,000 a year"), "{out}");
    assert!(out.contains("net-deflationary from year 2"), "{out}");
    assert!(out.contains("2% fee, under the genesis schedule"), "{out}");

    // At the break-even demand year 1 burns exactly its emission: not yet deflationary
    // (burn must exceed emission), and D/E = 22.5 / 22.05 = 1.020.
    let (ok, out, _) = io(&["metrics", "project", "--arr", "22500000", "--price", "1", "--years", "1", "--output", "json"]);
    assert!(ok, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &json["years"][0];
    assert!((first["burn_io"].as_f64().unwrap() - 22_050_000.0).abs() < 1e-6, "{first}");
    assert!((first["de_ratio"].as_f64().unwrap() - 22.5 / 22.05).abs() < 1e-12, "{first}");
    assert_eq!(first["net_deflationary"], false);

    // A bad price is refused by name.
    let (ok, _, err) = io(&["metrics", "project", "--arr", "1000", "--price", "0"]);
    assert!(!ok && err.contains("price"), "{err}");
}
