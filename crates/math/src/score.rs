//! The node score written into every attested registry leaf.
//!
//! A score is a number of basis points (0 ..= 10_000) that schedulers and the staking
//! program can compare across tiers. It blends three measured facts, each mapped to bps:
//!
//! * performance: measured TFLOPS over the catalogue's expected TFLOPS, capped at 100%
//!   (a card that beats its datasheet earns nothing extra; one that falls short loses in
//!   proportion);
//! * latency: full marks up to [`RTT_FULL_MARKS_US`], nothing from [`RTT_ZERO_MARKS_US`]
//!   on, linear in between;
//! * reliability: packet loss costs [`LOSS_PENALTY_PER_BPS`] bps of reliability per bps
//!   lost, so 5% loss zeroes it.
//!
//! Weights: performance 70%, latency 20%, reliability 10%.

/// 100% expressed in basis points.
pub const BPS_SCALE: u64 = 10_000;
/// Round-trip times at or below this earn the full latency share.
pub const RTT_FULL_MARKS_US: u64 = 50_000;
/// Round-trip times at or above this earn no latency share.
pub const RTT_ZERO_MARKS_US: u64 = 550_000;
/// Reliability bps lost per bps of packet loss.
pub const LOSS_PENALTY_PER_BPS: u64 = 20;

const WEIGHT_PERFORMANCE: u64 = 7;
const WEIGHT_LATENCY: u64 = 2;
const WEIGHT_RELIABILITY: u64 = 1;
const WEIGHT_TOTAL: u64 = WEIGHT_PERFORMANCE + WEIGHT_LATENCY + WEIGHT_RELIABILITY;

/// Measured TFLOPS as a share of the expected figure, in bps, capped at 100%.
/// An expected figure of zero gives zero (a catalogue entry without a figure proves nothing).
pub fn performance_bps(measured_centi_tflops: u32, expected_centi_tflops: u32) -> u64 {
    if expected_centi_tflops == 0 {
        return 0;
    }
    // u32 * 10_000 fits in u64 with room to spare, and the divisor is not zero.
    let ratio = crate::mul_div(u64::from(measured_centi_tflops), BPS_SCALE, u64::from(expected_centi_tflops)).unwrap_or(0);
    ratio.min(BPS_SCALE)
}

/// Latency share in bps, linear between the full-marks and zero-marks round-trip times.
pub fn latency_bps(rtt_us: u32) -> u64 {
    let rtt = u64::from(rtt_us);
    if rtt <= RTT_FULL_MARKS_US {
        BPS_SCALE
    } else if rtt >= RTT_ZERO_MARKS_US {
        0
    } else {
        const SPAN: u64 = RTT_ZERO_MARKS_US - RTT_FULL_MARKS_US;
        // rtt is strictly between the marks here.
        crate::mul_div(RTT_ZERO_MARKS_US.saturating_sub(rtt), BPS_SCALE, SPAN).unwrap_or(0)
    }
}

/// Reliability share in bps from packet loss in bps.
pub fn reliability_bps(packet_loss_bps: u16) -> u64 {
    BPS_SCALE.saturating_sub(u64::from(packet_loss_bps).saturating_mul(LOSS_PENALTY_PER_BPS))
}

/// The blended node score in bps (0 ..= 10_000).
pub fn node_score(measured_centi_tflops: u32, expected_centi_tflops: u32, rtt_us: u32, packet_loss_bps: u16) -> u16 {
    // Each share is <= 10,000 and the weights are small constants: nothing saturates, and
    // the quotient is <= 10,000, so it fits a u16.
    let weighted = WEIGHT_PERFORMANCE
        .saturating_mul(performance_bps(measured_centi_tflops, expected_centi_tflops))
        .saturating_add(WEIGHT_LATENCY.saturating_mul(latency_bps(rtt_us)))
        .saturating_add(WEIGHT_RELIABILITY.saturating_mul(reliability_bps(packet_loss_bps)));
    weighted.checked_div(WEIGHT_TOTAL).unwrap_or(0) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_node_at_spec_on_a_good_link_scores_full_marks() {
        assert_eq!(node_score(6_700, 6_700, 12_000, 0), 10_000);
    }

    #[test]
    fn half_the_expected_speed_costs_thirty_five_percent() {
        // 70% weight * 50% performance lost = 35 points.
        assert_eq!(node_score(3_350, 6_700, 12_000, 0), 6_500);
    }

    #[test]
    fn latency_and_loss_are_scored_at_their_edges() {
        assert_eq!(latency_bps(50_000), 10_000);
        assert_eq!(latency_bps(300_000), 5_000);
        assert_eq!(latency_bps(550_000), 0);
        assert_eq!(reliability_bps(250), 5_000);
        assert_eq!(reliability_bps(500), 0);
        assert_eq!(reliability_bps(u16::MAX), 0);
    }

    #[test]
    fn an_unknown_expected_figure_scores_no_performance() {
        assert_eq!(performance_bps(10_000, 0), 0);
        assert_eq!(node_score(10_000, 0, 0, 0), 3_000);
    }

    proptest! {
        #[test]
        fn score_is_bounded(m in any::<u32>(), e in any::<u32>(), rtt in any::<u32>(), loss in any::<u16>()) {
            prop_assert!(node_score(m, e, rtt, loss) <= 10_000);
        }

        #[test]
        fn more_speed_never_lowers_the_score(m in 0u32..u32::MAX, e in any::<u32>(), rtt in any::<u32>(), loss in any::<u16>()) {
            prop_assert!(node_score(m + 1, e, rtt, loss) >= node_score(m, e, rtt, loss));
        }

        #[test]
        fn more_latency_or_loss_never_raises_the_score(m in any::<u32>(), e in any::<u32>(), rtt in 0u32..u32::MAX, loss in 0u16..u16::MAX) {
            let base = node_score(m, e, rtt, loss);
            prop_assert!(node_score(m, e, rtt + 1, loss) <= base);
            prop_assert!(node_score(m, e, rtt, loss + 1) <= base);
        }
    }
}
