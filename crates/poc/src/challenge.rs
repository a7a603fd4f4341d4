//! The stress-test challenge: A and B, two n x n row-major matrices with integer entries
//! in [-`ENTRY_BOUND`, `ENTRY_BOUND`], derived from the oracle's 32-byte seed.
//!
//! Entries come from a counter-based generator (SplitMix64 over a key that is the BLAKE3
//! hash of the seed and the operand's name), so any row can be produced on its own: the
//! oracle regenerates rows while it checks, in parallel, and never stores A or B. The
//! generator need not be unpredictable: the worker knows the seed anyway; what it cannot
//! avoid is the n^3 work of the product of two unstructured matrices.

use thiserror::Error;

/// Largest entry magnitude.
pub const ENTRY_BOUND: i64 = 8;
/// Largest challenge: 8192 x 8192 (256 MiB per FP32 matrix). Exactness in FP32 holds up to
/// n = 2^24 / 64 = 262,144.
pub const MAX_N: u32 = 8_192;
/// Entries drawn from one 64-bit word (5 bits each).
const ENTRIES_PER_WORD: usize = 12;
pub(crate) const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    A,
    B,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ChallengeError {
    #[error("challenge size {0} is outside 1..={MAX_N}")]
    BadSize(u32),
    #[error("a node may claim 1..={} GPUs in one audit, not {0}", crate::stress::MAX_GPUS)]
    BadGpuCount(u32),
}

/// The seed and the size: all the oracle sends, all the worker needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub seed: [u8; 32],
    pub n: u32,
}

pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 5 random bits -> an entry in [-8, 8] (17 values; the slight bias is harmless).
const ENTRY_OF: [i8; 32] = {
    let mut table = [0i8; 32];
    let mut i = 0;
    while i < 32 {
        table[i] = (i % 17) as i8 - 8;
        i += 1;
    }
    table
};

impl Challenge {
    pub fn new(seed: [u8; 32], n: u32) -> Result<Self, ChallengeError> {
        if n == 0 || n > MAX_N {
            return Err(ChallengeError::BadSize(n));
        }
        Ok(Self { seed, n })
    }

    pub fn size(&self) -> usize {
        self.n as usize
    }

    /// Floating-point operations of the product: 2 n^3.
    pub fn flops(&self) -> f64 {
        2.0 * f64::from(self.n).powi(3)
    }

    fn key(&self, operand: Operand) -> u64 {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"io-poc challenge v1");
        hasher.update(&self.seed);
        hasher.update(match operand {
            Operand::A => b"A",
            Operand::B => b"B",
        });
        u64::from_le_bytes(hasher.finalize().as_bytes()[..8].try_into().expect("8 bytes"))
    }

    /// Row `i` of `operand`, written into `out` (length n) through `convert`.
    pub fn row_with<T>(&self, operand: Operand, i: usize, out: &mut [T], convert: impl Fn(i8) -> T) {
        self.row_from_key(self.key(operand), i, out, convert)
    }

    fn row_from_key<T>(&self, key: u64, i: usize, out: &mut [T], convert: impl Fn(i8) -> T) {
        let n = self.size();
        debug_assert_eq!(out.len(), n);
        let words_per_row = n.div_ceil(ENTRIES_PER_WORD);
        let first = (i * words_per_row) as u64;
        for (w, chunk) in out.chunks_mut(ENTRIES_PER_WORD).enumerate() {
            let mut bits = mix(key.wrapping_add((first + w as u64 + 1).wrapping_mul(GAMMA)));
            for slot in chunk {
                *slot = convert(ENTRY_OF[(bits & 31) as usize]);
                bits >>= 5;
            }
        }
    }

    /// The whole operand, row-major, as FP32 (what a worker multiplies).
    pub fn matrix(&self, operand: Operand) -> Vec<f32> {
        let n = self.size();
        let key = self.key(operand);
        let mut out = vec![0f32; n * n];
        for (i, row) in out.chunks_mut(n).enumerate() {
            self.row_from_key(key, i, row, f32::from);
        }
        out
    }

    /// Calls `f(i, row)` for every row of `operand`, in parallel chunks of rows; `f`
    /// returns a value per row, collected in row order.
    pub fn map_rows<R: Send>(&self, operand: Operand, f: impl Fn(usize, &[f64]) -> R + Sync) -> Vec<R> {
        use rayon::prelude::*;
        let n = self.size();
        let key = self.key(operand);
        (0..n)
            .into_par_iter()
            .map_init(
                || vec![0f64; n],
                |row, i| {
                    self.row_from_key(key, i, row, f64::from);
                    f(i, row)
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_deterministic_bounded_and_seed_dependent() {
        let c = Challenge::new([7; 32], 100).unwrap();
        let a = c.matrix(Operand::A);
        assert_eq!(a, c.matrix(Operand::A));
        assert_ne!(a, c.matrix(Operand::B));
        assert_ne!(a, Challenge::new([8; 32], 100).unwrap().matrix(Operand::A));
        assert!(a.iter().all(|x| x.fract() == 0.0 && x.abs() <= ENTRY_BOUND as f32));
        // Every value of the range shows up, and rows read alone equal the whole matrix.
        for v in -8..=8 {
            assert!(a.contains(&(v as f32)), "{v} never drawn");
        }
        let mut row = vec![0f32; 100];
        c.row_with(Operand::A, 37, &mut row, f32::from);
        assert_eq!(&row[..], &a[3700..3800]);
        let sums = c.map_rows(Operand::A, |_, r| r.iter().sum::<f64>());
        assert_eq!(sums[37], row.iter().map(|x| f64::from(*x)).sum::<f64>());
    }

    #[test]
    fn sizes_are_bounded() {
        assert_eq!(Challenge::new([0; 32], 0), Err(ChallengeError::BadSize(0)));
        assert_eq!(Challenge::new([0; 32], MAX_N + 1), Err(ChallengeError::BadSize(MAX_N + 1)));
        assert!(Challenge::new([0; 32], MAX_N).is_ok());
    }
}
