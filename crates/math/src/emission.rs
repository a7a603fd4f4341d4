//! The halving emission schedule, in integer base units.
//!
//! Each year emits a fixed share of what is left of the emission reserve (50% by default,
//! which halves the yearly emission every year). When that share would be less than one
//! base unit per epoch, the year emits everything left instead, so the schedule ends after
//! finitely many years with the whole reserve emitted, to the last base unit. Within a year,
//! epoch `k` of `n` gets `floor(total * (k + 1) / n) - floor(total * k / n)`: every epoch's
//! rounding is carried into the next, and the epochs of a year sum to its total exactly.
//!
//! The program keeps `remaining` in its state and calls [`year_emission`] once per year
//! boundary and [`epoch_emission`] once per epoch: O(1) per crank, whatever the history.

use crate::score::BPS_SCALE;

/// Parameters of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmissionSchedule {
    /// Share of the remaining reserve emitted each year, bps (5,000 halves every year).
    pub yearly_share_bps: u16,
    /// Epochs per year (8,760 one-hour epochs in the reference network).
    pub epochs_per_year: u32,
}

impl EmissionSchedule {
    pub const HALVING_HOURLY: EmissionSchedule = EmissionSchedule { yearly_share_bps: 5_000, epochs_per_year: 8_760 };

    /// Shares outside 1..=10,000 bps or a year without epochs cannot make a schedule.
    pub fn is_valid(&self) -> bool {
        (1..=BPS_SCALE).contains(&u64::from(self.yearly_share_bps)) && self.epochs_per_year > 0
    }
}

/// What the year starting with `remaining` left in the reserve emits.
pub fn year_emission(remaining: u64, schedule: &EmissionSchedule) -> u64 {
    // `share <= remaining` (the share is at most 10,000 bps), so it always exists.
    let share = crate::mul_div(remaining, u64::from(schedule.yearly_share_bps), BPS_SCALE).unwrap_or(remaining);
    if share < u64::from(schedule.epochs_per_year) {
        remaining
    } else {
        share
    }
}

/// Emission of epoch `index` (0-based) of a year that emits `year_total` over `epochs`.
/// Returns 0 for an index outside the year.
pub fn epoch_emission(year_total: u64, epochs: u32, index: u32) -> u64 {
    if epochs == 0 || index >= epochs {
        return 0;
    }
    // Each term is <= year_total (k <= epochs), and the terms grow with k.
    let upto = |k: u32| crate::mul_div(year_total, u64::from(k), u64::from(epochs)).unwrap_or(year_total);
    upto(index.saturating_add(1)).saturating_sub(upto(index))
}

/// Yearly totals from `reserve` until it is exhausted (at most `max_years` of them).
pub fn yearly_totals(reserve: u64, schedule: &EmissionSchedule, max_years: usize) -> impl Iterator<Item = u64> + '_ {
    let mut remaining = reserve;
    core::iter::from_fn(move || {
        if remaining == 0 {
            return None;
        }
        let year = year_emission(remaining, schedule);
        remaining = remaining.saturating_sub(year);
        Some(year)
    })
    .take(max_years)
}

/// Where the schedule stands: the year in progress and what is left to schedule. The
/// program stores one and advances it by the epochs that ended since the last crank.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScheduleCursor {
    /// Years started so far (the year in progress is `year - 1`); 0 before the first epoch.
    pub year: u32,
    /// Epochs of the year in progress already accounted.
    pub epoch_in_year: u32,
    /// What the year in progress emits in total.
    pub year_total: u64,
    /// Reserve not yet assigned to any year.
    pub unscheduled: u64,
}

impl ScheduleCursor {
    /// A schedule that has not started, over `reserve` base units.
    pub fn new(reserve: u64) -> Self {
        ScheduleCursor { year: 0, epoch_in_year: 0, year_total: 0, unscheduled: reserve }
    }

    /// True once every base unit of the reserve has been accounted.
    pub fn is_finished(&self, epochs_per_year: u32) -> bool {
        self.unscheduled == 0 && (self.year == 0 || self.epoch_in_year >= epochs_per_year)
    }

