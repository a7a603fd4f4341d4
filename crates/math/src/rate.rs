//! A rolling cap: at most `limit` in any interval of `window` seconds, wherever the
//! interval starts. Fixed windows that reset at their edge let twice the limit through
//! within two seconds (the limit just before an edge, the limit again just after); this
//! keeps what was recorded in a ring of `RATE_SLOTS` slots of `ceil(window / (RATE_SLOTS -
//! 1))` seconds each and refuses what would take the ring's sum over the limit.
//!
//! Why that is enough: a half-open interval of `window` seconds overlaps at most
//! `window / slot + 1 <= RATE_SLOTS` consecutive slots, and when the last amount of such an
//! interval was recorded the ring held every slot from `RATE_SLOTS - 1` before it, so
//! everything recorded in the interval was counted by that check. The price of the bound is
//! that an amount stays counted up to one slot (1/24 of the window) longer than a window.
//! Storage is fixed (26 words), and a check costs one pass over the ring.

/// Slots in the ring: the window spans `RATE_SLOTS - 1` of them.
pub const RATE_SLOTS: usize = 25;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RollingCap {
    /// Length of a slot when the ring was last written (0: never written).
    pub slot_secs: u32,
    /// Number of the newest slot in the ring (time / slot_secs).
    pub newest_slot: u64,
    /// Amount recorded per slot; slot `s` lives at `s % RATE_SLOTS`.
    pub amounts: [u64; RATE_SLOTS],
}

/// Slot length for a window: at least one second.
pub fn slot_secs(window_secs: u32) -> u32 {
    // The newest slot is partly elapsed, so a window spans the other 24 whole slots.
    const WHOLE_SLOTS: u32 = RATE_SLOTS as u32 - 1;
    window_secs.div_ceil(WHOLE_SLOTS).max(1)
}

impl RollingCap {
    /// Moves the ring to the slot of `now`: slots that left the window are emptied. A new
    /// window length re-bases the ring conservatively: everything still counted moves into
    /// the newest slot, so it leaves no sooner than a full window of the new length.
    pub fn roll(&mut self, now: i64, window_secs: u32) {
        let length = slot_secs(window_secs);
        // `length` >= 1, so the division always exists.
        let slot = (now.max(0) as u64).checked_div(u64::from(length)).unwrap_or(0);
        if self.slot_secs != length {
            let used = self.used();
            *self = Self { slot_secs: length, newest_slot: slot, amounts: [0; RATE_SLOTS] };
            self.amounts[crate::ring_slot(slot, RATE_SLOTS)] = used;
            return;
        }
        if slot <= self.newest_slot {
            // The cluster's clock does not go back; an equal slot keeps the ring.
            return;
        }
        let gone = slot.saturating_sub(self.newest_slot).min(RATE_SLOTS as u64);
        for step in 1..=gone {
            self.amounts[crate::ring_slot(self.newest_slot.wrapping_add(step), RATE_SLOTS)] = 0;
        }
        self.newest_slot = slot;
    }

    /// Everything the ring still counts.
    pub fn used(&self) -> u64 {
        self.amounts.iter().fold(0u64, |sum, a| sum.saturating_add(*a))
    }

    /// What may still be recorded at `now` under `limit` per `window_secs`.
    pub fn room(&mut self, now: i64, window_secs: u32, limit: u64) -> u64 {
        self.roll(now, window_secs);
        limit.saturating_sub(self.used())
    }

    /// What the ring would count at `now`, without changing it (for status displays).
    pub fn used_at(&self, now: i64, window_secs: u32) -> u64 {
        let mut copy = *self;
        copy.roll(now, window_secs);
        copy.used()
    }

