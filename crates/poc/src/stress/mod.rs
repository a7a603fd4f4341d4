//! The stress test, version 2: every claimed GPU multiplies its own seeded matrices in one
//! timed window, commits to its product with a Merkle root, and then opens the blocks the
//! oracle names. The oracle checks each opened block against the root and, by Freivalds'
//! test restricted to the block, against the product it must be; it never receives nor
//! recomputes the whole product.
//!
//! # The exchange, per node
//! 1. **Load** (untimed): the oracle sends a seed and n; GPU g generates (or is sent) the
//!    operands A_g and B_g of `StressSpec::challenge(g)`. Nothing timed depends on this
//!    step, so a slow host or PCIe link costs an honest GPU nothing.
//! 2. **Go** (the clock starts): the oracle reveals a fresh 32-byte secret. GPU g's task is
//!    C_g = A_g D_g B_g, with D_g a diagonal of integers in [1, 8] derived from the secret
//!    (`scaling`). Knowing A and B in advance is useless: A D B shares no work with A B
//!    that is cheaper than the product itself, and D is unknown until go. Scaling one
//!    operand is O(n^2); the GEMM is the O(n^3) the window measures.
//! 3. **Commit** (the clock stops, per GPU): the root of a Merkle tree over the product's
//!    blocks (`BlockTree`): each row cut into blocks of `BLOCK_ENTRIES` entries.
//! 4. **Open** (untimed): the oracle draws `openings` blocks uniformly (with replacement)
//!    and asks for them; the worker returns each block with its Merkle proof.
//!
//! # What it proves
//! * Every claimed GPU did its own product: one seed per GPU, one secret diagonal per GPU,
//!   and all of them in the same window, so one GPU answering for eight takes eight times
//!   as long, and a node audited by two oracles at once cannot pass one answer for both.
//! * Exactness: entries of A and B are integers in [-8, 8] and of D in [1, 8], so every
//!   partial sum of the product is an integer of magnitude at most 512 n <= 2^22 for
//!   n <= `MAX_N`: FP32 (and TF32-free) GEMMs return it exactly, and the oracle checks it
//!   exactly.
//! * A worker that fakes a fraction f of the blocks (or of the rows: every row has the
//!   same number of blocks) to finish 1/(1-f) times sooner is caught unless all of the
//!   k independent draws miss them: probability (1-f)^k. With the default k =
//!   `DEFAULT_OPENINGS` = 192, faking 10% of the product escapes with probability
//!   0.9^192 < 2 x 10^-9, faking 2.5% with 0.8%.
//! * A wrong block that is opened passes Freivalds' check with probability at most
//!   2^-b (b = `check::bits_per_block`, 21 at n = 8192), and a block that is not the one
//!   committed fails its Merkle proof (BLAKE3, domain-separated leaves and nodes).
//!
//! # What it costs
//! * The network: k blocks of at most 4 KiB with a proof of log2(blocks) hashes each, per
//!   GPU: about 0.85 MiB at n = 8192 and k = 192 (`wire_bytes`), instead of the 256 MiB
//!   product.
//! * The oracle: generating B once and one pass over it (n^2), plus O(n) per opened block;
//!   against 2 n^3 to recompute.

mod check;
mod commit;
mod merkle;

pub use check::{bits_per_block, pick_blocks, StressFailure, Verifier};
pub use commit::CommittedProduct;
pub use merkle::{leaf_hash, panel_leaves, verify_opening, BlockTree, Opening};

use crate::challenge::{mix, Challenge, ChallengeError, GAMMA, MAX_N};

/// Entries of one committed block (4 KiB of FP32): a row is cut into blocks of this many
/// columns, the last one shorter when n is not a multiple.
pub const BLOCK_ENTRIES: usize = 1_024;
/// Blocks the oracle opens per GPU by default (see the module's bound).
pub const DEFAULT_OPENINGS: u32 = 192;
/// Most blocks one opening request may name (the worker refuses more).
pub const MAX_OPENINGS: u32 = 4_096;
/// Most GPUs one node may claim in one audit (the registry's largest node).
pub const MAX_GPUS: u32 = 64;
/// Largest entry of the secret diagonal: entries are in [1, `MAX_SCALE`].
pub const MAX_SCALE: u32 = 8;

