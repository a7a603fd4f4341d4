//! The worker's side of the window: run a GPU's product and commit to it, hashing each
//! panel on a thread of its own while the device computes the next, so only the last
//! panel's hashing adds to the time the oracle measures.

use super::merkle::{panel_leaves, BlockTree, Opening};
use super::Layout;
use crate::backend::Loaded;

/// A GPU's finished product, in the panels it came in, and its tree.
pub struct CommittedProduct {
    n: usize,
    panel_rows: usize,
    panels: Vec<Vec<f32>>,
    tree: BlockTree,
}

impl CommittedProduct {
    /// Runs `operands` with `diagonal` and commits to the product. `spoil` sees every
    /// panel (its first row, its entries) before it is hashed: a cheating worker's
    /// conduct in tests and the demo; honest callers pass a no-op.
    pub fn run(
        operands: Box<dyn Loaded>,
        diagonal: &[f32],
        n: usize,
        mut spoil: impl FnMut(usize, &mut [f32]) + Send + 'static,
    ) -> Result<Self, String> {
        let layout = Layout::new(n);
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Vec<f32>)>();
        let hasher = std::thread::spawn(move || {
            let mut panels = vec![];
            let mut leaves = Vec::with_capacity(layout.blocks);
            for (first, mut panel) in rx {
                spoil(first, &mut panel);
                leaves.extend(panel_leaves(&layout, first, &panel));
                panels.push(panel);
            }
            (panels, leaves)
        });
        let (mut rows_seen, mut panel_rows) = (0, 0);
        let outcome = operands.run(diagonal, &mut |first, panel| {
            if first == 0 {
                panel_rows = panel.len() / n.max(1);
            }
            rows_seen = first + panel.len() / n.max(1);
            // The hasher only stops once this sender is dropped.
            let _ = tx.send((first, panel));
        });
        drop(tx);
        let (panels, leaves) = hasher.join().map_err(|_| "the hashing thread panicked".to_string())?;
        outcome?;
        if rows_seen != n || leaves.len() != layout.blocks {
            return Err(format!("the device returned {rows_seen} of {n} rows"));
        }
        Ok(CommittedProduct { n, panel_rows: panel_rows.max(1), panels, tree: BlockTree::from_leaves(layout, leaves) })
    }

    pub fn root(&self) -> [u8; 32] {
        self.tree.root()
    }

    fn row(&self, i: usize) -> &[f32] {
        let within = i % self.panel_rows;
        &self.panels[i / self.panel_rows][within * self.n..(within + 1) * self.n]
    }

    /// Block `block` with its proof; `None` outside the product.
    pub fn open(&self, block: u64) -> Option<Opening> {
        self.tree.open_in_row(block, |i| self.row(i))
    }
}
