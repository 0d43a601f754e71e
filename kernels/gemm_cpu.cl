/* A matrix product shaped for CPU OpenCL (PoCL): register tiles of vector accumulators, no
 * local memory, no barriers, one work-item per work-group.
 *
 *   C = alpha * op(A) . B' + beta * C, row-major; op(A) is (M, K); C is (M, N).
 *
 * The shape is set by the host per device (host/device.c, ct_pk_config): CT_PK_VW floats per
 * vector (4, 8 or 16: the device's native width, so a vector is one register), CT_PK_RM rows
 * and CT_PK_NV vectors per work-item, so CT_PK_RM x CT_PK_NV accumulators fit the registers.
 * Work-item (t, p) computes rows t*CT_PK_RM .. +CT_PK_RM of C and the columns of panel p,
 * CT_PK_W = CT_PK_VW * CT_PK_NV wide. Per k it loads CT_PK_NV vectors of B' and one scalar of A
 * per row, and updates with fma. Whatever the shape, each output is the same fma chain over
 * k = 0..K-1 in order, so every shape gives the same bits.
 * The range is 3-D, (tile in block, panel, block of CT_PK_BLOCK row tiles), and PoCL runs
 * dimension 0 fastest: a block of rows goes across every panel before the next block, so a
 * panel of B stays in cache down the block's tiles and the block's rows of A across the
 * panels. (Panels fastest streamed all of B once per row tile, 0.65-0.8x OpenBLAS at K =
 * 10000; row tiles fastest streamed all of A once per panel, 0.5x for A^T at M = 5000.)
 * B' is read at Bp + p * pstride + k * kstride + c: either B packed into zero-padded panels
 * (pstride = K * W, kstride = W; see pack_b) or B (K, N) itself (pstride = W, kstride = ldb),
 * where the last panel, when N is not a multiple of W, is read element by element with bounds.
 * transA: A stored (K, M), so the rows of one k are contiguous. Edge rows: loads clamp the row
 * index; a tile at an edge is stored through private memory, element by element (one small
 * loop instead of an unrolled one per vector halves PoCL's compile of this kernel). The sum
 * over k runs 0..K-1 in order. beta == 0 never reads C. */

#ifndef CT_PK_VW
#define CT_PK_VW CT_VW
#endif
#ifndef CT_PK_RM
#define CT_PK_RM 8
#endif
#ifndef CT_PK_NV
#define CT_PK_NV 2
#endif
#define CT_PK_W (CT_PK_VW * CT_PK_NV)
#define pk_vec CT_CAT(float, CT_PK_VW)
#define pk_load CT_CAT(vload, CT_PK_VW)
#define pk_store CT_CAT(vstore, CT_PK_VW)

/* Bp[p][k][c] = B'(k, p*W + c), zero beyond column N: B' = B (K, N) or, transB, B^T with B
 * stored (N, K). Work-item (kb, cb) packs the 16 k from kb*16 and the CT_PK_VW columns from
 * cb*CT_PK_VW (one vector of a panel), one item per group: each row of the block is read and
 * written as one vector, and with transB the block is transposed in private memory, so both
 * sides run along rows (2-4x the speed of an item per element). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
pack_b(__global float *Bp, uint offBp, __global const float *B, uint offB, int ldb, int transB,
       int K, int N, int panels) {
    const uint k0 = (uint)get_global_id(0) * 16, col0 = (uint)get_global_id(1) * CT_PK_VW;
    if (k0 >= (uint)K || col0 >= (uint)panels * CT_PK_W) {
        return;
    }
    Bp += offBp;
    B += offB;
    const uint nk = min(16u, (uint)K - k0);
    __global float *out = Bp + ((col0 / CT_PK_W) * (uint)K + k0) * CT_PK_W + col0 % CT_PK_W;
    if (!transB) {
        for (uint kk = 0; kk < nk; ++kk) {
            __global const float *row = B + (k0 + kk) * (uint)ldb + col0;
            pk_vec v;
            if (col0 + CT_PK_VW <= (uint)N) {
                v = pk_load(0, row);
            } else {
                float t[CT_PK_VW];
                for (uint c = 0; c < CT_PK_VW; ++c) {
                    t[c] = col0 + c < (uint)N ? row[c] : 0.0f;
                }
                v = pk_load(0, t);
            }
            pk_store(v, 0, out + kk * CT_PK_W);
        }
    } else {
        float t[CT_PK_VW][16]; /* t[c][kk] = B(col0 + c, k0 + kk) */
        for (uint c = 0; c < CT_PK_VW; ++c) {
            __global const float *src = B + (col0 + c) * (uint)ldb + k0;
            if (col0 + c < (uint)N && nk == 16) {
                for (uint q = 0; q < 16 / CT_PK_VW; ++q) {
                    pk_store(pk_load(q, src), q, t[c]);
                }
            } else {
                for (uint kk = 0; kk < 16; ++kk) {
                    t[c][kk] = col0 + c < (uint)N && kk < nk ? src[kk] : 0.0f;
                }
            }
        }
        for (uint kk = 0; kk < nk; ++kk) {
            float u[CT_PK_VW];
            for (uint c = 0; c < CT_PK_VW; ++c) {
                u[c] = t[c][kk];
            }
            pk_store(pk_load(0, u), 0, out + kk * CT_PK_W);
        }
    }
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
gemm_cpu(__global float *C, uint offC, int ldc, __global const float *A, uint offA, int lda,
         int transA, __global const float *Bp, uint offBp, uint pstride, uint kstride, int M,
         int N, int K, float alpha, float beta) {
    const int p = (int)get_global_id(1);
    const int i0 = (int)(get_global_id(2) * get_global_size(0) + get_global_id(0)) * CT_PK_RM;
    if (i0 >= M) {
        return;
    }
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
    pk_vec acc[CT_PK_RM][CT_PK_NV];
#pragma unroll
    for (int m = 0; m < CT_PK_RM; ++m) {
#pragma unroll
        for (int v = 0; v < CT_PK_NV; ++v) {
            acc[m][v] = (pk_vec)(0.0f);
        }
    }
    for (int k = 0; k < K; ++k) {
        pk_vec b[CT_PK_NV];
        __global const float *bk = bp + (uint)k * kstride;
        if (edge) {
            /* the partial last panel of an unpacked B: guarded loads, zeros beyond N */
            float t[CT_PK_W];
            for (int c = 0; c < CT_PK_W; ++c) {
                t[c] = col0 + c < N ? bk[c] : 0.0f;
            }
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                b[v] = pk_load(v, t);
            }
        } else {
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                b[v] = pk_load(v, bk);
            }
        }
#pragma unroll
        for (int m = 0; m < CT_PK_RM; ++m) {
            float a = transA ? A[(uint)k * (uint)lda + (uint)row[m]] : A[(uint)row[m] * (uint)lda + (uint)k];
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                acc[m][v] = fma((pk_vec)(a), b[v], acc[m][v]);
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
                pk_vec r = alpha * acc[m][v];
                if (beta != 0.0f) {
                    r += beta * pk_load(v, c);
                }
                pk_store(r, v, c);
            }
        }
    } else {
        /* a tile at the bottom or right edge: through private memory, element by element */
        float t[CT_PK_RM * CT_PK_W];
#pragma unroll
        for (int m = 0; m < CT_PK_RM; ++m) {
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                pk_store(alpha * acc[m][v], m * CT_PK_NV + v, t);
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