/// What the oracle sends at "load": a seed and a size for every GPU of the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StressSpec {
    pub seed: [u8; 32],
    pub n: u32,
    pub gpus: u32,
}

impl StressSpec {
    pub fn new(seed: [u8; 32], n: u32, gpus: u32) -> Result<Self, ChallengeError> {
        if n == 0 || n > MAX_N {
            return Err(ChallengeError::BadSize(n));
        }
        if gpus == 0 || gpus > MAX_GPUS {
            return Err(ChallengeError::BadGpuCount(gpus));
        }
        Ok(Self { seed, n, gpus })
    }

    /// GPU g's own operands: a seed of its own, so no two GPUs (nor two audits) share a
    /// product.
    pub fn challenge(&self, gpu: u32) -> Challenge {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"io-poc stress v2 gpu seed");
        hasher.update(&self.seed);
        hasher.update(&gpu.to_le_bytes());
        Challenge { seed: *hasher.finalize().as_bytes(), n: self.n }
    }

    /// Floating-point operations of one GPU's product: 2 n^3 (the O(n^2) scaling aside).
    pub fn flops_per_gpu(&self) -> f64 {
        2.0 * f64::from(self.n).powi(3)
    }
}

/// The secret diagonal of GPU `gpu` for the secret revealed at "go": n integers in
/// [1, `MAX_SCALE`], as FP32 (what a worker multiplies with).
pub fn scaling(secret: &[u8; 32], gpu: u32, n: u32) -> Vec<f32> {
    const PER_WORD: usize = 21; // 3 bits each
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"io-poc stress v2 diagonal");
    hasher.update(secret);
    hasher.update(&gpu.to_le_bytes());
    let key = u64::from_le_bytes(hasher.finalize().as_bytes()[..8].try_into().expect("8 bytes"));
    let mut out = Vec::with_capacity(n as usize);
    for w in 0..(n as usize).div_ceil(PER_WORD) {
        let mut bits = mix(key.wrapping_add((w as u64 + 1).wrapping_mul(GAMMA)));
        for _ in 0..PER_WORD.min(n as usize - w * PER_WORD) {
            out.push(((bits & 7) + 1) as f32);
            bits >>= 3;
        }
    }
    out
}

/// How a product of size n is cut into committed blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub n: usize,
    pub blocks_per_row: usize,
    /// Blocks of the product: n x `blocks_per_row`.
    pub blocks: usize,
    /// Levels of the Merkle tree above the leaves (the proof length).
    pub depth: u32,
}

impl Layout {
    pub fn new(n: usize) -> Self {
        let blocks_per_row = n.div_ceil(BLOCK_ENTRIES);
        let blocks = n * blocks_per_row;
        Layout { n, blocks_per_row, blocks, depth: blocks.next_power_of_two().trailing_zeros() }
    }

    /// Row and column range of `block`.
    pub fn block(&self, block: usize) -> (usize, std::ops::Range<usize>) {
        let (row, j) = (block / self.blocks_per_row, block % self.blocks_per_row);
        let start = j * BLOCK_ENTRIES;
        (row, start..(start + BLOCK_ENTRIES).min(self.n))
    }

    /// Bytes one opening carries on the wire (its index, its entries, its proof), for the
    /// widest block.
    pub fn opening_bytes(&self) -> usize {
        8 + 4 * BLOCK_ENTRIES.min(self.n) + 32 * self.depth as usize
    }
}

/// Bytes a GPU's audit moves at size n with `openings` draws: the root, the block indices
/// asked, and at most `openings` openings (fewer when draws repeat).
pub fn wire_bytes(n: u32, openings: u32) -> usize {
    let layout = Layout::new(n as usize);
    32 + openings as usize * (8 + layout.opening_bytes())
}

/// The little-endian bytes of FP32 entries (what is hashed and sent).
pub(crate) fn le_bytes(entries: &[f32]) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: an f32 slice is plain bytes in memory, little-endian on this target.
        std::borrow::Cow::Borrowed(unsafe { std::slice::from_raw_parts(entries.as_ptr().cast::<u8>(), std::mem::size_of_val(entries)) })
    }
    #[cfg(not(target_endian = "little"))]
    {
        std::borrow::Cow::Owned(entries.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

#[cfg(test)]
mod tests;
