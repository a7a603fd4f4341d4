//! Deciding a DAO vote: quorum over the stake at the proposal's opening, then the approval
//! share of the decisive (yes + no) votes. Abstentions count towards quorum only.

/// Why a proposal passed or did not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// Fewer than `quorum_bps` of the stake at opening voted (yes, no or abstain).
    NoQuorum,
    /// Quorum was met but yes was below `approval_bps` of yes + no (or nobody said yes).
    Rejected,
}

/// The votes cast on one proposal, each weighed by the voter's stake at opening.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Votes {
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
}

impl Votes {
    /// Everything cast; `None` on overflow (impossible while the stake fits a u64).
    pub fn turnout(&self) -> Option<u64> {
        self.yes.checked_add(self.no)?.checked_add(self.abstain)
    }
}

/// `quorum_bps` and `approval_bps` are basis points (10,000 = 100%); the stake at
/// opening is the snapshot the weights come from. Exact integer comparisons in u128.
pub fn proposal_outcome(votes: Votes, stake_at_open: u64, quorum_bps: u16, approval_bps: u16) -> Outcome {
    // Sums of three u64 and products of a u64 with 10,000 stay far below u128::MAX, so
    // the saturating forms never saturate.
    let bps = |value: u128, share: u16| value.saturating_mul(u128::from(share));
    let turnout = u128::from(votes.yes).saturating_add(u128::from(votes.no)).saturating_add(u128::from(votes.abstain));
    if bps(turnout, 10_000) < bps(u128::from(stake_at_open), quorum_bps) {
        return Outcome::NoQuorum;
    }
    let decisive = u128::from(votes.yes).saturating_add(u128::from(votes.no));
    if votes.yes == 0 || bps(u128::from(votes.yes), 10_000) < bps(decisive, approval_bps) {
        return Outcome::Rejected;
    }
    Outcome::Passed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quorum_and_approval_are_inclusive_bounds() {
        // 10% quorum of 1,000: 100 votes is enough, 99 is not.
        let v = |yes, no, abstain| Votes { yes, no, abstain };
        assert_eq!(proposal_outcome(v(60, 40, 0), 1_000, 1_000, 6_000), Outcome::Passed);
        assert_eq!(proposal_outcome(v(59, 40, 0), 1_000, 1_000, 6_000), Outcome::NoQuorum);
        assert_eq!(proposal_outcome(v(59, 41, 0), 1_000, 1_000, 6_000), Outcome::Rejected);
        // Abstentions make quorum but do not dilute approval.
        assert_eq!(proposal_outcome(v(6, 4, 90), 1_000, 1_000, 6_000), Outcome::Passed);
        assert_eq!(proposal_outcome(v(0, 0, 100), 1_000, 1_000, 6_000), Outcome::Rejected);
        assert_eq!(proposal_outcome(v(0, 0, 0), 0, 1_000, 6_000), Outcome::Rejected);
    }

    proptest! {
        #[test]
        fn passing_needs_quorum_and_a_strict_majority_share(
            yes in 0u64..=u64::MAX / 3, no in 0u64..=u64::MAX / 3, abstain in 0u64..=u64::MAX / 3,
            stake in any::<u64>(), quorum in 1u16..=10_000, approval in 5_001u16..=10_000,
        ) {
            let votes = Votes { yes, no, abstain };
            let outcome = proposal_outcome(votes, stake, quorum, approval);
            let turnout = votes.turnout().unwrap() as f64;
            if outcome == Outcome::Passed {
                prop_assert!(yes > no);
                prop_assert!(turnout * 10_000.0 >= stake as f64 * quorum as f64 * (1.0 - 1e-12));
            }
            // Adding yes votes never turns a pass into a failure.
            if outcome == Outcome::Passed && yes < u64::MAX / 3 {
                let more = Votes { yes: yes + 1, ..votes };
                prop_assert_eq!(proposal_outcome(more, stake, quorum, approval), Outcome::Passed);
            }
        }
    }
}
