//! The oracle's check of a worker's product, in O(n^2): Freivalds' test.
//!
//! For a secret random vector r, C = A x B implies C r = A (B r). The oracle computes B r
//! and A (B r) while regenerating A and B row by row from the seed, and C r from the
//! worker's result: three matrix-vector products instead of a matrix product. If C differs
//! from A x B, D = A x B - C is a non-zero integer matrix and D r = 0 holds for at most one
//! value of the coordinate of r facing a non-zero entry of D, so a round with coordinates
//! uniform in [0, 2^b) accepts a wrong C with probability at most 2^-b (Schwartz-Zippel).
//! Every quantity is an integer below 2^53, so f64 arithmetic is exact: b is chosen per n
//! so that 64 n^2 2^b <= 2^53, and rounds are repeated until their bits reach the
//! soundness the oracle asked for (a wrong C passes with probability <= 2^-k).
//!
//! Before that, every entry of C must be an integer within the product's range (|c| <=
//! 64 n): otherwise it is not an exact product of the challenge's matrices at all.

use crate::challenge::{Challenge, Operand, ENTRY_BOUND};
use rand::Rng;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum CheckFailure {
    #[error("the result has {got} entries, not n^2 = {expected}")]
    WrongSize { got: usize, expected: usize },
    #[error("entry ({row}, {col}) = {value} is not an integer within the product's range")]
    NotAnExactProduct { row: usize, col: usize, value: f32 },
    #[error("Freivalds' check failed at row {row}: the result is not A x B for this seed")]
    Mismatch { row: usize },
}

/// What the check did: its rounds, the bits each is worth, and the bound on a false pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckReport {
    pub rounds: u32,
    pub bits_per_round: u32,
    /// A wrong result passes with probability at most 2^-`soundness_bits`.
    pub soundness_bits: u32,
}

/// Bits a round is worth at size `n`: the largest b with 64 n^2 2^b <= 2^53 (at most 32).
pub fn bits_per_round(n: u32) -> u32 {
    let bound = ENTRY_BOUND as u64 * ENTRY_BOUND as u64 * u64::from(n) * u64::from(n);
    (53 - (64 - (bound - 1).leading_zeros())).min(32)
}

/// BLAKE3 of the result's little-endian bytes: the worker's commitment, sent the moment its
/// product is done (the oracle's clock stops there), before the result itself.
pub fn commitment(c: &[f32]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    #[cfg(target_endian = "little")]
    {
        // SAFETY: an f32 slice is plain bytes in memory, little-endian on this target.
        let bytes = unsafe { std::slice::from_raw_parts(c.as_ptr().cast::<u8>(), std::mem::size_of_val(c)) };
        hasher.update_rayon(bytes);
    }
    #[cfg(not(target_endian = "little"))]
    for x in c {
        hasher.update(&x.to_le_bytes());
    }
    *hasher.finalize().as_bytes()
}

/// Checks that `c` is A x B for `challenge`, with a false pass probability of at most
/// 2^-`soundness_bits`. `rng` must be the oracle's own secret randomness.
pub fn check_product(challenge: &Challenge, c: &[f32], soundness_bits: u32, rng: &mut impl Rng) -> Result<CheckReport, CheckFailure> {
    check_prepared(&Prepared::new(*challenge, soundness_bits, rng), c)
}

/// The first entry of `row` that is not an integer within the product's range (|c| <=
/// `range`), NaN and infinities included. Adding and subtracting 1.5 x 2^23 rounds an f32
/// below 2^22 to an integer, so an entry is one exactly when the round trip keeps it: two
/// additions and a comparison, which vectorize (unlike `f32::fract`, a libm call on
/// baseline x86-64).
fn first_inexact(row: &[f32], range: f32) -> Option<usize> {
    const ROUNDER: f32 = 12_582_912.0;
    row.iter().position(|x| !(x.abs() <= range && (*x + ROUNDER) - ROUNDER == *x))
}

