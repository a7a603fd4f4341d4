//! Property: laying flows out in periods loses and invents nothing. The sum over periods of each
//! field equals the sum over the flows, and the periods are contiguous.

use std::cell::Cell;

use io_metrics::{periods, Calendar, Flow, TimedFlow};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 256;

fn flow() -> impl Strategy<Value = Flow> {
    // Amounts up to 10^12 base units (a million IO), at most 40 flows: sums stay far from u64::MAX.
    let amount = 0..=1_000_000_000_000u64;
    prop_oneof![
        (amount.clone(), amount.clone()).prop_map(|(emitted, minted)| Flow::Emitted { emitted, minted }),
        amount.clone().prop_map(Flow::Burned),
        (amount.clone(), amount).prop_map(|(iosd, io)| Flow::Demand { iosd, io }),
    ]
}

fn case() -> impl Strategy<Value = (Calendar, Vec<TimedFlow>, Option<i64>)> {
    (-1_000_000i64..1_000_000, 1u32..=10_000).prop_flat_map(|(origin_ts, period_secs)| {
        // Times from a little before the origin to ~20 periods after it.
        let span = i64::from(period_secs) * 20;
        let time = origin_ts - 1_000..origin_ts + span;
        let flows = proptest::collection::vec((time.clone(), flow()).prop_map(|(time, flow)| TimedFlow { time, flow }), 0..40);
        (Just(Calendar { origin_ts, period_secs }), flows, proptest::option::of(time))
    })
}

#[test]
fn periods_conserve_every_flow() {
    let multi_period = Cell::new(0u32);
    let mut runner = TestRunner::new(Config { cases: CASES, ..Config::default() });
    runner
        .run(&case(), |(calendar, flows, through)| {
            let ps = periods(&flows, &calendar, through).unwrap();
            // Sums over the flows, by hand.
            let (mut emitted, mut minted, mut burned, mut iosd, mut io) = (0u64, 0u64, 0u64, 0u64, 0u64);
            for f in &flows {
                match f.flow {
                    Flow::Emitted { emitted: e, minted: m } => {
                        emitted += e;
                        minted += m;
                    }
                    Flow::Burned(b) => burned += b,
                    Flow::Demand { iosd: s, io: i } => {
                        iosd += s;
                        io += i;
                    }
                }
            }
            prop_assert_eq!(ps.iter().map(|p| p.emitted).sum::<u64>(), emitted);
            prop_assert_eq!(ps.iter().map(|p| p.minted).sum::<u64>(), minted);
            prop_assert_eq!(ps.iter().map(|p| p.burned).sum::<u64>(), burned);
            prop_assert_eq!(ps.iter().map(|p| p.demand_iosd).sum::<u64>(), iosd);
            prop_assert_eq!(ps.iter().map(|p| p.demand_io).sum::<u64>(), io);
            // Contiguous, each starting where the calendar says.
            for pair in ps.windows(2) {
                prop_assert_eq!(pair[1].index, pair[0].index + 1);
            }
            for p in &ps {
                prop_assert_eq!(p.start_ts, calendar.start_of(p.index));
            }
            // The range covers every flow and `through`.
            if let (Some(first), Some(last)) = (ps.first(), ps.last()) {
                for f in &flows {
                    prop_assert!((first.index..=last.index).contains(&calendar.period_of(f.time)));
                }
                if let Some(t) = through {
                    prop_assert!(last.index >= calendar.period_of(t));
                }
            } else {
                prop_assert!(flows.is_empty() && through.is_none());
            }
            if ps.iter().filter(|p| !p.is_empty()).count() >= 2 {
                multi_period.set(multi_period.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    // Most cases spread their flows over several periods; if the generator stopped doing so the
    // property above would be checking single-period sums only.
    let n = multi_period.get();
    assert!(n >= CASES / 2, "only {n} of {CASES} cases had two or more non-empty periods");
}