    /// Accounts the next `epochs` epochs and returns what they emit together. A year that
    /// starts reads `schedule` as it is then, so a new decay applies from the next year on.
    /// The cost is O(years crossed), not O(epochs): within a year the epoch amounts
    /// telescope to `floor(T * b / n) - floor(T * a / n)`.
    pub fn advance(&mut self, mut epochs: u64, schedule: &EmissionSchedule) -> u64 {
        let n = schedule.epochs_per_year;
        let mut total: u64 = 0;
        while epochs > 0 {
            if self.year == 0 || self.epoch_in_year >= n {
                if self.unscheduled == 0 {
                    // Finished: epochs past the end emit nothing.
                    self.epoch_in_year = self.epoch_in_year.min(n);
                    break;
                }
                // A year emits at most what is unscheduled, so nothing here can underflow
                // (and the year count is bounded by the reserve's halvings).
                self.year_total = year_emission(self.unscheduled, schedule);
                self.unscheduled = self.unscheduled.saturating_sub(self.year_total);
                self.year = self.year.saturating_add(1);
                self.epoch_in_year = 0;
            }
            // `take` <= the epochs left in the year, so it fits a u32 and `to` <= n.
            let take = epochs.min(u64::from(n.saturating_sub(self.epoch_in_year))) as u32;
            let from = self.epoch_in_year;
            let to = from.saturating_add(take);
            let upto = |k: u32| crate::mul_div(self.year_total, u64::from(k), u64::from(n)).unwrap_or(self.year_total);
            // The parts of a year sum to its total, and years sum to the reserve: no overflow.
            total = total.saturating_add(upto(to).saturating_sub(upto(from)));
            self.epoch_in_year = to;
            epochs = epochs.saturating_sub(u64::from(take));
        }
        total
    }
}

/// What one crank accounts: see [`ScheduleCursor::account_crank`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrankAccount {
    /// What the accounted epochs emitted.
    pub emitted: u64,
    /// What went back to the reserve: the idle epochs' emission, and with no earning
    /// weight at all the earlier backlog too.
    pub returned: u64,
    /// What is owed to the earning weight now (the backlog and the earned epochs), to be
    /// minted as far as the breaker allows.
    pub owed: u64,
}

