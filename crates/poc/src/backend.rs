//! Compute backends of the worker's stress test. The CPU backend is always there; the GPU
//! backend (CUDA) is a cargo feature of the worker agent.

use crate::challenge::{Challenge, Operand};

/// Something that multiplies the challenge's matrices.
pub trait Backend {
    /// Human-readable name, reported to the oracle ("cpu (matrixmultiply sgemm)", ...).
    fn name(&self) -> String;
    /// C = A x B for the challenge, row-major FP32; an error says why the device failed.
    fn multiply(&self, challenge: &Challenge) -> Result<Vec<f32>, String>;
    /// Generates (or uploads) the operands of a version-2 stress test, before the clock
    /// starts (`crate::stress`).
    fn load(&self, challenge: &Challenge) -> Result<Box<dyn Loaded>, String>;
}

/// One GPU's operands, loaded for one challenge: what runs inside the timed window.
pub trait Loaded: Send {
    /// C = A diag(`diagonal`) B, row-major FP32, handed to `sink` in panels of whole rows
    /// (the panel's first row, its entries), in row order, as each is done: the worker
    /// hashes a panel while the device computes the next.
    fn run(self: Box<Self>, diagonal: &[f32], sink: &mut dyn FnMut(usize, Vec<f32>)) -> Result<(), String>;
}

/// The whole product of `loaded`, its panels put together (tests, benches, the GPU check).
pub fn run_to_vec(loaded: Box<dyn Loaded>, diagonal: &[f32]) -> Result<Vec<f32>, String> {
    let mut c = Vec::new();
    loaded.run(diagonal, &mut |_, panel| c.extend_from_slice(&panel))?;
    Ok(c)
}

/// Rows per panel of a GPU's product of size n: eight panels, at least 64 rows each, so
/// the host hashes a panel while the device computes or copies the next.
pub fn panel_rows(n: usize) -> usize {
    n.div_ceil(8).max(64).min(n)
}

/// The CPU backend: `matrixmultiply`'s SGEMM (blocked, SIMD, threaded).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn name(&self) -> String {
        "cpu (matrixmultiply sgemm)".into()
    }

    fn multiply(&self, challenge: &Challenge) -> Result<Vec<f32>, String> {
        let a = challenge.matrix(Operand::A);
        let b = challenge.matrix(Operand::B);
        Ok(cpu_multiply(&a, &b, challenge.size()))
    }

    fn load(&self, challenge: &Challenge) -> Result<Box<dyn Loaded>, String> {
        Ok(Box::new(CpuLoaded { a: challenge.matrix(Operand::A), b: challenge.matrix(Operand::B), n: challenge.size() }))
    }
}

/// The CPU's loaded operands.
pub struct CpuLoaded {
    a: Vec<f32>,
    b: Vec<f32>,
    n: usize,
}

impl Loaded for CpuLoaded {
    fn run(mut self: Box<Self>, diagonal: &[f32], sink: &mut dyn FnMut(usize, Vec<f32>)) -> Result<(), String> {
        let n = self.n;
        if diagonal.len() != n {
            return Err(format!("the diagonal has {} entries, not n = {n}", diagonal.len()));
        }
        // A D: column k of A scaled by d_k, O(n^2); then the GEMM in one call, handed on
        // as one panel. (Panels buy nothing on a CPU: the hashing would share the cores
        // with the GEMM, and each call to matrixmultiply packs all of B again: +40% at
        // n = 2048 when measured.)
        for row in self.a.chunks_mut(n) {
            row.iter_mut().zip(diagonal).for_each(|(a, d)| *a *= d);
        }
        sink(0, cpu_multiply(&self.a, &self.b, n));
        Ok(())
    }
}

/// The rows of A B for `a_rows` (whole rows of A, row-major) and the n x n B.
fn cpu_multiply_rows(a_rows: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    let m = a_rows.len() / n;
    assert!(a_rows.len() == m * n && b.len() == n * n, "operands are not m x n and n x n");
    let mut c = vec![0f32; m * n];
    let stride = n as isize;
    // SAFETY: A's rows hold m x n, B n x n and C m x n elements, row stride n, column
    // stride 1: exactly what sgemm reads and writes.
    unsafe {
        matrixmultiply::sgemm(m, n, n, 1.0, a_rows.as_ptr(), stride, 1, b.as_ptr(), stride, 1, 0.0, c.as_mut_ptr(), stride, 1);
    }
    c
}

/// C = A x B for row-major n x n FP32 matrices.
pub fn cpu_multiply(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    assert!(a.len() == n * n, "operands are not n x n");
    cpu_multiply_rows(a, b, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_product_is_the_exact_integer_product() {
        let challenge = Challenge::new([3; 32], 64).unwrap();
        let (a, b) = (challenge.matrix(Operand::A), challenge.matrix(Operand::B));
        let c = CpuBackend.multiply(&challenge).unwrap();
        for i in [0, 17, 63] {
            for j in [0, 5, 63] {
                let exact: i64 = (0..64).map(|k| a[i * 64 + k] as i64 * b[k * 64 + j] as i64).sum();
                assert_eq!(c[i * 64 + j], exact as f32);
            }
        }
    }
}
