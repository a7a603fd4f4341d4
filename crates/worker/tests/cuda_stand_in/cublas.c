/* A stand-in for cuBLAS (libcublas.so.12), for the worker's tests on machines without a
 * GPU: the textbook column-major SGEMM, with cuBLAS's argument conventions, on the
 * stand-in driver's host memory. It multiplies what the backend passes exactly as cuBLAS
 * would, so the test checks the row-major trick (operands swapped) for real. */
#include <stdlib.h>

static int math_mode = 0;

int cublasGetProperty(int kind, int *v) { *v = kind == 0 ? 12 : (kind == 1 ? 8 : 4); return 0; }
int cublasCreate_v2(void **h) { *h = malloc(1); return 0; }
int cublasDestroy_v2(void *h) { free(h); return 0; }
int cublasSetStream_v2(void *h, void *s) { (void)h; (void)s; return 0; }
/* 0 (default) and 3 (TF32) are what the backend sets; anything else is CUBLAS_STATUS_INVALID_VALUE. */
int cublasSetMathMode(void *h, int mode) { (void)h; if (mode != 0 && mode != 3) return 7; math_mode = mode; return 0; }

/* C = alpha op(A) op(B) + beta C, column-major, m x n, inner dimension k; only
 * CUBLAS_OP_N is implemented (the backend transposes nothing). */
int cublasSgemm_v2(void *h, int transa, int transb, int m, int n, int k, const float *alpha,
                   const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc) {
  (void)h;
  if (transa != 0 || transb != 0 || lda < m || ldb < k || ldc < m) return 7;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      float acc = 0;
      for (int p = 0; p < k; p++) acc += A[i + (long)p * lda] * B[p + (long)j * ldb];
      C[i + (long)j * ldc] = *alpha * acc + (*beta == 0.0f ? 0.0f : *beta * C[i + (long)j * ldc]);
    }
  return 0;
}

/* C = A diag(x) (side 1, CUBLAS_SIDE_RIGHT) or diag(x) A (side 0), column-major m x n. */
int cublasSdgmm(void *h, int side, int m, int n, const float *A, int lda, const float *x, int incx, float *C, int ldc) {
  (void)h;
  if ((side != 0 && side != 1) || lda < m || ldc < m || incx != 1) return 7;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++)
      C[i + (long)j * ldc] = A[i + (long)j * lda] * (side == 1 ? x[j] : x[i]);
  return 0;
}
