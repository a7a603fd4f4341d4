//! Speed from the oracle's own clock, against the catalogue's expected TFLOPS.

use std::time::Duration;

/// Centi-TFLOPS (the registry's unit) of `flops` done in `elapsed`.
pub fn measured_centi_tflops(flops: f64, elapsed: Duration) -> u32 {
    let secs = elapsed.as_secs_f64().max(1e-9);
    (flops / secs / 1e10).round().min(f64::from(u32::MAX)) as u32
}

/// Measured against expected speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeedVerdict {
    pub measured_centi_tflops: u32,
    pub expected_centi_tflops: u32,
    /// The measured speed is at least `min_share_bps` of the expected one.
    pub plausible: bool,
}

/// A node is plausible if it reaches `min_share_bps` of its model's expected TFLOPS; a
/// worker claiming a GPU far faster than what it runs on measures far below it.
pub fn speed_verdict(flops: f64, elapsed: Duration, expected_centi_tflops: u32, min_share_bps: u16) -> SpeedVerdict {
    let measured = measured_centi_tflops(flops, elapsed);
    let plausible = u64::from(measured) * 10_000 >= u64::from(expected_centi_tflops) * u64::from(min_share_bps);
    SpeedVerdict { measured_centi_tflops: measured, expected_centi_tflops, plausible }
}

/// The challenge size for a GPU of `expected_centi_tflops` to work about `target` on it:
/// n = cbrt(target x speed / 2), a multiple of 256 within [256, `MAX_N`].
pub fn challenge_size(expected_centi_tflops: u32, target: Duration) -> u32 {
    let flops = f64::from(expected_centi_tflops) * 1e10 * target.as_secs_f64();
    let n = (flops / 2.0).cbrt();
    ((n / 256.0).round() as u32 * 256).clamp(256, crate::MAX_N)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_is_flops_over_the_oracles_clock() {
        // 2 x 2048^3 flops in 1.7 s: about 10.1 GFLOPS = 1 centi-TFLOPS.
        let flops = 2.0 * 2048f64.powi(3);
        assert_eq!(measured_centi_tflops(flops, Duration::from_millis(1_718)), 1);
        // An "H100" (66.90 TFLOPS) that takes 1.7 s for this is a fake.
        let fake = speed_verdict(flops, Duration::from_millis(1_718), 6_690, 5_000);
        assert!(!fake.plausible);
        let real = speed_verdict(flops, Duration::from_micros(400), 6_690, 5_000);
        assert!(real.plausible && real.measured_centi_tflops > 3_345, "{real:?}");
    }

    #[test]
    fn challenges_are_sized_for_the_claimed_gpu() {
        assert_eq!(challenge_size(6_690, Duration::from_millis(100)), 8_192);
        let small = challenge_size(260, Duration::from_millis(100));
        assert!(small < 8_192 && small.is_multiple_of(256), "{small}");
        assert_eq!(challenge_size(1, Duration::from_millis(1)), 256);
    }
}
