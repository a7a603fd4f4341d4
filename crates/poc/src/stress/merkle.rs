//! The worker's commitment to its product: a binary Merkle tree over the product's blocks
//! (BLAKE3 in keyed mode, one key for leaves and one for inner nodes, so the two can never
//! be taken for each other; the leaf count padded to a power of two with all-zero
//! hashes), and the openings of single blocks. A leaf hashes the block's bytes first and
//! its index last: the 4 KiB of entries then fill whole BLAKE3 chunks, which it hashes
//! side by side with SIMD (twice as fast as behind a prefix).

use super::check::StressFailure;
use super::{le_bytes, Layout};

const LEAF_KEY: [u8; 32] = *b"io-poc stress v2 leaf key.......";
const NODE_KEY: [u8; 32] = *b"io-poc stress v2 node key.......";
/// The hash of a padding leaf (no block hashes to it but with negligible probability).
const EMPTY: [u8; 32] = [0; 32];

/// Hash of block `block` holding `entries`.
pub fn leaf_hash(block: u64, entries: &[f32]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_keyed(&LEAF_KEY);
    hasher.update(&le_bytes(entries));
    hasher.update(&block.to_le_bytes());
    *hasher.finalize().as_bytes()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_keyed(&NODE_KEY);
    hasher.update(left);
    hasher.update(right);
    *hasher.finalize().as_bytes()
}

/// One opened block: its index, its entries, and the sibling hashes from its leaf up.
#[derive(Clone, Debug, PartialEq)]
pub struct Opening {
    pub block: u64,
    pub entries: Vec<f32>,
    pub proof: Vec<[u8; 32]>,
}

/// Every level of the tree, leaves first: what the worker keeps to answer openings.
pub struct BlockTree {
    layout: Layout,
    levels: Vec<Vec<[u8; 32]>>,
}

impl BlockTree {
    /// The tree of the row-major n x n product `c`; leaves hashed in parallel.
    pub fn build(c: &[f32], n: usize) -> Self {
        assert_eq!(c.len(), n * n, "the product is not n x n");
        let layout = Layout::new(n);
        Self::from_leaves(layout, panel_leaves(&layout, 0, c))
    }

    /// The tree over `leaves` (every block's hash, in block order), as the worker builds
    /// it panel by panel while its GPU computes the next panel.
    pub fn from_leaves(layout: Layout, mut leaves: Vec<[u8; 32]>) -> Self {
        use rayon::prelude::*;
        assert_eq!(leaves.len(), layout.blocks, "one hash per block");
        leaves.resize(1 << layout.depth, EMPTY);
        let mut levels = vec![leaves];
        while levels.last().expect("a level").len() > 1 {
            let below = levels.last().expect("a level");
            let above: Vec<[u8; 32]> = below.par_chunks(2).with_min_len(256).map(|pair| node_hash(&pair[0], &pair[1])).collect();
            levels.push(above);
        }
        BlockTree { layout, levels }
    }

    pub fn root(&self) -> [u8; 32] {
        self.levels.last().expect("a level")[0]
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Block `block` of `c` (the product the tree was built from) with its proof; `None`
    /// for an index outside the product.
    pub fn open(&self, c: &[f32], block: u64) -> Option<Opening> {
        let n = self.layout.n;
        self.open_in_row(block, |row| &c[row * n..(row + 1) * n])
    }

    /// [`Self::open`] with the product's rows read through `row` (the worker keeps its
    /// product in panels).
    pub fn open_in_row<'a>(&self, block: u64, row: impl Fn(usize) -> &'a [f32]) -> Option<Opening> {
        let index = usize::try_from(block).ok().filter(|b| *b < self.layout.blocks)?;
        let (r, cols) = self.layout.block(index);
        let proof = self.levels[..self.levels.len() - 1].iter().enumerate().map(|(level, nodes)| nodes[(index >> level) ^ 1]).collect();
        Some(Opening { block, entries: row(r)[cols].to_vec(), proof })
    }
}

/// The leaf hashes of the blocks of rows `first_row..` held in `panel` (whole rows,
/// row-major), in parallel.
pub fn panel_leaves(layout: &Layout, first_row: usize, panel: &[f32]) -> Vec<[u8; 32]> {
    use rayon::prelude::*;
    let n = layout.n;
    assert_eq!(panel.len() % n, 0, "a panel holds whole rows");
    let first_block = first_row * layout.blocks_per_row;
    (0..panel.len() / n * layout.blocks_per_row)
        .into_par_iter()
        .with_min_len(16)
        .map(|i| {
            let (row, cols) = layout.block(i);
            leaf_hash((first_block + i) as u64, &panel[row * n + cols.start..row * n + cols.end])
        })
        .collect()
}

/// Checks that `opening` is block `opening.block` of the product committed to by `root`.
pub fn verify_opening(root: &[u8; 32], layout: &Layout, opening: &Opening) -> Result<(), StressFailure> {
    let block = opening.block;
    let index = usize::try_from(block).ok().filter(|b| *b < layout.blocks).ok_or(StressFailure::NoSuchBlock { block })?;
    let (_, cols) = layout.block(index);
    if opening.entries.len() != cols.len() {
        return Err(StressFailure::BlockSize { block, got: opening.entries.len(), expected: cols.len() });
    }
    if opening.proof.len() != layout.depth as usize {
        return Err(StressFailure::BadProof { block });
    }
    let mut hash = leaf_hash(block, &opening.entries);
    for (level, sibling) in opening.proof.iter().enumerate() {
        hash = if (index >> level) & 1 == 0 { node_hash(&hash, sibling) } else { node_hash(sibling, &hash) };
    }
    if hash == *root {
        Ok(())
    } else {
        Err(StressFailure::BadProof { block })
    }
}
