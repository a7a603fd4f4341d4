//! The demo's emissions year, small: the halving, rewards per tier and the checked invariants.

#[test]
fn the_demo_crosses_the_first_halving_and_checks_the_reward_invariants() {
    let report = io_cli::demo::run(io_cli::demo::DemoOptions {
        nodes: 30,
        operators: 3,
        genesis: io_migrations::Genesis::reference(),
        record_ledger: None,
    })
    .unwrap();
    for expected in [
        // Year 1 emits half the 700M reserve. Its first two epochs began before the
        // operators bonded: floor(350M IO * 2 / 8,760) = 79,908.675799 IO returns to the
        // reserve, so year 2 emits half of 350,079,908.675799 IO, not an exact halving.
        "halving: year 1 emits 350,000,000 IO (39,954.337899 IO per epoch), year 2 175,039,954.337899 IO (19,981.729947 IO per epoch): 50.01%",
        "a day's crank (24 epochs) minted 958,904.109589 IO in year 1 and 479,561.518733 IO in year 2",
        "returned          79,908.675799 IO to the reserve",
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
