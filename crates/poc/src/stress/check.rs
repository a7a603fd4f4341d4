//! The oracle's check of a GPU's opened blocks.
//!
//! For the secret diagonal D and a secret vector r (entries below 2^b), the oracle computes,
//! for every row k of B and every block column J, u[k][J] = D_k sum_{j in J} B[k][j] r_j: one
//! pass over B, generated row by row from the seed and never kept. An opened block (i, J)
//! of C = A D B must then satisfy sum_{j in J} C[i][j] r_j = sum_k A[i][k] u[k][J], which
//! the oracle checks with row i of A (O(n)). If the block is wrong, the difference is a
//! non-zero integer vector and the equality holds for at most one value of the r_j facing
//! a non-zero entry: a wrong block passes with probability at most 2^-b. Every quantity is
//! an integer below 2^53, so f64 arithmetic is exact.

use super::merkle::{verify_opening, Opening};
use super::{Layout, MAX_SCALE};
use crate::challenge::{Challenge, Operand, ENTRY_BOUND};
use crate::freivalds::dot;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// Why a GPU's answer is refused.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum StressFailure {
    #[error("block {block} is outside the product")]
    NoSuchBlock { block: u64 },
    #[error("block {block} has {got} entries, not {expected}")]
    BlockSize { block: u64, got: usize, expected: usize },
    #[error("block {block} is not the one committed to (its Merkle proof fails)")]
    BadProof { block: u64 },
    #[error("block {block} was asked for and not opened")]
    MissingOpening { block: u64 },
    #[error("block {block} was opened without being asked for")]
    UnaskedOpening { block: u64 },
    #[error("entry {col} of block {block} = {value} is not an integer within the product's range")]
    NotAnExactProduct { block: u64, col: usize, value: f32 },
    #[error("block {block} (row {row}) is not that block of A D B for this seed and secret")]
    WrongBlock { block: u64, row: usize },
}

/// Largest magnitude of an entry of A D B at size n.
fn entry_range(n: usize) -> f64 {
    (ENTRY_BOUND * ENTRY_BOUND) as f64 * f64::from(MAX_SCALE) * n as f64
}

/// Bits of the secret vector's entries at size n: the largest b with
/// width x 512 n x 2^b <= 2^53 (both sides of the check stay exact), at most 32.
pub fn bits_per_block(n: u32) -> u32 {
    let width = super::BLOCK_ENTRIES.min(n as usize) as u64;
    let bound = width * (ENTRY_BOUND * ENTRY_BOUND) as u64 * u64::from(MAX_SCALE) * u64::from(n);
    (53 - (64 - (bound - 1).leading_zeros())).min(32)
}

/// `openings` block indices drawn uniformly and independently (repeats allowed, so a
/// worker faking a fraction f of the blocks escapes with probability exactly (1-f)^k).
pub fn pick_blocks(rng: &mut impl Rng, layout: &Layout, openings: u32) -> Vec<u64> {
    (0..openings).map(|_| rng.gen_range(0..layout.blocks as u64)).collect()
}

/// The oracle's side of one GPU's check, prepared from the seed, the secret diagonal and
/// the oracle's own randomness.
pub struct Verifier {
    challenge: Challenge,
    layout: Layout,
    r: Vec<f64>,
    /// `u[k * blocks_per_row + J]` = D_k sum_{j in J} B[k][j] r_j.
    u: Vec<f64>,
}

impl Verifier {
    pub fn new(challenge: Challenge, diagonal: &[f32], rng: &mut impl Rng) -> Self {
        let n = challenge.size();
        assert_eq!(diagonal.len(), n, "one diagonal entry per row of B");
        let layout = Layout::new(n);
        let bits = bits_per_block(challenge.n);
        let r: Vec<f64> = (0..n).map(|_| (rng.gen::<u64>() >> (64 - bits)) as f64).collect();
        let per_row = challenge.map_rows(Operand::B, |k, row| {
            let d = f64::from(diagonal[k]);
            (0..layout.blocks_per_row)
                .map(|j| {
                    let (_, cols) = layout.block(j);
                    d * dot(&row[cols.clone()], &r[cols])
                })
                .collect::<Vec<f64>>()
        });
        Verifier { challenge, layout, r, u: per_row.concat() }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Checks the openings answering `asked` (as drawn: repeats allowed) against `root`.
    /// Every asked block must be opened once; nothing else may be. Returns the number of
    /// distinct blocks checked.
    pub fn check(&self, root: &[u8; 32], asked: &[u64], openings: &[Opening]) -> Result<usize, StressFailure> {
        let wanted: BTreeSet<u64> = asked.iter().copied().collect();
        let mut by_block: BTreeMap<u64, &Opening> = BTreeMap::new();
        for opening in openings {
            if !wanted.contains(&opening.block) {
                return Err(StressFailure::UnaskedOpening { block: opening.block });
            }
            by_block.insert(opening.block, opening);
        }
        if let Some(block) = wanted.iter().find(|b| !by_block.contains_key(b)) {
            return Err(StressFailure::MissingOpening { block: *block });
        }
        let range = entry_range(self.layout.n);
        for opening in by_block.values() {
            verify_opening(root, &self.layout, opening)?;
            if let Some(col) = opening.entries.iter().position(|x| !(f64::from(x.abs()) <= range && x.fract() == 0.0)) {
                return Err(StressFailure::NotAnExactProduct { block: opening.block, col, value: opening.entries[col] });
            }
        }
        // Row by row: row i of A is generated once for all its opened blocks.
        let mut rows: BTreeMap<usize, Vec<&Opening>> = BTreeMap::new();
        for opening in by_block.values() {
            rows.entry(self.layout.block(opening.block as usize).0).or_default().push(opening);
        }
        let n = self.layout.n;
        let bpr = self.layout.blocks_per_row;
        let mut a = vec![0f64; n];
        let mut expected = vec![0f64; bpr];
        for (row, opened) in rows {
            self.challenge.row_with(Operand::A, row, &mut a, f64::from);
            expected.iter_mut().for_each(|e| *e = 0.0);
            for (k, a_k) in a.iter().enumerate() {
                let u = &self.u[k * bpr..(k + 1) * bpr];
                for (e, u) in expected.iter_mut().zip(u) {
                    *e += a_k * u;
                }
            }
            for opening in opened {
                let (_, cols) = self.layout.block(opening.block as usize);
                let j = cols.start / super::BLOCK_ENTRIES;
                if dot(&opening.entries, &self.r[cols]) != expected[j] {
                    return Err(StressFailure::WrongBlock { block: opening.block, row });
                }
            }
        }
        Ok(by_block.len())
    }
}
