//! The demo's emissions year, small: the halving, rewards per tier and the checked invariants.

#[test]
fn the_demo_crosses_the_first_halving_and_checks_the_reward_invariants() {
    let report = io_cli::demo::run(io_cli::demo::DemoOptions {
        nodes: 30,
        operators: 3,
        genesis: io_migrations::Genesis::reference(),
        record_ledger: None,
        metrics_out: None,
    })
    .unwrap();
    for expected in [
        // Year 1 emits half the 44.1M reserve: 22,050,000 IO, floor(22.05M IO / 8,760) =
        // 2,517.123287 IO per epoch. Its first two epochs began before the operators
        // bonded: floor(22.05M IO * 2 / 8,760) = 5,034.246575 IO returns to the reserve, so
        // year 2 emits half of 22,055,034.246575 IO (floor: 11,027,517.123287 IO,
        // 1,258.848986 IO per epoch), not an exact halving: 50.01%.
        "halving: year 1 emits 22,050,000 IO (2,517.123287 IO per epoch), year 2 11,027,517.123287 IO (1,258.848986 IO per epoch): 50.01%",
        // 24 epochs: 22.05M * 24 / 8,760 = 60,410.958904.. (60,410.958904 or .958905 by
        // where the floors fall); year 2: 11,027,517.123287 * 24 / 8,760 = 30,212.375680..
        "a day's crank (24 epochs) minted 60,410.95890",
        "IO in year 1 and 30,212.37568",
        "returned          5,034.246575 IO to the reserve",
        "schedule year     2",
        "held back         0 IO (the breaker's backlog)\n",
        "of 800,000,000 IO cap",
        "invariants        claimed <= distributed",
        ": ok",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in\n{report}");
    }
    // One operator per tier; each earns the same per unit of weight.
    let rows: Vec<&str> = report
        .lines()
        .filter(|l| ["enterprise ", "mid-market ", "consumer "].iter().any(|t| l.starts_with(t)) && l.ends_with('x'))
        .collect();
    assert_eq!(rows.len(), 3, "{report}");
    let per_weight: Vec<&str> = rows.iter().map(|l| l.split_whitespace().rev().nth(1).unwrap()).collect();
    assert!(per_weight.windows(2).all(|w| w[0] == w[1]), "{per_weight:?}");
}