    /// Records `amount` in the newest slot (after [`Self::room`] at the same `now`);
    /// `None` on overflow.
    pub fn record(&mut self, amount: u64) -> Option<()> {
        let slot = &mut self.amounts[crate::ring_slot(self.newest_slot, RATE_SLOTS)];
        *slot = slot.checked_add(amount)?;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u32 = 3600;

    #[test]
    fn the_edge_of_a_window_no_longer_doubles_the_limit() {
        let mut cap = RollingCap::default();
        let t = 10 * i64::from(HOUR);
        // The whole limit one second before where a fixed window would reset...
        assert_eq!(cap.room(t - 1, HOUR, 1_000), 1_000);
        cap.record(1_000).unwrap();
        // ...leaves nothing one second after it, nor just before a window has passed.
        assert_eq!(cap.room(t + 1, HOUR, 1_000), 0);
        assert_eq!(cap.room(t - 1 + i64::from(HOUR) - 1, HOUR, 1_000), 0);
        // Once a window and a slot (150 s) have passed, the whole limit is back.
        assert_eq!(cap.room(t - 1 + i64::from(HOUR) + 150, HOUR, 1_000), 1_000);
    }

    #[test]
    fn slots_cover_the_window() {
        assert_eq!(slot_secs(3600), 150);
        assert_eq!(slot_secs(24 * 3600), 3600);
        assert_eq!(slot_secs(1), 1);
        assert_eq!(slot_secs(25), 2);
    }

    #[test]
    fn a_new_window_length_keeps_what_is_counted() {
        let mut cap = RollingCap::default();
        assert_eq!(cap.room(100_000, HOUR, 500), 500);
        cap.record(400).unwrap();
        // The DAO shortens the window: the 400 still count, now for the new window.
        assert_eq!(cap.room(100_010, 60, 500), 100);
        assert_eq!(cap.room(100_010 + 59, 60, 500), 100);
        // 3-second slots: the lump leaves with its slot, 25 slots on.
        assert_eq!(cap.room(100_010 + 70, 60, 500), 100);
        assert_eq!(cap.room(100_010 + 75, 60, 500), 500);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Random requests over random gaps: what is recorded never passes the limit over
        /// any half-open interval of one window, and the cap is often what stops a request.
        #[test]
        fn no_window_long_interval_ever_passes_the_limit(
            window in 1u32..=7_200,
            limit in 1u64..=1_000,
            steps in proptest::collection::vec((0i64..=400, 1u64..=600), 1..200),
        ) {
            let mut cap = RollingCap::default();
            let mut now = 1_700_000_000i64;
            let mut recorded: Vec<(i64, u64)> = Vec::new();
            let (mut refused, mut granted) = (0u32, 0u32);
            for (gap, want) in steps {
                now += gap;
                let room = cap.room(now, window, limit);
                if want <= room {
                    cap.record(want).unwrap();
                    recorded.push((now, want));
                    granted += 1;
                } else {
                    refused += 1;
                }
                // Every interval [now - window + 1, now] (the ones ending at a record are
                // the worst) sums to at most the limit.
                let recent: u64 = recorded.iter().filter(|(t, _)| *t > now - i64::from(window)).map(|(_, a)| a).sum();
                prop_assert!(recent <= limit, "{recent} within {window} s, limit {limit}");
            }
            // Both paths ran in this case: report it through the counters.
            COUNTS.with(|c| { let mut c = c.borrow_mut(); c.0 += u64::from(granted > 0); c.1 += u64::from(refused > 0); c.2 += 1; });
        }
    }

    std::thread_local! {
        static COUNTS: core::cell::RefCell<(u64, u64, u64)> = const { core::cell::RefCell::new((0, 0, 0)) };
    }

    #[test]
    fn the_property_reaches_both_the_grant_and_the_refusal() {
        no_window_long_interval_ever_passes_the_limit();
        let (granted, refused, cases) = COUNTS.with(|c| *c.borrow());
        assert!(cases >= 256, "{cases} cases ran");
        // Most sequences both record and hit the cap: the check is exercised, not idle.
        assert!(granted * 10 >= cases * 9, "only {granted} of {cases} cases recorded anything");
        assert!(refused * 2 >= cases, "only {refused} of {cases} cases hit the cap");
    }
}
