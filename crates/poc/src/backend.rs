//! Compute backends of the worker's stress test. The CPU backend is always there; the GPU
//! backend (CUDA) is a cargo feature of the worker agent.

use crate::challenge::{Challenge, Operand};

/// Something that multiplies the challenge's matrices.
pub trait Backend {
    /// Human-readable name, reported to the oracle ("cpu (matrixmultiply sgemm)", ...).
    fn name(&self) -> String;
    /// C = A x B for the challenge, row-major FP32; an error says why the device failed.
    fn multiply(&self, challenge: &Challenge) -> Result<Vec<f32>, String>;
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
}

/// C = A x B for row-major n x n FP32 matrices.
pub fn cpu_multiply(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    assert!(a.len() == n * n && b.len() == n * n, "operands are not n x n");
    let mut c = vec![0f32; n * n];
    let stride = n as isize;
    // SAFETY: the three buffers hold n x n elements with row stride n and column stride 1,
    // exactly what the pointer arithmetic of sgemm reads and writes.
    unsafe {
        matrixmultiply::sgemm(n, n, n, 1.0, a.as_ptr(), stride, 1, b.as_ptr(), stride, 1, 0.0, c.as_mut_ptr(), stride, 1);
    }
    c
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