impl ScheduleCursor {
    /// Accounts a crank of `epochs` epochs whose first `idle_epochs` began before any
    /// weight earned, with `held_back` still owed from earlier cranks. The idle epochs'
    /// emission returns to the reserve before the rest is accounted, so a year that starts
    /// within the same crank already emits its share of it. With `earning` false nobody
    /// can receive anything: every epoch is idle and the backlog returns too. `None` only
    /// if the sums overflow, which a cursor that started from a u64 reserve cannot reach.
    pub fn account_crank(
        &mut self,
        epochs: u64,
        idle_epochs: u64,
        held_back: u64,
        earning: bool,
        schedule: &EmissionSchedule,
    ) -> Option<CrankAccount> {
        let idle_epochs = if earning { idle_epochs.min(epochs) } else { epochs };
        let idle = self.advance(idle_epochs, schedule);
        let backlog_returned = if earning { 0 } else { held_back };
        let returned = idle.checked_add(backlog_returned)?;
        self.unscheduled = self.unscheduled.checked_add(returned)?;
        let earned = self.advance(epochs.checked_sub(idle_epochs)?, schedule);
        let owed = if earning { held_back.checked_add(earned)? } else { 0 };
        Some(CrankAccount { emitted: idle.checked_add(earned)?, returned, owed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 800M cap minus a 100M genesis allocation, 6 decimals.
    const RESERVE: u64 = 700_000_000 * 1_000_000;

    #[test]
    fn the_reference_schedule_halves_yearly_and_emits_the_reserve_exactly() {
        let years: Vec<u64> = yearly_totals(RESERVE, &EmissionSchedule::HALVING_HOURLY, 1_000).collect();
        assert_eq!(years[0], RESERVE / 2);
        for pair in years.windows(2).take(years.len() - 2) {
            let (this, next) = (i128::from(pair[0]), i128::from(pair[1]));
            assert!((2 * next - this).abs() <= 2, "{this} -> {next} is not a halving");
        }
        assert_eq!(years.iter().sum::<u64>(), RESERVE);
        assert!(years.len() < 60, "{} years", years.len());
        // Hourly amounts of the first year: 350M IO over 8,760 hours, rounding carried.
        let hourly: Vec<u64> = (0..8_760).map(|k| epoch_emission(years[0], 8_760, k)).collect();
        assert_eq!(hourly.iter().sum::<u64>(), years[0]);
        assert!(hourly.iter().all(|h| h.abs_diff(years[0] / 8_760) <= 1));
    }

    #[test]
    fn invalid_schedules_are_recognised() {
        assert!(!EmissionSchedule { yearly_share_bps: 0, epochs_per_year: 10 }.is_valid());
        assert!(!EmissionSchedule { yearly_share_bps: 10_001, epochs_per_year: 10 }.is_valid());
        assert!(!EmissionSchedule { yearly_share_bps: 5_000, epochs_per_year: 0 }.is_valid());
        assert_eq!(epoch_emission(100, 0, 0), 0);
        assert_eq!(epoch_emission(100, 10, 10), 0);
    }

    #[test]
    fn the_slowest_schedule_still_ends_with_the_whole_reserve() {
        // 0.01% a year, one epoch a year, the largest reserve: about 357,000 years.
        let s = EmissionSchedule { yearly_share_bps: 1, epochs_per_year: 1 };
        let mut remaining = u64::MAX;
        let mut years = 0u32;
        while remaining > 0 {
            remaining -= year_emission(remaining, &s);
            years += 1;
        }
        assert!((300_000..400_000).contains(&years), "{years} years");
        // A share of everything: one year.
        assert_eq!(yearly_totals(RESERVE, &EmissionSchedule { yearly_share_bps: 10_000, epochs_per_year: 8_760 }, 10).count(), 1);
    }

    #[test]
    fn the_cursor_halves_the_epoch_amount_at_each_year_boundary() {
        let s = EmissionSchedule { yearly_share_bps: 5_000, epochs_per_year: 24 };
        let mut c = ScheduleCursor::new(RESERVE);
        let first = c.advance(1, &s);
        assert_eq!(first, RESERVE / 2 / 24);
        let rest_of_year = c.advance(23, &s);
        assert_eq!(first + rest_of_year, RESERVE / 2);
        let second_year_first = c.advance(1, &s);
        assert_eq!(c.year, 2);
        assert!(second_year_first.abs_diff(first / 2) <= 1, "{first} -> {second_year_first}");
    }

    #[test]
    fn a_crank_returns_the_idle_epochs_before_a_new_year_takes_its_share() {
        // 1,000,000 units, half a year, 4 epochs a year: year 1 emits 500,000.
        let s = EmissionSchedule { yearly_share_bps: 5_000, epochs_per_year: 4 };
        let mut c = ScheduleCursor::new(1_000_000);
        // Five epochs, the four of year 1 idle: their 500,000 go back before year 2 starts,
        // so year 2 is half of 1,000,000 again and its first epoch a quarter of that.
        let a = c.account_crank(5, 4, 7, true, &s).unwrap();
        assert_eq!(a, CrankAccount { emitted: 625_000, returned: 500_000, owed: 7 + 125_000 });
        assert_eq!((c.year, c.year_total, c.unscheduled), (2, 500_000, 500_000));
        // With weight earning from the start, nothing returns.
        let mut c = ScheduleCursor::new(1_000_000);
        assert_eq!(c.account_crank(2, 0, 0, true, &s).unwrap(), CrankAccount { emitted: 250_000, returned: 0, owed: 250_000 });
        // With no earning weight, every epoch is idle (whatever the caller says) and the
        // backlog returns too: 2 epochs of 125,000 and 9 held back.
        let mut c = ScheduleCursor::new(1_000_000);
        assert_eq!(c.account_crank(2, 0, 9, false, &s).unwrap(), CrankAccount { emitted: 250_000, returned: 250_009, owed: 0 });
        assert_eq!(c.unscheduled, 500_000 + 250_009);
    }

    #[test]
    fn a_finished_cursor_emits_nothing_more() {
        let s = EmissionSchedule { yearly_share_bps: 10_000, epochs_per_year: 4 };
        let mut c = ScheduleCursor::new(1_000);
        assert!(!c.is_finished(4));
        assert_eq!(c.advance(10, &s), 1_000);
        assert!(c.is_finished(4));
        assert_eq!(c.advance(5, &s), 0);
        assert!(ScheduleCursor::new(0).is_finished(4));
    }

    fn schedule() -> impl Strategy<Value = EmissionSchedule> {
        (1u16..=10_000, 1u32..=100_000)
            .prop_map(|(yearly_share_bps, epochs_per_year)| EmissionSchedule { yearly_share_bps, epochs_per_year })
    }

    proptest! {
        #[test]
        fn every_schedule_emits_exactly_the_reserve(reserve in any::<u64>(), s in schedule()) {
            // Even a 0.01% share ends: each year takes at least one unit per epoch.
            let mut remaining = reserve;
            let mut emitted: u128 = 0;
            let mut years = 0u64;
            while remaining > 0 {
                let year = year_emission(remaining, &s);
                prop_assert!(year >= 1 && year <= remaining);
                remaining -= year;
                emitted += u128::from(year);
                prop_assert!(emitted <= u128::from(reserve));
                years += 1;
                if years > 2_000_000 { break; }
            }
            prop_assert_eq!(remaining, 0, "{} years were not enough", years);
            prop_assert_eq!(emitted, u128::from(reserve));
        }

        #[test]
        fn the_epochs_of_a_year_sum_to_the_year(total in any::<u64>(), epochs in 1u32..20_000) {
            let sum: u128 = (0..epochs).map(|k| u128::from(epoch_emission(total, epochs, k))).sum();
            prop_assert_eq!(sum, u128::from(total));
        }

        #[test]
        fn hundreds_of_halving_years_never_exceed_the_reserve(reserve in 0u64..=RESERVE * 20, share in 4_000u16..=6_000) {
            let s = EmissionSchedule { yearly_share_bps: share, epochs_per_year: 8_760 };
            let years: Vec<u64> = yearly_totals(reserve, &s, 500).collect();
            prop_assert!(years.len() < 500);
            prop_assert_eq!(years.iter().map(|y| u128::from(*y)).sum::<u128>(), u128::from(reserve));
            // Every year but the last (the tail) emits less than the one before.
            for pair in years.windows(2).take(years.len().saturating_sub(2)) {
                prop_assert!(pair[1] <= pair[0]);
            }
        }
        #[test]
        fn chunked_cranks_emit_what_single_epochs_emit(reserve in any::<u64>(), s in schedule(), chunks in proptest::collection::vec(1u64..5_000, 1..40)) {
            let mut chunked = ScheduleCursor::new(reserve);
            let mut single = ScheduleCursor::new(reserve);
            for chunk in chunks {
                let got = chunked.advance(chunk, &s);
                let mut want: u128 = 0;
                for _ in 0..chunk { want += u128::from(single.advance(1, &s)); }
                prop_assert_eq!(u128::from(got), want);
                prop_assert_eq!(chunked, single);
            }
        }

        #[test]
        fn cranking_to_the_end_emits_the_reserve_exactly(reserve in any::<u64>(), share in 2_000u16..=10_000, epochs in 1u32..2_000, chunk in 1u64..100_000, changes in proptest::collection::vec(1u16..=10_000, 0..4)) {
            // Hundreds of years, with the decay changed by governance along the way.
            let mut s = EmissionSchedule { yearly_share_bps: share, epochs_per_year: epochs };
            let mut c = ScheduleCursor::new(reserve);
            let mut emitted: u128 = 0;
            let mut cranks = 0u32;
            while !c.is_finished(epochs) {
                if cranks.is_multiple_of(50) {
                    if let Some(bps) = changes.get((cranks / 50) as usize) {
                        s.yearly_share_bps = (*bps).max(2_000);
                    }
                }
                emitted += u128::from(c.advance(chunk, &s));
                prop_assert!(emitted <= u128::from(reserve));
                cranks += 1;
                prop_assert!(cranks < 10_000_000);
            }
            prop_assert_eq!(emitted, u128::from(reserve));
            prop_assert_eq!(c.advance(chunk, &s), 0);
        }
    }
}