/// Dot product with eight independent partial sums, so several multiply-adds are in flight
/// and the loop vectorizes (every partial sum is an exact integer, so order is free).
#[inline(always)]
fn dot_portable<X: Copy + Into<f64>>(x: &[X], y: &[f64]) -> f64 {
    let mut acc = [0f64; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| (*a).into() * b).sum();
    for (a, b) in xc.zip(yc) {
        for k in 0..8 {
            acc[k] += a[k].into() * b[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// The same loop compiled for AVX2 (four f64 lanes instead of SSE2's two), chosen at run
/// time as the CPU backend's SGEMM chooses its kernels.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2<X: Copy + Into<f64>>(x: &[X], y: &[f64]) -> f64 {
    dot_portable(x, y)
}

pub(crate) fn dot<X: Copy + Into<f64>>(x: &[X], y: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { dot_avx2(x, y) };
    }
    dot_portable(x, y)
}

/// Every entry of `row` an exact product's (see [`first_inexact`]), and its dot products
/// with the secret vectors equal to the expected values: the whole per-row work after the
/// result arrives, compiled for AVX2 where the CPU has it.
#[inline(always)]
fn row_ok_portable(row: &[f32], range: f32, r: &[Vec<f64>], expected: &[f64]) -> bool {
    const ROUNDER: f32 = 12_582_912.0;
    let exact = row.iter().fold(true, |ok, x| ok & (x.abs() <= range) & ((*x + ROUNDER) - ROUNDER == *x));
    exact && r.iter().zip(expected).all(|(rt, e)| dot_portable(row, rt) == *e)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn row_ok_avx2(row: &[f32], range: f32, r: &[Vec<f64>], expected: &[f64]) -> bool {
    row_ok_portable(row, range, r, expected)
}

fn row_ok(row: &[f32], range: f32, r: &[Vec<f64>], expected: &[f64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { row_ok_avx2(row, range, r, expected) };
    }
    row_ok_portable(row, range, r, expected)
}

/// The oracle's side of a check, prepared while the worker computes: the secret vectors r
/// and A (B r) for each, computed from the seed (A and B are generated row by row and never
/// kept). Nothing here depends on the result, so after it arrives only C is read, once.
pub struct Prepared {
    pub challenge: Challenge,
    pub report: CheckReport,
    r: Vec<Vec<f64>>,
    /// `expected[i][t]` = (A (B r_t))_i.
    expected: Vec<Vec<f64>>,
}

impl Prepared {
    /// Enough rounds for a false pass probability of at most 2^-`soundness_bits`.
    pub fn new(challenge: Challenge, soundness_bits: u32, rng: &mut impl Rng) -> Self {
        let bits = bits_per_round(challenge.n);
        let rounds = soundness_bits.div_ceil(bits).max(1);
        Self::with_rounds(challenge, bits, rounds, rng)
    }

    pub(crate) fn with_rounds(challenge: Challenge, bits: u32, rounds: u32, rng: &mut impl Rng) -> Self {
        let n = challenge.size();
        let r: Vec<Vec<f64>> = (0..rounds).map(|_| (0..n).map(|_| (rng.gen::<u64>() >> (64 - bits)) as f64).collect()).collect();
        // B r (per row of B, per round), regrouped per round.
        let per_row = challenge.map_rows(Operand::B, |_, row| r.iter().map(|rt| dot(row, rt)).collect::<Vec<f64>>());
        let br: Vec<Vec<f64>> = (0..rounds as usize).map(|t| per_row.iter().map(|v| v[t]).collect()).collect();
        let expected = challenge.map_rows(Operand::A, |_, row| br.iter().map(|b| dot(row, b)).collect::<Vec<f64>>());
        Self { challenge, report: CheckReport { rounds, bits_per_round: bits, soundness_bits: rounds * bits }, r, expected }
    }
}

/// [`check_product`] with the oracle's side prepared while the worker computed: reads C
/// once, checking each row's entries and its dot products with the secret vectors.
pub fn check_prepared(prepared: &Prepared, c: &[f32]) -> Result<CheckReport, CheckFailure> {
    use rayon::prelude::*;
    let n = prepared.challenge.size();
    if c.len() != n * n {
        return Err(CheckFailure::WrongSize { got: c.len(), expected: n * n });
    }
    let range = (ENTRY_BOUND * ENTRY_BOUND) as f32 * n as f32;
    let bad_row = c.par_chunks(n).zip(prepared.expected.par_iter()).position_first(|(row, e)| !row_ok(row, range, &prepared.r, e));
    let Some(row) = bad_row else { return Ok(prepared.report) };
    let c_row = &c[row * n..(row + 1) * n];
    Err(match first_inexact(c_row, range) {
        Some(col) => CheckFailure::NotAnExactProduct { row, col, value: c_row[col] },
        None => CheckFailure::Mismatch { row },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Backend, CpuBackend};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn product(seed: u8, n: u32) -> (Challenge, Vec<f32>) {
        let challenge = Challenge::new([seed; 32], n).unwrap();
        let c = CpuBackend.multiply(&challenge).unwrap();
        (challenge, c)
    }

    #[test]
    fn rounds_stay_exact_in_f64() {
        for n in [1u32, 2, 100, 2048, 8192] {
            let b = bits_per_round(n);
            assert!(64f64 * f64::from(n).powi(2) * 2f64.powi(b as i32) <= 2f64.powi(53), "n = {n}");
            assert!(b >= 20, "n = {n} gets only {b} bits a round");
        }
        assert_eq!(bits_per_round(2048), 25);
    }

    #[test]
    fn the_exact_product_passes() {
        let (challenge, c) = product(1, 128);
        let report = check_product(&challenge, &c, 40, &mut StdRng::seed_from_u64(9)).unwrap();
        assert!(report.soundness_bits >= 40 && report.rounds == 2, "{report:?}");
    }

    #[test]
    fn one_wrong_entry_is_caught() {
        let (challenge, mut c) = product(2, 96);
        c[96 * 50 + 7] += 1.0;
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(check_product(&challenge, &c, 40, &mut rng), Err(CheckFailure::Mismatch { row: 50 }));
    }

    #[test]
    fn a_product_for_another_seed_is_caught() {
        let (_, other) = product(3, 64);
        let challenge = Challenge::new([4; 32], 64).unwrap();
        let err = check_product(&challenge, &other, 40, &mut StdRng::seed_from_u64(2)).unwrap_err();
        assert!(matches!(err, CheckFailure::Mismatch { .. }), "{err:?}");
    }

    #[test]
    fn results_that_are_no_exact_product_are_refused_before_the_check() {
        let (challenge, c) = product(5, 32);
        let mut rng = StdRng::seed_from_u64(3);
        let mut half = c.clone();
        half[10] += 0.5;
        assert_eq!(
            check_product(&challenge, &half, 40, &mut rng),
            Err(CheckFailure::NotAnExactProduct { row: 0, col: 10, value: half[10] })
        );
        let mut huge = c.clone();
        huge[33] = 1e9;
        assert!(matches!(check_product(&challenge, &huge, 40, &mut rng), Err(CheckFailure::NotAnExactProduct { row: 1, col: 1, .. })));
        let mut nan = c.clone();
        nan[0] = f32::NAN;
        assert!(matches!(check_product(&challenge, &nan, 40, &mut rng), Err(CheckFailure::NotAnExactProduct { .. })));
        assert_eq!(check_product(&challenge, &c[1..], 40, &mut rng), Err(CheckFailure::WrongSize { got: 1023, expected: 1024 }));
        // A lazy worker's zeros are integers in range, and still caught.
        assert!(matches!(check_product(&challenge, &vec![0.0; 1024], 40, &mut rng), Err(CheckFailure::Mismatch { .. })));
    }

    /// The bound is real: with one-bit rounds (r in {0, 1}) a single wrong entry escapes a
    /// round about half the time and never more often than the bound allows by chance.
    #[test]
    fn one_bit_rounds_catch_a_single_error_about_half_the_time() {
        let (challenge, mut c) = product(6, 24);
        c[24 * 3 + 9] -= 2.0;
        let mut rng = StdRng::seed_from_u64(4);
        let trials = 2_000;
        let mut caught_in =
            |rounds| (0..trials).filter(|_| check_prepared(&Prepared::with_rounds(challenge, 1, rounds, &mut rng), &c).is_err()).count();
        let caught = caught_in(1);
        assert!((900..=1_100).contains(&caught), "caught {caught} of {trials}");
        // Two one-bit rounds together: about three in four.
        let caught = caught_in(2);
        assert!((1_400..=1_600).contains(&caught), "caught {caught} of {trials}");
    }
}
