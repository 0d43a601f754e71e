/* A matrix product shaped for CPU OpenCL (PoCL): register tiles of float16 accumulators, no
 * local memory, no barriers, one work-item per work-group.
 *
 *   C = alpha * op(A) . B' + beta * C, row-major; op(A) is (M, K); C is (M, N).
 *
 * Work-item (t, p) computes rows t*CT_PK_RM .. +CT_PK_RM of C and the columns of panel p,
 * CT_PK_W = 16 * CT_PK_NV wide, held in CT_PK_RM x CT_PK_NV float16 accumulators. Per k it
 * loads CT_PK_NV float16 vectors of B' and one scalar of A per row, and updates with fma.
 * The row tile is the fast index, so work-groups run one panel of B at a time down the rows
 * and the panel stays in cache (the other order streams all of B once per row tile: at
 * K = 10000 that cost a quarter of the speed).
 * B' is read at Bp + p * pstride + k * kstride + c: either B packed into zero-padded panels
 * (pstride = K * W, kstride = W; see pack_b) or B (K, N) itself (pstride = W, kstride = ldb),
 * where the last panel, when N is not a multiple of W, is read element by element with bounds.
 * transA: A stored (K, M), so the rows of one k are contiguous. Edge rows: loads clamp the row
 * index; a tile at an edge is stored through private memory, element by element (one small
 * loop instead of an unrolled one per vector halves PoCL's compile of this kernel). The sum
 * over k runs 0..K-1 in order. beta == 0 never reads C. */

#ifndef CT_PK_RM
#define CT_PK_RM 8
#endif
#ifndef CT_PK_NV
#define CT_PK_NV 2
#endif
#define CT_PK_W (16 * CT_PK_NV)

/* Bp[p][k][c] = B'(k, p*W + c), zero beyond column N: B' = B (K, N) or, transB, B^T with B
 * stored (N, K). A 2-D range over (the fast index, the slow one): for B (K, N) (col, k), so
 * reads and writes run along a row; for B^T (k, col), so the reads run along B's rows. */
__kernel void pack_b(__global float *Bp, uint offBp, __global const float *B, uint offB, int ldb,
                     int transB, int K, int N, int panels) {
    uint g0 = (uint)get_global_id(0), g1 = (uint)get_global_id(1);
    uint k = transB ? g0 : g1, col = transB ? g1 : g0;
    if (k >= (uint)K || col >= (uint)panels * CT_PK_W) {
        return;
    }
    Bp += offBp;
    B += offB;
    float v = 0.0f;
    if (col < (uint)N) {
        v = transB ? B[col * (uint)ldb + k] : B[k * (uint)ldb + col];
    }
    uint p = col / CT_PK_W, c = col % CT_PK_W;
    Bp[(p * (uint)K + k) * CT_PK_W + c] = v;
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
gemm_cpu(__global float *C, uint offC, int ldc, __global const float *A, uint offA, int lda,
         int transA, __global const float *Bp, uint offBp, uint pstride, uint kstride, int M,
         int N, int K, float alpha, float beta) {
    const int p = (int)get_global_id(1);
    const int i0 = (int)get_global_id(0) * CT_PK_RM;
    C += offC;
    A += offA;
    __global const float *bp = Bp + offBp + (uint)p * pstride;
    const int col0 = p * CT_PK_W;
    /* unpacked B (kstride != W) and a panel reaching past N */
    const int edge = kstride != CT_PK_W && col0 + CT_PK_W > N;

    /* clamped rows for the loads */
    int row[CT_PK_RM];
#pragma unroll
    for (int m = 0; m < CT_PK_RM; ++m) {
        row[m] = min(i0 + m, M - 1);
    }
    float16 acc[CT_PK_RM][CT_PK_NV];
#pragma unroll
    for (int m = 0; m < CT_PK_RM; ++m) {
#pragma unroll
        for (int v = 0; v < CT_PK_NV; ++v) {
            acc[m][v] = (float16)(0.0f);
        }
    }
    for (int k = 0; k < K; ++k) {
        float16 b[CT_PK_NV];
        __global const float *bk = bp + (uint)k * kstride;
        if (edge) {
            /* the partial last panel of an unpacked B: guarded loads, zeros beyond N */
            float t[CT_PK_W];
            for (int c = 0; c < CT_PK_W; ++c) {
                t[c] = col0 + c < N ? bk[c] : 0.0f;
            }
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                b[v] = vload16(v, t);
            }
        } else {
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                b[v] = vload16(v, bk);
            }
        }
#pragma unroll
        for (int m = 0; m < CT_PK_RM; ++m) {
            float a = transA ? A[(uint)k * (uint)lda + (uint)row[m]] : A[(uint)row[m] * (uint)lda + (uint)k];
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                acc[m][v] = fma((float16)(a), b[v], acc[m][v]);
            }
        }
    }
    if (i0 + CT_PK_RM <= M && col0 + CT_PK_W <= N) {
        /* an interior tile: whole vectors */
#pragma unroll
        for (int m = 0; m < CT_PK_RM; ++m) {
            __global float *c = C + (uint)(i0 + m) * (uint)ldc + col0;
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                float16 r = alpha * acc[m][v];
                if (beta != 0.0f) {
                    r += beta * vload16(v, c);
                }
                vstore16(r, v, c);
            }
        }
    } else {
        /* a tile at the bottom or right edge: through private memory, element by element */
        float t[CT_PK_RM * CT_PK_W];
#pragma unroll
        for (int m = 0; m < CT_PK_RM; ++m) {
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                vstore16(alpha * acc[m][v], m * CT_PK_NV + v, t);
            }
        }
        const int rows = min(CT_PK_RM, M - i0), cols = min(CT_PK_W, N - col0);
        for (int m = 0; m < rows; ++m) {
            __global float *c = C + (uint)(i0 + m) * (uint)ldc + col0;
            for (int j = 0; j < cols; ++j) {
                c[j] = beta != 0.0f ? t[m * CT_PK_W + j] + beta * c[j] : t[m * CT_PK_W + j];
            }
        }
    }
}
