/* The project's own matrix product (used when CLBlast is absent, broken or not chosen).
 *
 *   C = alpha * op(A) . op(B) + beta * C, row-major; op(A) (M, K), op(B) (K, N), C (M, N).
 *   transA: A is stored (K, M); transB: B is stored (N, K). lda/ldb/ldc: row strides.
 *
 * Index mapping: a 2-D range with dimension 0 over the columns of C (N rounded up to CT_GEMM_TS)
 * and dimension 1 over the rows (M rounded up); work-group (CT_GEMM_TS, CT_GEMM_TS). Work-item
 * (x, y) computes C[row = y][col = x], so neighbouring work-items write neighbouring elements.
 * Each step over K stages one CT_GEMM_TS x CT_GEMM_TS tile of op(A) and of op(B) in local memory;
 * the loads are arranged so that local id 0 walks the contiguous dimension of the stored matrix
 * (transposed or not). Out-of-range tile elements are zero; the sum runs k = 0..K-1 in order.
 * beta == 0 never reads C. */

#ifndef CT_GEMM_TS
#define CT_GEMM_TS 16
#endif

__kernel __attribute__((reqd_work_group_size(CT_GEMM_TS, CT_GEMM_TS, 1))) void
gemm(__global float *C, uint offC, int ldc, __global const float *A, uint offA, int lda,
     __global const float *B, uint offB, int ldb, int M, int N, int K, int transA, int transB,
     float alpha, float beta) {
    /* As[r][k] = op(A)[row0 + r][k0 + k];  Bs[k][c] = op(B)[k0 + k][col0 + c].
     * One column of padding avoids local-memory bank conflicts on the transposed stores. */
    __local float As[CT_GEMM_TS][CT_GEMM_TS + 1];
    __local float Bs[CT_GEMM_TS][CT_GEMM_TS + 1];

    C += offC;
    A += offA;
    B += offB;

    const int tx = (int)get_local_id(0);
    const int ty = (int)get_local_id(1);
    const int col0 = (int)get_group_id(0) * CT_GEMM_TS;
    const int row0 = (int)get_group_id(1) * CT_GEMM_TS;
    const int col = col0 + tx;
    const int row = row0 + ty;

    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += CT_GEMM_TS) {
        if (transA) {
            /* A stored (K, M): element (k, m) at A[k * lda + m]; tx walks m. */
            int k = k0 + ty, m = row0 + tx;
            As[tx][ty] = (k < K && m < M) ? A[(uint)k * (uint)lda + (uint)m] : 0.0f;
        } else {
            /* A stored (M, K): element (m, k) at A[m * lda + k]; tx walks k. */
            int m = row0 + ty, k = k0 + tx;
            As[ty][tx] = (m < M && k < K) ? A[(uint)m * (uint)lda + (uint)k] : 0.0f;
        }
        if (transB) {
            /* B stored (N, K): element (n, k) at B[n * ldb + k]; tx walks k. */
            int n = col0 + ty, k = k0 + tx;
            Bs[tx][ty] = (n < N && k < K) ? B[(uint)n * (uint)ldb + (uint)k] : 0.0f;
        } else {
            /* B stored (K, N): element (k, n) at B[k * ldb + n]; tx walks n. */
            int k = k0 + ty, n = col0 + tx;
            Bs[ty][tx] = (k < K && n < N) ? B[(uint)k * (uint)ldb + (uint)n] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < CT_GEMM_TS; ++kk) {
            acc += As[ty][kk] * Bs[kk][tx];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    if (row < M && col < N) {
        uint ci = (uint)row * (uint)ldc + (uint)col;
        if (beta == 0.0f) {
            C[ci] = alpha * acc;
        } else {
            C[ci] = alpha * acc + beta * C[ci];
        }
    }
}
